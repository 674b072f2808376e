import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.core import ValidationError
from tickbook.risk import Reason, RiskConfig, RiskEngine, RiskStatus, TradingState

EQUITY = 1_000_000_00


def status(report, name):
    return next(c for c in report if c.name == name).status


def test_reference_order_example_passes_with_the_numbers_in_the_detail():
    risk = RiskEngine(max_position_pct=0.25, max_leverage=1.5)
    checks = risk.check_order(
        "AAPL", "buy", 100, 185_00, equity_cents=EQUITY, positions=[("AAPL", 200)]
    )
    assert not checks.has_failures() and not checks.has_warnings()
    rows = checks.to_dicts()
    assert {"name", "status", "detail"} == set(rows[0])
    position = next(r for r in rows if r["name"] == "Max position")
    assert position["status"] == "PASS" and "5.5%" in position["detail"]
    assert all(c["status"] in ("PASS", "WARN", "FAIL") for c in checks)


def test_reference_batch_example_fails_on_the_target_weight():
    risk = RiskEngine(max_position_pct=0.25, max_leverage=1.5)
    report = risk.check_batch(
        orders=[("AAPL", "buy", 100, 185_00), ("MSFT", "sell", 50, 370_00)],
        equity_cents=EQUITY,
        positions=[("AAPL", 200), ("MSFT", 100)],
        target_weights=[("AAPL", 0.6), ("MSFT", 0.2)],
    )
    assert report.has_failures()
    assert report.reasons == (Reason.TARGET_WEIGHTS,)
    (fail,) = report.failures()
    assert "AAPL 60.0% > 25.0%" in fail.detail
    assert status(report, "Leverage") is RiskStatus.PASS
    assert "0.07x" in next(c for c in report if c.name == "Leverage").detail


def test_order_value_and_position_limits_fail_with_their_reasons():
    risk = RiskEngine(max_order_value_cents=50_000_00, max_position_pct=0.10)
    report = risk.check_order("AAPL", "buy", 1_000, 185_00, equity_cents=EQUITY)
    # $185,000: over max_order_value (50k), the default max_trade_value (100k), and 18.5% > 10%
    assert set(report.reasons) == {Reason.ORDER_VALUE, Reason.TRADE_VALUE, Reason.POSITION_LIMIT}
    assert "$185,000.00" in next(c for c in report if c.name == "Max order value").detail


def test_a_reducing_order_passes_even_from_an_oversized_position():
    risk = RiskEngine(max_position_pct=0.10)
    report = risk.check_order(
        "AAPL", "sell", 100, 100_00, equity_cents=EQUITY, positions={"AAPL": 5_000}
    )
    assert not report.has_failures()


def test_shorts_refused_when_not_allowed_and_capped_when_allowed():
    no_short = RiskEngine(allow_short=False)
    report = no_short.check_order("SPY", "sell", 10, 400_00, equity_cents=EQUITY)
    assert report.reasons == (Reason.SHORT_NOT_ALLOWED,)
    capped = RiskEngine(max_short_pct=0.05, max_position_pct=1.0)
    report = capped.check_order("SPY", "sell", 200, 400_00, equity_cents=EQUITY)
    assert report.reasons == (Reason.SHORT_EXPOSURE,)


def test_min_trade_value_warns_only():
    risk = RiskEngine(min_trade_value_cents=1_000_00)
    report = risk.check_order("AAPL", "buy", 1, 185_00, equity_cents=EQUITY)
    assert report.has_warnings() and not report.has_failures()
    assert status(report, "Order size") is RiskStatus.WARN


