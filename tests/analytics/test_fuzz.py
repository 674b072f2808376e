"""Every public analytics entry point answers junk with a TickbookError that names the field.

Hypothesis replaces one argument of a valid call with junk (None, bools, huge or negative
integers, NaN, strings, complex numbers, ragged lists, dicts, arrays of any shape with NaN or
infinity): the call either succeeds or raises a ``TickbookError`` whose message names the field
(```field```) and the value it got; no raw numpy, scipy or Numba error gets out. A second pass
feeds values that are wrong for sure (a window <= 0, NaN after a series starts, a 3-D array, an
unknown option) and checks that the error is a ``ValidationError`` for exactly that field.
"""

import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tickbook.analytics as A
from tickbook.analytics._engines import ENGINES
from tickbook.core import TickbookError, ValidationError

T = 60
_rng = np.random.default_rng(11)
C = 50.0 + np.cumsum(_rng.normal(0.0, 1.0, T))
H, L, OPEN = C + 1.0, C - 1.0, C + 0.25
V = _rng.integers(1, 9, T) * 1e3
R = _rng.normal(5e-4, 1e-2, (T, 4))
R1 = R[:, 0].copy()
G = np.tile(R1, 2) * 100.0  # 120 percent returns for GARCH

# Kinds of argument, for the checks that need to know what is wrong for sure:
# price: a 1-D input series of an indicator; returns: a return series or matrix;
# period: an integer window (<= 0 is always wrong); choice: one of a few strings;
# unit: a number strictly between 0 and 1; other: anything else.
HLC = {"high": "price", "low": "price", "close": "price"}
HLCV = {**HLC, "volume": "price"}


def _call(fn, kinds, **kwargs):
    return fn, kwargs, kinds


def _ind(fn, inputs, **params):
    """An indicator call: its price inputs and its (period-like) parameters."""
    kinds = {k: "price" for k in inputs} | {p: "period" for p in params}
    return fn, {**inputs, **params}, kinds


CLOSE = {"close": C}
HL_C = {"high": H, "low": L, "close": C}
HL_CV = {"high": H, "low": L, "close": C, "volume": V}
OPT = {"returns": "returns", "symbols": "other"}

