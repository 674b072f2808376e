"""IbkrBroker at the ``ib_async.IB`` seam (a fake IB answering real ib_async objects).

No TWS or Gateway runs here: this checks the mapping to the protocol, idempotency by
``orderRef``, reconnection with backoff and refusals, not IB's own behaviour.
"""

import sys

import pytest

from tests.brokers.fake_ib import FakeIB
from tickbook.brokers import (
    Broker,
    BrokerDisconnected,
    BrokerOrderStatus,
    IbkrBroker,
    OrderNotFound,
    UnknownSymbol,
)
from tickbook.core import Side, ValidationError

S = BrokerOrderStatus


def make(fake=None, **kwargs):
    fake = fake or FakeIB()
    waits = []
    broker = IbkrBroker("127.0.0.1", 4002, client_id=7, ib=fake, sleep=waits.append, **kwargs)
    broker.connect()
    return broker, fake, waits


def test_reference_example_shape():
    broker, fake, _ = make()
    assert isinstance(broker, Broker) and broker.is_connected
    assert fake.connect_calls == [("127.0.0.1", 4002, 7, 4.0, "")]
    positions = broker.positions()
    assert [p["symbol"] for p in positions] == ["AAPL", "MSFT"]
    aapl, msft = positions
    assert (aapl.quantity, aapl.avg_cost_cents, aapl.market_value_cents) == (100, 150_12, 18_500_00)
    assert aapl.unrealized_pnl_cents == 3_487_66 and msft.quantity == -10
    oid = broker.submit_order("AAPL", "buy", 100, order_type="limit", limit_price_cents=185_00)
    assert oid.status is S.NEW and oid.limit_price_cents == 185_00
    quote = broker.quote("AAPL")
    assert (quote["bid_cents"], quote["ask_cents"], quote["last_cents"]) == (184_99, 185_01, 185_00)
    assert quote["volume"] == 51_234_567


def test_account_reads_the_usd_tags():
    broker, _, _ = make()
    a = broker.account()
    assert a.equity_cents == 1_003_412_57 and a.buying_power_cents == 4_013_650_28
    assert a.cash_cents == 989_008_07 and a.gross_position_value_cents == 22_595_50


def test_orders_map_to_ib_orders_with_the_client_id_as_order_ref():
    broker, fake, _ = make()
    m = broker.submit_order("MSFT", "sell", 5, client_order_id="rb-7:MSFT")
    assert m.status is S.FILLED and m.avg_price_cents == 409_50 and m.side is Side.SELL
    assert m.commission_cents == 1_00 and m.client_order_id == "rb-7:MSFT"
    stop = broker.submit_order("AAPL", "sell", 10, "stop", stop_price_cents=170_00)
    sl = broker.submit_order("AAPL", "buy", 10, "stop_limit", stop_price_cents=190_00,
                             limit_price_cents=191_00, tif="gtc")  # fmt: skip
    orders = {t.order.orderRef: t.order for t in fake.trades()}
    assert orders[stop.client_order_id].orderType == "STP"
    assert orders[stop.client_order_id].auxPrice == 170.0
    assert (orders[sl.client_order_id].orderType, orders[sl.client_order_id].lmtPrice) == (
        "STP LMT", 191.0)  # fmt: skip
    assert stop.stop_price_cents == 170_00 and sl.limit_price_cents == 191_00
    assert {o.order_id for o in broker.open_orders("AAPL")} == {stop.order_id, sl.order_id}


def test_partial_fill_and_cancel():
    broker, fake, _ = make()
    o = broker.submit_order("AAPL", "buy", 100, "limit", limit_price_cents=184_00)
    [trade] = [t for t in fake.trades() if str(t.order.orderId) == o.order_id]
    fake.fill(trade, 40, 184.0)
    part = broker.order_status(o.order_id)
    assert part.status is S.PARTIALLY_FILLED and part.filled_quantity == 40
    assert part.avg_price_cents == 184_00
    done = broker.cancel_order(client_order_id=o.client_order_id)
    assert done.status is S.CANCELLED and done.filled_quantity == 40
    assert broker.open_orders() == []


