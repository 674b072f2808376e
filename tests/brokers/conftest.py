from pathlib import Path

import pytest

PANEL = (
    Path(__file__).resolve().parents[2] / "src/tickbook/_sample/sp500_20_stocks_1990_2022.csv.gz"
)


def sim_state(broker):
    """Everything a SimBroker answers, for before/after comparisons."""
    orders = [broker.order_status(o) for o in map(str, range(1, 1000))
              if _has(broker, o)]  # fmt: skip
    return (broker.account(), broker.positions(), orders, broker.clock,
            broker.open_orders(), [broker.quote(s) for s in broker.symbols])  # fmt: skip


def _has(broker, order_id):
    from tickbook.brokers import OrderNotFound

    try:
        broker.order_status(order_id)
    except OrderNotFound:
        return False
    return True


@pytest.fixture
def panel_path():
    return PANEL
