import itertools
import math

import pytest

from tickbook.brokers import SimBroker
from tickbook.core import ValidationError
from tickbook.execution import POV, TWAP, VWAP, Iceberg, ParentOrder, execute
from tickbook.risk import Reason, RiskEngine

S = 1_000_000_000


@pytest.fixture
def sim():
    broker = SimBroker(100_000_000, prices={"AAA": 10_000}, allow_short=True)
    broker.set_quote("AAA", 9_990, 10_010, volume=0)
    yield broker
    broker.disconnect()


def ticks(n, step=S // 2):
    return [i * step for i in range(n)]


def parent(qty=1000, side="buy", limit=None, pid="P1"):
    return ParentOrder(
        parent_id=pid, symbol="AAA", side=side, quantity=qty, limit_price_cents=limit
    )


def test_twap_sends_equal_slices_at_equal_times_and_measures_shortfall(sim):
    report = execute(TWAP(parent(), 0, 4 * S, 4), sim, ticks(10))
    assert [c.filled for c in report.children] == [250, 250, 250, 250]
    assert [c.ts_ns for c in report.children] == [0, S, 2 * S, 3 * S]
    assert [c.client_order_id for c in report.children] == ["P1-1", "P1-2", "P1-3", "P1-4"]
    assert report.filled == 1000 and report.avg_price_cents == 10_010
    # bought at the ask, 10 cents over the arrival mid, on 1,000 shares
    assert report.arrival_mid_cents == 10_000
    assert report.shortfall_cents == 10_000 and report.shortfall_bps == pytest.approx(10.0)


def test_vwap_follows_the_volume_profile(sim):
    report = execute(VWAP(parent(), 0, 2 * S, [1.0, 3.0]), sim, ticks(5))
    assert [c.filled for c in report.children] == [250, 750]


def test_pov_participates_in_the_observed_volume(sim):
    vol = iter(range(0, 100_000, 1_000))

    def market(ts):
        sim.set_quote("AAA", 9_990, 10_010, volume=next(vol))

    report = execute(POV(parent(qty=350), 0.10), sim, ticks(8), on_step=market)
    assert [c.filled for c in report.children] == [100, 100, 100, 50]


def test_iceberg_shows_at_most_the_display_quantity(sim):
    report = execute(Iceberg(parent(qty=1000), 300), sim, ticks(10))
    assert [c.quantity for c in report.children] == [300, 300, 300, 100]


def test_a_resting_child_is_cancelled_and_replaced_after_its_timeout(sim):
    report = execute(Iceberg(parent(qty=100, limit=9_995), 100), sim, ticks(5), child_timeout_ns=S)
    assert [c.status for c in report.children][:2] == ["CANCELLED", "CANCELLED"]
    assert report.children[1].client_order_id == "P1-2" and report.filled == 0
    assert not sim.open_orders()  # nothing left working at the end


def test_opportunity_cost_counts_the_unfilled_rest_at_the_final_mid(sim):
    moves = iter([(9_990, 10_010), (10_090, 10_110)])
    risk = RiskEngine()
    risk.kill()

    def market(ts):
        bid, ask = next(moves)
        sim.set_quote("AAA", bid, ask)

    report = execute(TWAP(parent(), 0, 2 * S, 2), sim, ticks(2), risk=risk, on_step=market)
    assert report.filled == 0 and report.children == () and report.denied == 2
    assert report.shortfall_cents == 1000 * 100 and report.final_mid_cents == 10_100


def test_broker_rate_and_risk_rate_limits_space_the_children(sim):
    report = execute(Iceberg(parent(qty=500), 100), sim, ticks(20, S // 4), max_per_second=1)
    times = [c.ts_ns for c in report.children]
    assert all(b - a >= S for a, b in itertools.pairwise(times))
    risk = RiskEngine(max_orders_per_minute=2)
    capped = execute(Iceberg(parent(qty=500, pid="P2"), 100), sim, ticks(10), risk=risk)
    assert len(capped.children) == 2 and capped.denied > 0
    assert (
        Reason.RATE_PER_MINUTE
        in risk.check_order("AAA", "buy", 1, 1, equity_cents=1, ts_ns=5 * S).reasons
    )


def test_sell_side_shortfall_sign(sim):
    report = execute(TWAP(parent(qty=100, side="sell"), 0, S, 1), sim, ticks(2))
    assert report.avg_price_cents == 9_990 and report.shortfall_cents == 100 * 10


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ParentOrder(parent_id="bad id!", symbol="AAA", side="buy", quantity=1),
         "parent_id"),
        (lambda: ParentOrder(parent_id="P" * 31, symbol="AAA", side="buy", quantity=1),
         "parent_id"),
        (lambda: ParentOrder(parent_id="P", symbol="AAA", side="hold", quantity=1), "side"),
        (lambda: ParentOrder(parent_id="P", symbol="AAA", side="buy", quantity=0), "quantity"),
        (lambda: parent(limit=-1), "limit_price_cents"),
        (lambda: TWAP(parent(), 0, 10, 0), "slices"),
        (lambda: TWAP(parent(), 10, 10, 1), "end_ns"),
        (lambda: VWAP(parent(), 0, 10, [1.0, -1.0]), "profile"),
        (lambda: VWAP(parent(), 0, 10, [math.nan]), "profile"),
        (lambda: VWAP(parent(), 0, 10, [0.0]), "profile"),
        (lambda: POV(parent(), 0.0), "participation"),
        (lambda: POV(parent(), 1.5), "participation"),
        (lambda: Iceberg(parent(qty=10), 11), "display_qty"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_naming_the_field(build, field):
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field


def test_clock_must_increase(sim):
    with pytest.raises(ValidationError) as info:
        execute(TWAP(parent(), 0, S, 1), sim, [0, 0])
    assert info.value.field == "clock"


def test_a_schedule_replays_over_real_daily_prices():
    from tickbook.backtest import sample_data_dir

    panel = sample_data_dir() / "sp500_20_stocks_1990_2022.csv.gz"
    sim = SimBroker(100_000_000, prices=panel, start=-6)
    try:
        days = [d * 86_400 * S for d in range(5)]
        report = execute(
            TWAP(ParentOrder(parent_id="D1", symbol="MSFT", side="buy", quantity=500), 0,
                 5 * 86_400 * S, 5),
            sim, days, on_step=lambda ts: ts and sim.advance(),
        )  # fmt: skip
    finally:
        sim.disconnect()
    assert report.filled == 500 and len(report.children) == 5
    assert report.arrival_mid_cents > 0 and math.isfinite(report.shortfall_bps)
