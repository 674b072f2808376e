"""Junk at every argument of the backtest and portfolio entry points: a result or a named refusal.

Hypothesis replaces one argument of a valid call with junk (None, bools, huge integers such as
10**400, NaN, infinities, strings, unhashable symbols, ragged rows, arrays of any shape, prices
scaled by 1e300): the call either succeeds or raises a ``TickbookError`` naming the field and
the value; no raw Python, numpy or Numba error gets out. ``Portfolio`` calls that are refused
leave its whole state (``to_dict``) unchanged.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tickbook.analytics import rolling_sharpe, rolling_volatility
from tickbook.backtest import backtest_weights
from tickbook.core import TickbookError
from tickbook.portfolio import (
    CostModel,
    Portfolio,
    RebalanceRules,
    compute_metrics,
    deflated_sharpe_ratio,
    drawdown_series,
)

_rng = np.random.default_rng(3)
CLOSE = np.round(100_00 * np.exp(np.cumsum(_rng.normal(0, 0.02, (30, 3)), axis=0)))
WEIGHTS = np.full((30, 3), 0.3)
ROWS_W = [[("A", 0.5), ("B", 0.4)]] * 4
ROWS_P = [[("A", 100_00), ("B", 50_00)], [("A", 101_00), ("B", 49_00)]] * 2
RETURNS = _rng.normal(5e-4, 1e-2, 80)

BACKTEST = {
    "weight_schedule": WEIGHTS,
    "price_schedule": CLOSE,
    "initial_cash": 1_000_000_00,
    "cost_bps": 5.0,
    "periods_per_year": 252.0,
    "risk_free": 0.0,
    "stop_cfg": {"trailing_stop_pct": 0.1},
    "fill": "close",
    "tick_size": None,
    "rules": None,
    "quantity_step": 1.0,
    "min_order_value": 0,
    "max_order_value": 0,
    "no_trade_band_bps": 0.0,
    "max_trades_per_rebalance": None,
    "max_rebalance_notional": 0,
    "symbols": ["A", "B", "C"],
}

_floats = st.floats(allow_nan=True, allow_infinity=True)
_el = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf]))
_arrays = st.one_of(
    hnp.arrays(np.float64, st.tuples(st.integers(0, 31), st.integers(0, 4)), elements=_el),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=_el),
)
_symbols = st.one_of(
    st.sampled_from(["A", "B", "C"]),
    st.text(max_size=10),
    st.lists(st.text(max_size=2), max_size=2),  # unhashable
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),  # unhashable
    st.integers(),
    st.none(),
)
_values = st.one_of(
    _floats,
    st.integers(-(10**20), 10**20),
    st.sampled_from([10**400, -(10**400), 2**63, 1e300, True, "1", None, [1.0], 1 + 2j]),
)
_rows = st.lists(
    st.lists(st.one_of(st.tuples(_symbols, _values), st.just(("A",)), st.just(7)), max_size=3),
    min_size=0,
    max_size=4,
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.sampled_from([10**400, 2**63, -1, 0]),
    _floats,
    st.text(max_size=4),
    st.lists(_floats, max_size=4),
    st.dictionaries(st.text(max_size=3), _floats, max_size=3),
    _arrays,
    _arrays.map(lambda a: a.astype(object)),
    _rows,
)


def _named(err: TickbookError) -> None:
    assert isinstance(err.field, str) and err.field, err
    assert f"`{err.field}`" in str(err), err
    assert "got" in str(err), err


def test_the_base_calls_are_valid():
    backtest_weights(**BACKTEST)
    backtest_weights(ROWS_W, ROWS_P)


@given(arg=st.sampled_from(sorted(BACKTEST)), junk=JUNK)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_backtest_junk_gives_a_result_or_a_named_refusal(arg, junk):
    try:
        backtest_weights(**{**BACKTEST, arg: junk})
    except TickbookError as err:
        _named(err)


@given(weights=_rows, prices=_rows)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_backtest_junk_rows_give_a_result_or_a_named_refusal(weights, prices):
    for w, p in ((weights, ROWS_P), (ROWS_W, prices), (weights, prices)):
        try:
            backtest_weights(w, p)
        except TickbookError as err:
            _named(err)


@given(scale=st.sampled_from([1e-300, 1e15, 1e100, 1e300]), tick=st.sampled_from([None, 0.01]))
@settings(max_examples=16, deadline=None)
def test_prices_scaled_to_extremes_give_a_result_or_a_named_refusal(scale, tick):
    try:
        result = backtest_weights(WEIGHTS, CLOSE * scale, tick_size=tick)
    except TickbookError as err:
        _named(err)
        return
    assert np.isfinite(result.equity_curve).all()


@given(
    returns=st.one_of(
        hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e300, 1e300)),
        hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-1.0, 1e300)),
        JUNK,
    ),
    ppy=st.one_of(st.just(252.0), JUNK),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_metrics_of_any_returns_give_a_result_or_a_named_refusal(returns, ppy):
    for call in (
        lambda: compute_metrics(returns, ppy),
        lambda: deflated_sharpe_ratio(returns, 3),
        lambda: drawdown_series(returns),
        lambda: rolling_sharpe(returns, 5, ppy),
        lambda: rolling_volatility(returns, 5, ppy),
    ):
        try:
            call()
        except TickbookError as err:
            _named(err)


def _busy() -> Portfolio:
    pf = Portfolio(1_000_000_00, CostModel(commission_bps=5), quantity_step=1.0)
    pf.rebalance_simple({"A": 0.5, "B": 0.3}, {"A": 100_00, "B": 50_00})
    pf.record_return({"A": 101_00, "B": 49_00})
    return pf


PORTFOLIO_CALLS = {
    "rebalance_simple.targets": lambda pf, j: pf.rebalance_simple(j, {"A": 100_00, "B": 5000}),
    "rebalance_simple.prices": lambda pf, j: pf.rebalance_simple({"A": 0.2}, j),
    "plan.targets": lambda pf, j: pf.plan(j, {"A": 100_00}),
    "record_return": lambda pf, j: pf.record_return(j),
    "total_equity": lambda pf, j: pf.total_equity(j),
    "compute_metrics": lambda pf, j: pf.compute_metrics(j),
    "constructor.cash": lambda pf, j: Portfolio(j),
    "constructor.rules": lambda pf, j: Portfolio(100, rules=j),
    "rules.step": lambda pf, j: RebalanceRules(quantity_step=j),
    "rules.band": lambda pf, j: RebalanceRules(no_trade_band_bps=j),
    "rules.min": lambda pf, j: RebalanceRules(min_order_value=j),
    "rules.max_trades": lambda pf, j: RebalanceRules(max_trades_per_rebalance=j),
}
_pairs = st.one_of(
    st.dictionaries(_symbols.filter(lambda s: isinstance(s, str)), _values, max_size=3),
    st.lists(st.tuples(_symbols, _values), max_size=3),
)


@pytest.mark.parametrize("call", sorted(PORTFOLIO_CALLS))
@given(junk=st.one_of(JUNK, _pairs))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_portfolio_refusals_name_the_field_and_change_nothing(call, junk):
    pf = _busy()
    before = pf.to_dict()
    try:
        PORTFOLIO_CALLS[call](pf, junk)
    except TickbookError as err:
        _named(err)
        assert pf.to_dict() == before


@given(
    arg=st.sampled_from(
        ["title", "benchmark", "benchmark_label", "rolling_window", "name", "note"]
    ),
    junk=st.one_of(JUNK, st.sampled_from(["../x", "a/b", "", ".", 10**400])),
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_tear_sheet_junk_gives_a_report_or_a_named_refusal(tmp_path_factory, arg, junk):
    from tickbook.backtest import tear_sheet

    out = tmp_path_factory.mktemp("sheet")
    try:
        tear_sheet(RETURNS, out, **{arg: junk})
    except TickbookError as err:
        _named(err)
        assert not any(out.iterdir())  # refused before writing anything