ENTRIES = {
    "sma": _ind(A.sma, CLOSE, period=5),
    "ema": _ind(A.ema, CLOSE, period=5),
    "wma": _ind(A.wma, CLOSE, period=5),
    "rsi": _ind(A.rsi, CLOSE, period=5),
    "macd": _ind(A.macd, CLOSE, fast=3, slow=6, signal=2),
    "stoch": _ind(A.stoch, HL_C, fastk_period=5, slowk_period=3, slowd_period=3),
    "stochf": _ind(A.stochf, HL_C, fastk_period=5, fastd_period=3),
    "stochrsi": _ind(A.stochrsi, CLOSE, period=5, fastk_period=5, fastd_period=3),
    "trange": _ind(A.trange, HL_C),
    "atr": _ind(A.atr, HL_C, period=5),
    "natr": _ind(A.natr, HL_C, period=5),
    "bbands": _call(
        A.bbands, {"close": "price", "period": "period", "nbdev_up": "other",
                   "nbdev_dn": "other"}, close=C, period=5, nbdev_up=2.0, nbdev_dn=1.5,
    ),
    "obv": _ind(A.obv, {"close": C, "volume": V}),
    "vwap": _call(A.vwap, {**HLCV, "period": "other"}, **HL_CV, period=5),
    "adx": _ind(A.adx, HL_C, period=5),
    "dx": _ind(A.dx, HL_C, period=5),
    "plus_di": _ind(A.plus_di, HL_C, period=5),
    "minus_di": _ind(A.minus_di, HL_C, period=5),
    "cci": _ind(A.cci, HL_C, period=5),
    "mom": _ind(A.mom, CLOSE, period=5),
    "roc": _ind(A.roc, CLOSE, period=5),
    "rocp": _ind(A.rocp, CLOSE, period=5),
    "rocr": _ind(A.rocr, CLOSE, period=5),
    "willr": _ind(A.willr, HL_C, period=5),
    "ultosc": _ind(A.ultosc, HL_C, period1=3, period2=5, period3=7),
    "ad": _ind(A.ad, HL_CV),
    "adosc": _ind(A.adosc, HL_CV, fast=3, slow=6),
    "rolling_volatility": _call(
        A.rolling_volatility, {"returns": "price", "window": "period",
                               "periods_per_year": "other"},
        returns=R1, window=5, periods_per_year=252,
    ),
    "rolling_sharpe": _call(
        A.rolling_sharpe, {"returns": "price", "window": "period", "periods_per_year": "other"},
        returns=R1, window=5, periods_per_year=252,
    ),
    "realized_volatility": _call(
        A.realized_volatility, {"open": "returns", "high": "returns", "low": "returns",
                                "close": "returns", "method": "choice", "window": "other",
                                "periods_per_year": "other"},
        open=OPEN, high=H + 0.5, low=L - 0.5, close=C, method="parkinson", window=5,
        periods_per_year=252,
    ),
    "ewma_volatility": _call(
        A.ewma_volatility, {"returns": "returns", "lam": "unit"}, returns=R1, lam=0.94
    ),
    "fit_garch": _call(
        A.fit_garch, {"returns": "returns", "dist": "choice", "mean": "choice"},
        returns=G, dist="normal", mean="constant",
    ),
    "garch_forecast": _call(
        A.garch_forecast, {"returns": "returns", "horizon": "period", "dist": "choice",
                           "mean": "choice"},
        returns=G, horizon=3, dist="t", mean="zero",
    ),
    "covariance_matrix": _call(
        A.covariance_matrix, {"returns": "returns", "method": "choice"}, returns=R,
        method="ledoit_wolf",
    ),
    "correlation_matrix": _call(
        A.correlation_matrix, {"returns": "returns", "method": "choice"}, returns=R,
        method="spearman",
    ),
    "optimize_min_variance": _call(
        A.optimize_min_variance, {**OPT, "bounds": "other", "leverage": "other",
                                  "covariance": "choice"},
        returns=R, symbols=list("abcd"), bounds=(-0.5, 1.0), leverage=1.5, covariance="sample",
    ),
    "optimize_max_sharpe": _call(
        A.optimize_max_sharpe, {**OPT, "risk_free_rate": "other", "bounds": "other",
                                "leverage": "other", "covariance": "choice"},
        returns=R, symbols=list("abcd"), risk_free_rate=0.0, bounds=(0.0, 1.0), leverage=None,
        covariance="ledoit_wolf",
    ),
    "optimize_risk_parity": _call(
        A.optimize_risk_parity, {**OPT, "budgets": "other", "covariance": "choice"},
        returns=R, symbols=list("abcd"), budgets=[1, 2, 3, 4], covariance="sample",
    ),
    "optimize_hrp": _call(
        A.optimize_hrp, {**OPT, "linkage": "choice", "covariance": "choice"},
        returns=R, symbols=list("abcd"), linkage="ward", covariance="sample",
    ),
    "optimize_cvar": _call(
        A.optimize_cvar, {**OPT, "alpha": "unit", "bounds": "other", "leverage": "other"},
        returns=R, symbols=list("abcd"), alpha=0.9, bounds=(0.0, 1.0), leverage=None,
    ),
    "optimize_cdar": _call(
        A.optimize_cdar, {**OPT, "alpha": "unit", "bounds": "other", "leverage": "other"},
        returns=R, symbols=list("abcd"), alpha=0.9, bounds=(-0.5, 1.0), leverage=1.5,
    ),
    "value_at_risk": _call(
        A.value_at_risk, {"returns": "returns", "alpha": "unit", "method": "choice",
                          "weights": "other", "n_sims": "other", "seed": "other",
                          "dist": "choice", "dof": "other"},
        returns=R, alpha=0.95, method="monte_carlo", weights=[0.25] * 4, n_sims=500, seed=1,
        dist="t", dof=5.0,
    ),
    "conditional_value_at_risk": _call(
        A.conditional_value_at_risk, {"returns": "returns", "alpha": "unit", "method": "choice"},
        returns=R1, alpha=0.95, method="cornish_fisher",
    ),
    "portfolio_beta": _call(
        A.portfolio_beta, {"returns": "returns", "benchmark": "returns", "weights": "other"},
        returns=R, benchmark=R1, weights=[0.25] * 4,
    ),
    "stress_test": _call(
        A.stress_test, {"positions": "other", "scenarios": "other"},
        positions={"a": 1.0, "b": -2.0}, scenarios={"s": {"a": -0.1, "*": 0.05}},
    ),
}  # fmt: skip

