"""Junk at every entry point of tickbook.risk: a named ValidationError, and nothing changes."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.core import TickbookError, ValidationError
from tickbook.risk import RiskConfig, RiskEngine

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.binary(max_size=3),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.text(max_size=3), st.integers()),
)
pairs = st.one_of(junk, st.lists(st.tuples(st.text(max_size=3), junk), max_size=3))


def state(engine):
    return (engine.state, engine.peak_equity_cents, engine.open_orders, tuple(engine._sent))


@settings(max_examples=400, deadline=None)
@given(
    symbol=st.one_of(junk, st.just("AAPL")),
    side=st.one_of(junk, st.sampled_from(["buy", "sell"])),
    qty=st.one_of(junk, st.integers(1, 100)),
    price=st.one_of(junk, st.integers(1, 100_000)),
    equity=st.one_of(junk, st.integers(1, 10**9)),
    positions=pairs,
    ts=st.one_of(st.none(), junk),
)
def test_check_order_answers_or_refuses_by_name(symbol, side, qty, price, equity, positions, ts):
    engine = RiskEngine(max_orders_per_second=5, max_open_orders=3, max_positions=4)
    engine.update_equity(10**9)
    engine.on_order_sent(10)
    before = state(engine)
    try:
        report = engine.check_order(
            symbol, side, qty, price, equity_cents=equity, positions=positions, ts_ns=ts
        )
    except ValidationError as error:
        assert error.field and f"`{error.field}`" in str(error)
        assert state(engine) == before
    else:
        assert isinstance(report.has_failures(), bool)
        assert all(c["status"] in ("PASS", "WARN", "FAIL") for c in report)


@settings(max_examples=300, deadline=None)
@given(
    orders=st.one_of(
        junk,
        st.lists(
            st.tuples(
                st.sampled_from(["A", "B", ""]),
                st.one_of(st.sampled_from(["buy", "sell"]), junk),
                st.one_of(st.integers(1, 50), junk),
                st.one_of(st.integers(1, 500), junk),
            ),
            max_size=4,
        ),
    ),
    positions=pairs,
    targets=pairs,
    prices=pairs,
    equity=st.one_of(junk, st.integers(1, 10**9)),
)
def test_check_batch_answers_or_refuses_by_name(orders, positions, targets, prices, equity):
    engine = RiskEngine()
    before = state(engine)
    try:
        report = engine.check_batch(
            orders, equity_cents=equity, positions=positions, target_weights=targets, prices=prices
        )
    except ValidationError as error:
        assert error.field
        assert state(engine) == before
    else:
        assert isinstance(report.has_failures(), bool)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([
    "max_position_pct", "max_leverage", "allow_short", "max_order_value_cents", "var_alpha",
    "max_orders_per_second", "max_trade_usd", "bogus",
]), junk, max_size=4))  # fmt: skip
def test_config_from_dict_answers_or_refuses_by_name(values):
    try:
        cfg = RiskConfig.from_dict(values)
    except TickbookError as error:
        assert isinstance(error, ValidationError) and error.field
    else:
        assert math.isfinite(cfg.max_leverage) and cfg.max_leverage >= 0
