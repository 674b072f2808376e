import math

import numpy as np
import pandas as pd
import pytest

from tickbook.backtest import (
    EqualWeight,
    FixedBps,
    SpreadCross,
    SquareRootImpact,
    run_event_driven,
)
from tickbook.core import ValidationError
from tickbook.portfolio import CostModel


def _all_in(symbol="A"):
    return lambda t, prices, pf: [(symbol, 1.0)] if t == 0 else None


def test_fixed_bps_fills_that_far_through_the_mid():
    bars = [{"A": 100_00}, {"A": 100_00}]
    result = run_event_driven(_all_in(), bars, 1_000_000_00, slippage=FixedBps(10))
    (fill,) = result.fills
    assert fill.price == 100_10 and fill.mid == 100_00
    assert fill.slippage_bps == pytest.approx(10)
    # the whole cash at $100.10 a share (the plan sized 10,000 at the mid)
    assert fill.quantity == 9990 and result.unfilled == ((0, "A", 10.0),)


def test_spread_cross_buys_at_the_ask_and_sells_at_the_bid_of_the_data():
    ticks = pd.DataFrame(
        {
            "symbol": ["A", "A", "A"],
            "price": [100_00, 101_00, 102_00],
            "bid": [99_98, 100_97, 101_95],
            "ask": [100_02, 101_03, 102_05],
        }
    )
    answers = [[("A", 0.5)], None, []]
    result = run_event_driven(lambda t, p, pf: answers[t], ticks, 1_000_000, slippage=SpreadCross())
    buy, sell = result.fills
    assert (buy.event, buy.price, buy.quantity) == (0, 100_02, 50)
    assert (sell.event, sell.price, sell.quantity) == (2, 101_95, -50)
    assert result.portfolio.cash == 1_000_000 - 50 * 100_02 + 50 * 101_95


def test_spread_cross_without_quotes_uses_half_the_spread():
    result = run_event_driven(_all_in(), [{"A": 100_00}], 1_000_000_00, slippage=SpreadCross(20))
    assert result.fills[0].price == 100_10


def test_square_root_impact_walks_a_ladder_as_deep_as_the_law_says():
    model = SquareRootImpact(volatility=0.02, adv=100_000, coefficient=1.0)
    costs = []
    for cash in (10_000_00 * 100, 40_000_00 * 100):  # 10,000 and 40,000 shares at $100
        result = run_event_driven(_all_in(), [{"A": 100_00}], cash, slippage=model)
        (fill,) = result.fills
        costs.append(fill.price - 100_00)
        expected = model.expected_cost(100_00, fill.quantity)
        assert fill.price - 100_00 == pytest.approx(expected, abs=1.0)  # within a tick
    assert costs[1] / costs[0] == pytest.approx(
        2.0, rel=0.05
    )  # four times the size, twice the cost


def test_latency_delays_orders_to_a_later_events_prices():
    bars = [{"A": 100_00}, {"A": 101_00}, {"A": 105_00}, {"A": 105_00}]
    result = run_event_driven(_all_in(), bars, 1_000_000_00, slippage=FixedBps(0), latency=2)
    (fill,) = result.fills
    assert (fill.decided, fill.event, fill.price) == (0, 2, 105_00)
    # sized at the decision's mid ($100), the order cannot all be paid for at $105
    assert fill.quantity == math.floor(1_000_000_00 / 105_00)


def test_orders_are_matched_by_the_exchange():
    class TwoLevels:
        def quote(self, book, mid, bid, ask, buying, shares):
            book.submit_limit("sell", 100_00, 30)
            book.submit_limit("sell", 101_00, shares)

    result = run_event_driven(
        _all_in(), [{"A": 100_00}], 100 * 100_00 + 70 * 100, slippage=TwoLevels()
    )
    (fill,) = result.fills
    assert fill.quantity == 100
    assert fill.price == pytest.approx((30 * 100_00 + 70 * 101_00) / 100)


def test_equal_weight_on_bars_with_commission():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        100_00 * np.exp(np.cumsum(rng.normal(0, 0.01, (60, 4)), axis=0)), columns=list("ABCD")
    )
    result = run_event_driven(
        EqualWeight(rebalance_every=20),
        frame,
        1_000_000_00,
        CostModel(commission_bps=5),
        SpreadCross(10),
    )
    assert len(result.returns) == 60
    assert {f.decided for f in result.fills} == {0, 20, 40}
    assert all(f.slippage_bps > 0 for f in result.fills)
    assert result.fills_frame().shape == (len(result.fills), 7)
    assert result.metrics.num_periods == 60


def test_bad_input_is_refused():
    for kwargs, field in [
        ({"latency": -1}, "latency"),
        ({"slippage": "cheap"}, "slippage"),
        ({"decide_every": 0}, "decide_every"),
    ]:
        with pytest.raises(ValidationError) as info:
            run_event_driven(_all_in(), [{"A": 100}], **kwargs)
        assert info.value.field == field
    with pytest.raises(ValidationError) as info:
        SquareRootImpact(volatility=0, adv=1)
    assert info.value.field == "volatility"