ARGS = [(name, arg) for name, (_, _, kinds) in ENTRIES.items() for arg in kinds]

STREAMS = [getattr(A, n) for n in A.__all__ if n.endswith("Stream") and n != "IndicatorStream"]

_floats = st.floats(allow_nan=True, allow_infinity=True)
_el = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf]))
_arrays = st.one_of(
    hnp.arrays(np.float64, st.integers(0, T + 2), elements=_el),
    hnp.arrays(np.float64, st.tuples(st.integers(0, T + 2), st.integers(0, 5)), elements=_el),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=_el),
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    _floats,
    st.text(max_size=4),
    st.complex_numbers(max_magnitude=1e6),
    st.lists(_floats, max_size=4),
    st.lists(st.lists(_floats, max_size=3), min_size=1, max_size=3),  # often ragged
    st.lists(st.text(max_size=2), min_size=1, max_size=4),
    st.dictionaries(st.text(max_size=3), _floats, max_size=3),
    _arrays,
    _arrays.map(lambda a: a.astype(np.complex128)),
    _arrays.map(lambda a: a.astype(object)),
    _arrays.map(lambda a: a.astype(str)),
)


def _named(err: TickbookError) -> None:
    assert isinstance(err.field, str) and err.field, err
    assert f"`{err.field}`" in str(err), err
    assert "got" in str(err), err


def _refuses(fn, kwargs, field):
    with pytest.raises(ValidationError) as err:
        fn(**kwargs)
    _named(err.value)
    assert err.value.field == field, str(err.value)


def test_every_public_function_is_fuzzed():
    functions = {n for n in A.__all__ if n[0].islower() and n != "capabilities"}
    assert functions == set(ENTRIES)
    for name, (fn, kwargs, kinds) in ENTRIES.items():
        assert set(kwargs) == set(kinds), name
        fn(**kwargs)  # the base call is valid: a refusal below is the junk's doing


@given(where=st.sampled_from(ARGS), junk=JUNK)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_junk_gives_a_result_or_a_named_refusal(where, junk):
    name, arg = where
    fn, kwargs, _ = ENTRIES[name]
    try:
        fn(**{**kwargs, arg: junk})
    except TickbookError as err:
        _named(err)


@given(where=st.sampled_from(ARGS), data=st.data())
@settings(max_examples=300, deadline=None)
def test_values_wrong_for_sure_are_refused_naming_the_argument(where, data):
    name, arg = where
    fn, kwargs, kinds = ENTRIES[name]
    kind = kinds[arg]
    good = kwargs[arg]
    # a NaN on the only series of an indicator is a gap (the symbol restarts), not an error
    one_series = name in ENGINES and sum(k in ("price", "returns") for k in kinds.values()) == 1
    junk = [math.inf, -math.inf] if one_series else [math.nan, math.inf, -math.inf]
    if kind == "period":
        bad = data.draw(st.one_of(
            st.integers(max_value=0), st.floats(), st.text(max_size=3), st.none(), st.booleans()
        ))  # fmt: skip
    elif kind == "price":
        bad = np.array(good, dtype=float)
        bad[data.draw(st.integers(1, T - 1))] = data.draw(st.sampled_from(junk))
    elif kind == "returns":
        bad = np.array(good, dtype=float)
        flat = bad.reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1))] = data.draw(st.sampled_from(junk))
    elif kind == "choice":
        bad = data.draw(st.one_of(
            st.text(max_size=8).filter(lambda s: s not in _CHOICES), st.integers(), st.none(),
            st.just(np.array(["sample", "t"])), st.lists(st.text(max_size=3), max_size=2),
        ))  # fmt: skip
    elif kind == "unit":
        bad = data.draw(st.one_of(
            st.floats(max_value=0.0), st.floats(min_value=1.0), st.just(math.nan),
            st.text(max_size=3), st.none(),
        ))  # fmt: skip
    else:
        bad = data.draw(st.one_of(
            st.text(min_size=1, max_size=3), st.just(object()), st.complex_numbers(min_magnitude=1)
        ))  # fmt: skip
    _refuses(fn, {**kwargs, arg: bad}, arg)


