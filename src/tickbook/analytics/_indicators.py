"""Technical indicators over a series or a panel, equal to TA-Lib's on the same input.

Every function takes 1-D series (numpy, sequences, pandas Series) or 2-D panels (time x
symbols, numpy or DataFrame) and gives back the same form, NaN where TA-Lib gives no value
(the warm-up). In a panel, a symbol may start late: NaN on every input before its first bar is
"not listed yet", and its warm-up starts on that bar.

Gaps: NaN on every input of a bar after a symbol's first bar (a suspended stock) is a gap. The
gap's bars give NaN, and the symbol restarts after it as if newly listed: its warm-up runs
again (``lookback`` bars of NaN), so no window straddles the gap and no average carries a
value from before it. (TA-Lib has no gap rule: a NaN runs through its arithmetic; pandas'
rolling windows give NaN while the window holds the gap. Restarting is the conservative
choice: every value after a gap uses only bars after it.) Streams do the same one bar at a
time. Any other NaN (on some inputs only) or infinity is refused with a ``ValidationError``
naming the input and the row. Defaults are TA-Lib's, except ``bbands``
(20 bars, the usual Bollinger window; TA-Lib's default is 5).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tickbook.analytics import _engines
from tickbook.analytics._engines import Engine
from tickbook.analytics._inputs import Shape, _is_pandas, bad_value_error, panels, real_array
from tickbook.core._checks import check_float

__all__ = [
    "BandsResult",
    "MACDResult",
    "StochResult",
    "ad",
    "adosc",
    "adx",
    "atr",
    "bbands",
    "cci",
    "dx",
    "ema",
    "macd",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "plus_di",
    "roc",
    "rocp",
    "rocr",
    "rolling_sharpe",
    "rolling_volatility",
    "rsi",
    "sma",
    "stoch",
    "stochf",
    "stochrsi",
    "trange",
    "ultosc",
    "vwap",
    "willr",
    "wma",
]


class MACDResult(NamedTuple):
    """MACD line (fast EMA - slow EMA), its signal EMA, and their difference."""

    macd: Any
    signal: Any
    hist: Any


class StochResult(NamedTuple):
    """A stochastic's %K line and its %D average."""

    k: Any
    d: Any


class BandsResult(NamedTuple):
    """Upper band, middle band (the moving average) and lower band."""

    upper: Any
    middle: Any
    lower: Any


def compute(engine: Engine, values: list[tuple[Any, str]]) -> tuple[Shape, list[np.ndarray]]:
    """Run ``engine`` over whole histories from a fresh state; return the shape and outputs.

    A gap (every input NaN after a symbol has started) restarts that symbol: each stretch
    between gaps runs from a fresh state, as a newly listed symbol would.
    """
    arrays, shape = panels(values)
    gap = gap_rows(arrays, engine.inputs, shape)
    if gap is None:
        return shape, _run(engine, arrays, shape)
    nrow, ncol = arrays[0].shape
    outs = [np.full((nrow, ncol), np.nan) for _ in engine.outputs]
    plain = np.flatnonzero(~gap.any(axis=0))
    if len(plain):
        got = _run(engine, [np.ascontiguousarray(a[:, plain]) for a in arrays], shape)
        for out, part in zip(outs, got, strict=True):
            out[:, plain] = part
    for j in np.flatnonzero(gap.any(axis=0)):
        for start, stop in _stretches(gap[:, j]):
            piece = [np.ascontiguousarray(a[start:stop, j : j + 1]) for a in arrays]
            for out, part in zip(outs, _run(engine, piece, shape), strict=True):
                out[start:stop, j] = part[:, 0]
    return shape, outs


def gap_rows(arrays: list[np.ndarray], fields: Any, shape: Shape) -> np.ndarray | None:
    """The (rows x symbols) mask of gap bars, or ``None`` without any.

    A gap bar has every input NaN after the symbol's first bar (a suspended stock). A bar with
    only some inputs NaN, or an infinity, is refused here, naming the input and the row.
    """
    stacked = np.stack(arrays)
    nan = np.isnan(stacked).all(axis=0)
    finite = np.isfinite(stacked).all(axis=0)
    started = np.zeros_like(finite)
    started[1:] = np.logical_or.accumulate(finite, axis=0)[:-1]
    gap = nan & started
    if not gap.any():
        return None  # the kernels check the rest in the pass that computes
    bad = ~finite & ~nan
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise bad_value_error(1 + int(t) * bad.shape[1] + int(j), arrays, fields, shape)
    return gap


def _stretches(gap: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the runs of rows between gaps (a run may open with leading NaN)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([1], gap.astype(np.int8), [1]))))
    # runs of non-gap rows: from a 1->0 edge to the next 0->1 edge
    return [(int(edges[k]), int(edges[k + 1])) for k in range(0, len(edges), 2)]