def test_drawdown_breaker_is_enforced_and_latched():
    risk = RiskEngine(max_drawdown_pct=0.20, max_position_pct=1.0)
    assert not risk.check_order("A", "buy", 1, 100_00, equity_cents=EQUITY).has_failures()
    risk.update_equity(79 * EQUITY // 100)  # 21% below the peak
    assert risk.state is TradingState.REDUCING
    buy = risk.check_order("A", "buy", 1, 100_00, equity_cents=79 * EQUITY // 100)
    assert Reason.REDUCE_ONLY in buy.reasons and Reason.DRAWDOWN in buy.reasons
    sell = risk.check_order(
        "A", "sell", 5, 100_00, equity_cents=79 * EQUITY // 100, positions=[("A", 10)]
    )
    assert sell.reasons == (Reason.DRAWDOWN,)  # the breaker shows, the order is not refused
    flip = risk.check_order(
        "A", "sell", 15, 100_00, equity_cents=79 * EQUITY // 100, positions=[("A", 10)]
    )
    assert Reason.REDUCE_ONLY in flip.reasons  # through zero to short adds risk
    risk.update_equity(EQUITY)  # recovery does not re-arm it
    assert risk.state is TradingState.REDUCING
    risk.reset_breaker(EQUITY)
    assert risk.state is TradingState.ACTIVE
    assert not risk.check_order("A", "buy", 1, 100_00, equity_cents=EQUITY).has_failures()


def test_check_order_trips_the_breaker_from_the_equity_it_is_given():
    risk = RiskEngine(max_drawdown_pct=0.10)
    risk.update_equity(EQUITY)
    report = risk.check_order("A", "buy", 1, 100_00, equity_cents=EQUITY // 2)
    assert risk.state is TradingState.REDUCING and Reason.REDUCE_ONLY in report.reasons


def test_kill_switch_halts_everything_until_resume():
    risk = RiskEngine()
    risk.kill()
    report = risk.check_order("A", "sell", 1, 100_00, equity_cents=EQUITY, positions=[("A", 5)])
    assert Reason.HALTED in report.reasons
    batch = risk.check_batch([("A", "sell", 1, 100_00)], equity_cents=EQUITY)
    assert Reason.HALTED in batch.reasons
    risk.resume()
    assert not risk.check_order("A", "buy", 1, 100_00, equity_cents=EQUITY).has_failures()


def test_rate_limits_use_the_callers_clock():
    risk = RiskEngine(max_orders_per_second=2, max_orders_per_minute=3)
    sec = 1_000_000_000
    for t in (0, sec // 2):
        assert not risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, ts_ns=t).failed
        risk.on_order_sent(t)
    third = risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, ts_ns=sec - 1)
    assert third.reasons == (Reason.RATE_PER_SECOND,)
    later = risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, ts_ns=2 * sec)
    assert not later.has_failures()
    risk.on_order_sent(2 * sec)
    full = risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, ts_ns=3 * sec)
    assert full.reasons == (Reason.RATE_PER_MINUTE,)
    assert not risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, ts_ns=61 * sec).failed
    with pytest.raises(ValidationError, match="ts_ns"):
        risk.on_order_sent(sec)  # time going backwards


def test_open_orders_and_position_count_limits():
    risk = RiskEngine(max_open_orders=1, max_positions=2)
    risk.on_order_sent(0)
    report = risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY)
    assert report.reasons == (Reason.OPEN_ORDERS,)
    risk.on_order_closed()
    held = [("A", 1), ("B", 1)]
    assert risk.check_order("C", "buy", 1, 1_00, equity_cents=EQUITY, positions=held).reasons == (
        Reason.MAX_POSITIONS,
    )
    assert not risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, positions=held).failed
    assert risk.check_order("A", "buy", 1, 1_00, equity_cents=EQUITY, open_orders=1).reasons == (
        Reason.OPEN_ORDERS,
    )


def test_var_limit_uses_the_returns_history():
    rng = np.random.default_rng(7)
    returns = np.column_stack([rng.normal(0, 0.01, 500), rng.normal(0, 0.05, 500)])
    big = 10**12
    risk = RiskEngine(
        max_var_pct=0.01,
        max_position_pct=1.0,
        max_order_value_cents=big,
        max_trade_value_cents=big,
    )
    risk.set_returns(["CALM", "WILD"], returns)
    calm = risk.check_order("CALM", "buy", 300, 1000_00, equity_cents=EQUITY)  # 30% of equity
    wild = risk.check_order("WILD", "buy", 300, 1000_00, equity_cents=EQUITY)
    assert not calm.has_failures()
    assert wild.reasons == (Reason.VAR_LIMIT,)
    batch = risk.check_batch([("WILD", "buy", 300, 1000_00)], equity_cents=EQUITY)
    assert batch.reasons == (Reason.VAR_LIMIT,)
    var_detail = next(c for c in batch if c.name == "VaR").detail
    expected = 0.3 * -np.percentile(returns[:, 1], 5)
    assert f"{expected:.2%}" in var_detail


def test_batch_leverage_short_and_batch_value():
    risk = RiskEngine(
        max_leverage=1.0,
        max_position_pct=1.0,
        max_batch_value_cents=500_000_00,
        max_order_value_cents=10**12,
        max_trade_value_cents=10**12,
    )
    report = risk.check_batch(
        [("A", "buy", 6_000, 100_00), ("B", "sell", 6_000, 100_00)], equity_cents=EQUITY
    )
    assert set(report.reasons) == {Reason.LEVERAGE, Reason.SHORT_EXPOSURE, Reason.BATCH_VALUE}


def test_batch_warns_about_held_symbols_without_a_price():
    report = RiskEngine().check_batch(
        [("A", "buy", 1, 100_00)], equity_cents=EQUITY, positions=[("B", 10)]
    )
    assert report.has_warnings() and status(report, "Prices") is RiskStatus.WARN
    priced = RiskEngine().check_batch(
        [("A", "buy", 1, 100_00)], equity_cents=EQUITY, positions=[("B", 10)], prices={"B": 5_00}
    )
    assert not priced.has_warnings()


def test_config_object_or_keywords():
    cfg = RiskConfig(max_leverage=2.0)
    assert RiskEngine(cfg).config is cfg
    assert RiskEngine(max_trade_usd=250.5).config.max_trade_value_cents == 25_050
    with pytest.raises(ValidationError):
        RiskEngine(cfg, max_leverage=1.0)