def test_known_order_ref_is_answered_not_placed_again_even_after_a_restart():
    broker, fake, _ = make()
    first = broker.submit_order("AAPL", "buy", 100, "limit", limit_price_cents=180_00,
                                client_order_id="rb-1:AAPL")  # fmt: skip
    assert broker.submit_order("AAPL", "buy", 100, "limit", limit_price_cents=180_00,
                               client_order_id="rb-1:AAPL") == first  # fmt: skip
    filled = broker.submit_order("MSFT", "buy", 1, client_order_id="rb-1:MSFT")
    fake.disconnect()  # a new process: TWS reports the open and the completed orders
    again, _, _ = make(fake)
    assert again.order_status(client_order_id="rb-1:AAPL").order_id == first.order_id
    assert again.submit_order("MSFT", "buy", 1, client_order_id="rb-1:MSFT") == filled
    places = [c for c in fake.calls if c[0] == "placeOrder"]
    assert places == [("placeOrder", "rb-1:AAPL"), ("placeOrder", "rb-1:MSFT")]


def test_reconnects_with_exponential_backoff():
    fake = FakeIB(fail_connects=3)
    broker, _, waits = make(fake, backoff_s=0.5, backoff_max_s=1.5)
    assert broker.is_connected and waits == [0.5, 1.0, 1.5]
    fake.connected = False  # the Gateway restarts under us
    fake.fail_connects = 1
    assert broker.account().cash_cents == 989_008_07  # reconnected on the next call
    assert len(fake.connect_calls) == 6


def test_gives_up_after_max_reconnects():
    with pytest.raises(BrokerDisconnected, match="after 3 attempts"):
        make(FakeIB(fail_connects=10), max_reconnects=3)


def test_refusals():
    broker, _, _ = make()
    with pytest.raises(UnknownSymbol):
        broker.submit_order("ZZZZ", "buy", 1)
    with pytest.raises(OrderNotFound):
        broker.order_status("999")
    with pytest.raises(OrderNotFound):
        broker.order_status(client_order_id="nope")
    broker.disconnect()
    with pytest.raises(BrokerDisconnected):
        broker.positions()


BAD_CALLS = [
    ("submit_order", ("AAPL", "buy", -1), {}, "quantity"),
    ("submit_order", ("AAPL", "buy", 1, "limit"), {}, "limit_price_cents"),
    ("submit_order", ("AAPL", "buy", 1), {"tif": "day"}, "tif"),
    ("submit_order", ("AAPL", "buy", 1 << 41), {}, "quantity"),
    ("order_status", ("x1",), {}, "order_id"),
    ("cancel_order", (), {}, "order_id"),
    ("quote", ("A APL",), {}, "symbol"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), BAD_CALLS)
def test_bad_arguments_are_refused_and_nothing_is_sent(method, args, kwargs, field):
    broker, fake, _ = make()
    before = list(fake.calls)
    with pytest.raises(ValidationError) as info:
        getattr(broker, method)(*args, **kwargs)
    assert info.value.field == field
    assert [c for c in fake.calls if c[0] == "placeOrder"] == [
        c for c in before if c[0] == "placeOrder"
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"host": ""}, "host"), ({"port": 0}, "port"), ({"client_id": -1}, "client_id"),
     ({"timeout_s": -1}, "timeout_s"), ({"max_reconnects": 0}, "max_reconnects"),
     ({"currency": "usd"}, "currency")],
)  # fmt: skip
def test_bad_construction_is_refused(kwargs, field):
    with pytest.raises(ValidationError) as info:
        IbkrBroker(**{"ib": FakeIB(), **kwargs})
    assert info.value.field == field


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ib_async", None)
    with pytest.raises(ImportError, match=r"pip install 'tickbook\[ibkr\]'"):
        IbkrBroker("127.0.0.1", 4002, client_id=1)


def test_connection_lost_while_placing_is_an_unknown_outcome_resolved_by_order_ref():
    from tickbook.brokers import UnknownOutcome

    broker, fake, _ = make()
    place = fake.placeOrder

    def place_then_drop(contract, order):
        place(contract, order)  # TWS got it, the answer did not come back
        fake.connected = False
        raise ConnectionError("Socket disconnect")

    fake.placeOrder = place_then_drop
    with pytest.raises(UnknownOutcome) as info:
        broker.submit_order("AAPL", "buy", 10, "limit", limit_price_cents=180_00,
                            client_order_id="lost-1")  # fmt: skip
    assert info.value.client_order_id == "lost-1"
    fake.placeOrder = place
    again = broker.submit_order(
        "AAPL", "buy", 10, "limit", limit_price_cents=180_00, client_order_id="lost-1"
    )  # reconnects, finds it: not placed
    assert again.client_order_id == "lost-1"
    assert [c for c in fake.calls if c[0] == "placeOrder"] == [("placeOrder", "lost-1")]