def _run(engine: Engine, arrays: list[np.ndarray], shape: Shape) -> list[np.ndarray]:
    nrow, ncol = arrays[0].shape
    if engine.lookback < nrow:
        return engine.run(engine.new_state(ncol), arrays, shape)
    # The window is longer than the data: no value anywhere, but the input is still checked.
    from tickbook.analytics._kernels_averages import check_inputs

    padded = [*arrays, *[arrays[0]] * (4 - len(arrays))]
    code = check_inputs(*padded, np.zeros(ncol, dtype=np.int64))
    if code:
        raise bad_value_error(int(code), arrays, engine.inputs, shape)
    return [np.full((nrow, ncol), np.nan) for _ in engine.outputs]


def _one(engine: Engine, values: list[tuple[Any, str]]) -> Any:
    shape, outs = compute(engine, values)
    return shape.wrap(outs[0])


def _close(engine: Engine, close: Any) -> Any:
    return _one(engine, [(close, "close")])


def _hlc(engine: Engine, high: Any, low: Any, close: Any) -> Any:
    return _one(engine, [(high, "high"), (low, "low"), (close, "close")])


def _hlcv(engine: Engine, high: Any, low: Any, close: Any, volume: Any) -> Any:
    return _one(engine, [(high, "high"), (low, "low"), (close, "close"), (volume, "volume")])


def sma(close: Any, period: int = 30) -> Any:
    """Simple moving average over ``period`` bars (TA-Lib ``SMA``)."""
    return _close(_engines.sma(period), close)


def ema(close: Any, period: int = 30) -> Any:
    """Exponential moving average, k = 2 / (period + 1), seeded with an SMA (TA-Lib ``EMA``)."""
    return _close(_engines.ema(period), close)


def wma(close: Any, period: int = 30) -> Any:
    """Linearly weighted moving average, newest bar weighted ``period`` (TA-Lib ``WMA``)."""
    return _close(_engines.wma(period), close)


def rsi(close: Any, period: int = 14) -> Any:
    """Relative strength index, 0-100, with Wilder's smoothing (TA-Lib ``RSI``)."""
    return _close(_engines.rsi(period), close)


def macd(close: Any, fast: int = 12, slow: int = 26, signal: int = 9) -> MACDResult:
    """MACD line, signal line and histogram (TA-Lib ``MACD``); ``fast`` <= ``slow``."""
    shape, outs = compute(_engines.macd(fast, slow, signal), [(close, "close")])
    return MACDResult(*(shape.wrap(o) for o in outs))