BAD_ORDERS = [
    (("", "buy", 1, 1), "symbol"),
    (("A", "hold", 1, 1), "side"),
    (("A", "buy", 0, 1), "quantity"),
    (("A", "buy", 1.5, 1), "quantity"),
    (("A", "buy", True, 1), "quantity"),
    (("A", "buy", 1, -5), "price_cents"),
    (("A", "buy", 1, 1.0), "price_cents"),
]


@pytest.mark.parametrize(("args", "field"), BAD_ORDERS)
def test_check_order_refuses_bad_arguments_naming_the_field(args, field):
    risk = RiskEngine()
    with pytest.raises(ValidationError) as info:
        risk.check_order(*args, equity_cents=EQUITY)
    assert info.value.field == field and repr(info.value.value) in str(info.value)
    assert risk.peak_equity_cents == 0  # nothing recorded


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"equity_cents": 1.5}, "equity_cents"),
        ({"equity_cents": 1, "positions": [("A",)]}, "positions"),
        ({"equity_cents": 1, "positions": [("A", 1.0)]}, "positions"),
        ({"equity_cents": 1, "positions": "AB"}, "positions"),
        ({"equity_cents": 1, "ts_ns": -1}, "ts_ns"),
        ({"equity_cents": 1, "open_orders": -1}, "open_orders"),
    ],
)
def test_check_order_refuses_bad_keywords(kwargs, field):
    risk = RiskEngine(max_orders_per_second=5, max_open_orders=3)
    with pytest.raises(ValidationError) as info:
        risk.check_order("A", "buy", 1, 1, **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"orders": [("A", "buy", 1)]}, "orders[0]"),
        ({"orders": [("A", "buy", 1, 1), ("B", "buy", -1, 1)]}, "orders[1]"),
        ({"orders": [("A", "buy", 1, 1), ("B", "sideways", 1, 1)]}, "orders[1]"),
        ({"orders": "AAPL"}, "orders"),
        ({"orders": [], "positions": [("A", "x")]}, "positions"),
        ({"orders": [], "target_weights": [("A", math.nan)]}, "target_weights"),
        ({"orders": [], "target_weights": [("A", "0.5")]}, "target_weights"),
        ({"orders": [], "prices": [("A", 0)]}, "prices"),
        ({"orders": [], "prices": 5}, "prices"),
    ],
)
def test_check_batch_refuses_bad_input_and_records_nothing(kwargs, field):
    risk = RiskEngine()
    with pytest.raises(ValidationError) as info:
        risk.check_batch(equity_cents=EQUITY, **kwargs)
    assert info.value.field == field
    assert risk.peak_equity_cents == 0


def _model(side, qty, price, held, equity, cfg):
    # the obvious model of the reference's checks for one order
    new = held + (qty if side == "buy" else -qty)
    grows = abs(new) > abs(held) or new * held < 0
    fails = set()
    if qty * price > cfg.max_order_value_cents:
        fails.add(Reason.ORDER_VALUE)
    if qty * price > cfg.max_trade_value_cents:
        fails.add(Reason.TRADE_VALUE)
    if grows and abs(new) * price > cfg.max_position_pct * equity:
        fails.add(Reason.POSITION_LIMIT)
    if grows and new < 0 and abs(new) * price > cfg.max_short_pct * equity:
        fails.add(Reason.SHORT_EXPOSURE)
    return fails


@settings(max_examples=300, deadline=None)
@given(
    side=st.sampled_from(["buy", "sell"]),
    qty=st.integers(1, 10_000),
    price=st.integers(1, 1_000_00),
    held=st.integers(-10_000, 10_000),
    equity=st.integers(1, 10**10),
)
def test_check_order_matches_the_obvious_model(side, qty, price, held, equity):
    risk = RiskEngine(max_drawdown_pct=1.0)
    report = risk.check_order(
        "X", side, qty, price, equity_cents=equity, positions=[("X", held), ("Y", 3)]
    )
    assert set(report.reasons) == _model(side, qty, price, held, equity, risk.config)
    assert report.has_failures() == bool(report.failures())


def test_quantities_in_fractional_units_are_valued_by_their_decimals():
    risk = RiskEngine(max_position_pct=0.5)
    # 0.5 BTC (8 decimals) at $60,000: $30,000 of $100,000 equity
    report = risk.check_order(
        "BTC", "buy", 50_000_000, 60_000_00, equity_cents=100_000_00, qty_decimals=8
    )
    assert not report.has_failures()
    assert "30.0% (BTC)" in next(c for c in report if c.name == "Max position").detail
    batch = risk.check_batch(
        [("BTC", "buy", 90_000_000, 60_000_00)],
        equity_cents=100_000_00,
        qty_decimals={"BTC": 8},
    )
    assert batch.reasons == (Reason.POSITION_LIMIT,)  # 0.9 BTC = 54% > 50%
    with pytest.raises(ValidationError) as info:
        risk.check_order("BTC", "buy", 1, 1, equity_cents=1, qty_decimals=-1)
    assert info.value.field == "qty_decimals"