_CHOICES = {
    "sample", "ledoit_wolf", "pearson", "spearman", "normal", "t", "constant", "zero",
    "historical", "cornish_fisher", "monte_carlo", "close_to_close", "parkinson",
    "garman_klass", "yang_zhang", "single", "complete", "average", "weighted", "centroid",
    "median", "ward",
}  # fmt: skip


@pytest.mark.parametrize(
    "name", sorted(n for n, (_, _, k) in ENTRIES.items() if "price" in k.values())
)
def test_a_three_d_input_is_refused_naming_it(name):
    fn, kwargs, kinds = ENTRIES[name]
    for arg, kind in kinds.items():
        if kind == "price":
            _refuses(fn, {**kwargs, arg: np.zeros((T, 2, 2))}, arg)


@pytest.mark.parametrize("cls", STREAMS, ids=lambda c: c.__name__)
@given(junk=JUNK, data=st.data())
@settings(max_examples=25, deadline=None)
def test_streams_refuse_junk_parameters_and_bars_and_stay_unchanged(cls, junk, data):
    params = list(inspect.signature(cls).parameters)
    if params:
        try:
            cls(**{data.draw(st.sampled_from(params)): junk})
        except TickbookError as err:
            _named(err)
    stream, fresh = cls(), cls()
    n_inputs = len(inspect.signature(stream.update).parameters)
    bars = [[10.0 + i + 0.5 * t for i in range(n_inputs)] for t in range(3)]
    stream.update(*bars[0])
    fresh.update(*bars[0])
    spot = data.draw(st.integers(0, n_inputs - 1))
    try:
        stream.update(*[junk if i == spot else v for i, v in enumerate(bars[1])])
    except TickbookError as err:
        _named(err)
    else:
        return  # the junk was a valid bar (a number)
    # refused: the stream is as if the junk bar never came
    for bar in bars[1:]:
        np.testing.assert_array_equal(
            np.asarray(stream.update(*bar), dtype=float),
            np.asarray(fresh.update(*bar), dtype=float),
        )


@given(horizon=JUNK)
@settings(max_examples=60, deadline=None)
def test_garch_forecast_horizon_junk_is_refused(horizon):
    fit = A.fit_garch(G)
    try:
        out = fit.forecast(horizon)
    except TickbookError as err:
        _named(err)
        assert err.field == "horizon"
    else:
        assert np.isfinite(out).all()


@given(scenario=JUNK)
@settings(max_examples=40, deadline=None)
def test_stress_report_refuses_unknown_scenarios(scenario):
    report = A.stress_test({"a": 1.0}, {"s": {"a": -0.1}})
    with pytest.raises(ValidationError) as err:
        report.loss(scenario)
    _named(err.value)
    assert err.value.field == "scenario"


SCALED = [
    (name, arg)
    for name, (_, kwargs, kinds) in ENTRIES.items()
    for arg, kind in kinds.items()
    if kind in ("price", "returns") and isinstance(kwargs[arg], np.ndarray)
]


@pytest.mark.parametrize(("name", "arg"), SCALED, ids=[f"{n}.{a}" for n, a in SCALED])
@pytest.mark.parametrize("scale", [1e300, -1e300, 1e-300])
def test_inputs_scaled_to_extremes_give_a_result_or_a_named_refusal(name, arg, scale):
    # the class of "prices x 1e300": overflow inside a formula is never a raw OverflowError
    fn, kwargs, _ = ENTRIES[name]
    try:
        fn(**{**kwargs, arg: kwargs[arg] * scale})
    except TickbookError as err:
        _named(err)