def stoch(
    high: Any,
    low: Any,
    close: Any,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> StochResult:
    """Slow stochastic: %K smoothed by an SMA, and %D (TA-Lib ``STOCH`` with SMA averages)."""
    engine = _engines.stoch(fastk_period, slowk_period, slowd_period)
    shape, outs = compute(engine, [(high, "high"), (low, "low"), (close, "close")])
    return StochResult(*(shape.wrap(o) for o in outs))


def stochf(
    high: Any, low: Any, close: Any, fastk_period: int = 5, fastd_period: int = 3
) -> StochResult:
    """Fast stochastic: raw %K and its SMA %D (TA-Lib ``STOCHF`` with an SMA average)."""
    engine = _engines.stochf(fastk_period, fastd_period)
    shape, outs = compute(engine, [(high, "high"), (low, "low"), (close, "close")])
    return StochResult(*(shape.wrap(o) for o in outs))


def stochrsi(
    close: Any, period: int = 14, fastk_period: int = 5, fastd_period: int = 3
) -> StochResult:
    """Fast stochastic of the RSI series (TA-Lib ``STOCHRSI`` with an SMA average)."""
    engine = _engines.stochrsi(period, fastk_period, fastd_period)
    shape, outs = compute(engine, [(close, "close")])
    return StochResult(*(shape.wrap(o) for o in outs))


def trange(high: Any, low: Any, close: Any) -> Any:
    """True range: the bar's range stretched to the previous close (TA-Lib ``TRANGE``)."""
    return _hlc(_engines.trange(), high, low, close)


def atr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average true range with Wilder's smoothing (TA-Lib ``ATR``)."""
    return _hlc(_engines.atr(period), high, low, close)


def natr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """ATR as a percent of the close (TA-Lib ``NATR``)."""
    return _hlc(_engines.natr(period), high, low, close)


def bbands(
    close: Any, period: int = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0
) -> BandsResult:
    """Bollinger Bands: SMA +- deviations (population, ddof 0) (TA-Lib ``BBANDS``, SMA)."""
    shape, outs = compute(_engines.bbands(period, nbdev_up, nbdev_dn), [(close, "close")])
    return BandsResult(*(shape.wrap(o) for o in outs))


def obv(close: Any, volume: Any) -> Any:
    """On-balance volume, starting from the first bar's volume (TA-Lib ``OBV``)."""
    return _one(_engines.obv(), [(close, "close"), (volume, "volume")])


def vwap(high: Any, low: Any, close: Any, volume: Any, period: int | None = None) -> Any:
    """Volume-weighted average of the typical price (high + low + close) / 3.

    Over the last ``period`` bars, or since the first bar when ``period`` is None. TA-Lib has
    no VWAP: the reference is the textbook definition sum(tp * v) / sum(v) (as pandas-ta and
    most charting packages compute it), checked against a pandas rolling-sum computation.
    A window without volume has no VWAP (NaN).
    """
    return _hlcv(_engines.vwap(period), high, low, close, volume)


def adx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average directional index (TA-Lib ``ADX``)."""
    return _hlc(_engines.adx(period), high, low, close)


def dx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Directional movement index (TA-Lib ``DX``)."""
    return _hlc(_engines.dx(period), high, low, close)


def plus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Plus directional indicator, +DI (TA-Lib ``PLUS_DI``)."""
    return _hlc(_engines.plus_di(period), high, low, close)


def minus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Minus directional indicator, -DI (TA-Lib ``MINUS_DI``)."""
    return _hlc(_engines.minus_di(period), high, low, close)


def cci(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Commodity channel index (TA-Lib ``CCI``)."""
    return _hlc(_engines.cci(period), high, low, close)


def mom(close: Any, period: int = 10) -> Any:
    """Momentum: close - close ``period`` bars ago (TA-Lib ``MOM``)."""
    return _close(_engines.mom(period), close)


def roc(close: Any, period: int = 10) -> Any:
    """Rate of change in percent: (close / prev - 1) * 100 (TA-Lib ``ROC``; 0 if prev is 0)."""
    return _close(_engines.roc(period), close)


def rocp(close: Any, period: int = 10) -> Any:
    """Rate of change as a fraction: (close - prev) / prev (TA-Lib ``ROCP``)."""
    return _close(_engines.rocp(period), close)


def rocr(close: Any, period: int = 10) -> Any:
    """Rate of change as a ratio: close / prev (TA-Lib ``ROCR``)."""
    return _close(_engines.rocr(period), close)


def willr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Williams' %R, 0 at the window's high to -100 at its low (TA-Lib ``WILLR``)."""
    return _hlc(_engines.willr(period), high, low, close)


def ultosc(
    high: Any, low: Any, close: Any, period1: int = 7, period2: int = 14, period3: int = 28
) -> Any:
    """Ultimate oscillator, weights 4:2:1 from the shortest window (TA-Lib ``ULTOSC``)."""
    return _hlc(_engines.ultosc(period1, period2, period3), high, low, close)


def ad(high: Any, low: Any, close: Any, volume: Any) -> Any:
    """Chaikin accumulation/distribution line (TA-Lib ``AD``)."""
    return _hlcv(_engines.ad(), high, low, close, volume)


def adosc(high: Any, low: Any, close: Any, volume: Any, fast: int = 3, slow: int = 10) -> Any:
    """Chaikin A/D oscillator: EMA(fast) - EMA(slow) of the A/D line (TA-Lib ``ADOSC``)."""
    return _hlcv(_engines.adosc(fast, slow), high, low, close, volume)


def rolling_volatility(returns: Any, window: int = 20, periods_per_year: float = 252) -> Any:
    """Sample standard deviation (ddof 1) of the last ``window`` returns, annualised.

    TA-Lib has no such function; the reference is pandas ``rolling(window).std()`` times
    sqrt(periods_per_year), which nanobook's ``py_rolling_volatility`` also computes.
    """
    return _one(_engines.rolling_volatility(window, periods_per_year), [(returns, "returns")])


def rolling_sharpe(
    returns: Any, window: int = 63, periods_per_year: float = 252, risk_free: float = 0.0
) -> Any:
    """Mean over sample deviation of the last ``window`` returns, annualised (NaN if flat).

    The reference is pandas ``rolling(window).mean() / rolling(window).std()`` times
    sqrt(periods_per_year), as nanobook's ``py_rolling_sharpe`` computes it; ``risk_free``
    (per period) is taken from every return first. The one rolling Sharpe of tickbook (the
    tear sheet draws this one).
    """
    engine = _engines.rolling_sharpe(window, periods_per_year)
    rf = check_float(risk_free, "risk_free", expected="a finite number")
    if rf:
        returns = returns - rf if _is_pandas(returns) else real_array(
            returns, "returns", "a series or panel of returns"
        ) - rf  # fmt: skip
    return _one(engine, [(returns, "returns")])
