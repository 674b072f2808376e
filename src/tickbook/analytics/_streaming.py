"""Streaming indicators: feed bars one at a time, get the numbers the batch functions give.

A stream keeps the kernel state of its indicator and runs the same kernel as the batch
function on each new bar, so ``[s.update(x) for x in xs]`` equals ``sma(xs)`` to the last bit.
``update`` takes one bar: a number (one symbol, answers a float) or a 1-D array of N symbols
(answers an array). ``extend`` takes many bars at once (a 1-D history of one symbol or a 2-D
time x symbols panel), to prime a stream from history before going live.

A symbol that is not listed yet sends NaN on every input; once it has a bar, NaN is refused.
A refused bar leaves the stream exactly as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tickbook.analytics import _engines
from tickbook.analytics._engines import Engine
from tickbook.analytics._indicators import BandsResult, MACDResult, StochResult
from tickbook.analytics._inputs import Shape, bad_value_error, panels, real_array
from tickbook.core._checks import refuse

__all__ = [
    "ADOSCStream",
    "ADStream",
    "ADXStream",
    "ATRStream",
    "BBANDSStream",
    "CCIStream",
    "DXStream",
    "EMAStream",
    "IndicatorStream",
    "MACDStream",
    "MINUSDIStream",
    "MOMStream",
    "NATRStream",
    "OBVStream",
    "PLUSDIStream",
    "ROCPStream",
    "ROCRStream",
    "ROCStream",
    "RSIStream",
    "RollingSharpeStream",
    "RollingVolatilityStream",
    "SMAStream",
    "STOCHFStream",
    "STOCHRSIStream",
    "STOCHStream",
    "TRANGEStream",
    "ULTOSCStream",
    "VWAPStream",
    "WILLRStream",
    "WMAStream",
]

_RESULTS: dict[str, Any] = {
    "macd": MACDResult,
    "bbands": BandsResult,
    "stoch": StochResult,
    "stochf": StochResult,
    "stochrsi": StochResult,
}


class IndicatorStream:
    """Base of the streams: holds an indicator's engine, state and symbol count."""

    __slots__ = ("_engine", "_n", "_started", "_state")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._n = -1  # symbols, fixed by the first bar
        self._state: tuple[Any, ...] = ()
        self._started = np.zeros(0, dtype=bool)

    @property
    def name(self) -> str:
        """Indicator name (as in the batch function)."""
        return self._engine.name

    @property
    def lookback(self) -> int:
        """Bars a symbol needs before its first value (TA-Lib's lookback)."""
        return self._engine.lookback

    def reset(self) -> None:
        """Forget every bar seen; the next bar may change the number of symbols."""
        self._n = -1
        self._state = ()
        self._started = np.zeros(0, dtype=bool)

    def __repr__(self) -> str:
        symbols = "unset" if self._n < 0 else self._n
        return f"<{type(self).__name__} {self._engine.name} symbols={symbols}>"

    def _bar(self, values: list[tuple[Any, str]]) -> Any:
        rows: list[np.ndarray] = []
        ndim = 0
        for value, field in values:
            arr = real_array(value, field, "a number or a 1-D array of numbers")
            if arr.ndim > 1:
                raise refuse(field, "one bar: a number or a 1-D array", f"shape {arr.shape}")
            ndim = arr.ndim
            rows.append(arr.reshape(1, -1))
        n = rows[0].shape[1]
        for row, (_, field) in zip(rows, values, strict=True):
            if row.shape[1] != n or (self._n >= 0 and row.shape[1] != self._n):
                want = n if self._n < 0 else self._n
                raise refuse(field, f"{want} symbol(s) per bar", row.shape[1])
        stacked = np.concatenate(rows)
        finite = np.isfinite(stacked).all(axis=0)
        waiting = np.isnan(stacked).all(axis=0)
        started = self._started if self._n >= 0 else np.zeros(n, dtype=bool)
        bad = ~finite & ~waiting  # all NaN: not listed yet, or a gap (the symbol restarts)
        if bad.any():
            j = int(np.argmax(bad))
            field, value = next(
                (f, float(r[0, j]))
                for r, (_, f) in zip(rows, values, strict=True)
                if not np.isfinite(r[0, j])
            )
            where = "" if ndim == 0 else f" for symbol {j}"
            expected = "a finite number (NaN only before a symbol's first bar, on every input)"
            raise refuse(field, expected + where, value)
        shape = Shape(ndim=1 if ndim == 0 else 2)
        self._prepare(n)
        gap = waiting & started
        if gap.any():
            self._restart(np.flatnonzero(gap))
        outs = self._engine.run(self._state, rows, shape)
        self._started |= finite
        return self._result([shape.wrap_row(o[0]) for o in outs])

    def _restart(self, cols: np.ndarray) -> None:
        """Give symbols ``cols`` a fresh state: after a gap they start again, newly listed."""
        fresh = self._engine.new_state(self._n)
        for cur, new in zip(self._state, fresh, strict=True):
            # per-symbol arrays end in the symbol axis; the shared row counter (shape (1,))
            # is per-symbol only when there is one symbol
            if cur.ndim and cur.shape[-1] == self._n and (cur.shape != (1,) or self._n == 1):
                cur[..., cols] = new[..., cols]
        self._started[cols] = False

    def _history(self, values: list[tuple[Any, str]]) -> Any:
        arrays, shape = panels(values)
        n = arrays[0].shape[1]
        if self._n >= 0 and n != self._n:
            raise refuse(values[0][1], f"{self._n} symbol(s) per bar", n)
        if self._has_gap(arrays):  # rare: bar by bar, each gap restarting its symbol
            fields = [f for _, f in values]
            self._check_partial(arrays, fields, shape)  # refuse before anything moves
            rows = [self._bar([(a[t], f) for a, f in zip(arrays, fields, strict=True)])
                    for t in range(arrays[0].shape[0])]  # fmt: skip
            return self._stack(rows, shape)
        from tickbook.analytics._kernels_averages import check_inputs

        padded = [*arrays, *[arrays[0]] * (4 - len(arrays))]
        seen = (self._started if self._n >= 0 else np.zeros(n, dtype=bool)).astype(np.int64)
        code = check_inputs(*padded, seen)
        if code:  # refused before anything moved
            raise bad_value_error(int(code), arrays, self._engine.inputs, shape)
        self._prepare(n)
        outs = self._engine.run(self._state, arrays, shape)
        self._started |= seen > 0
        return self._result([shape.wrap(o) for o in outs])

    def _has_gap(self, arrays: list[np.ndarray]) -> bool:
        stacked = np.stack(arrays)
        nan = np.isnan(stacked).all(axis=0)
        seen = np.isfinite(stacked).all(axis=0)
        before = np.zeros_like(seen)  # started before this row
        before[1:] = np.logical_or.accumulate(seen, axis=0)[:-1]
        if self._n >= 0:
            before |= self._started
        return bool((nan & before).any())

    @staticmethod
    def _check_partial(arrays: list[np.ndarray], fields: list[str], shape: Shape) -> None:
        stacked = np.stack(arrays)
        bad = ~np.isfinite(stacked).all(axis=0) & ~np.isnan(stacked).all(axis=0)
        if bad.any():
            t, j = np.argwhere(bad)[0]
            raise bad_value_error(1 + int(t) * bad.shape[1] + int(j), arrays, fields, shape)

    def _stack(self, rows: list[Any], shape: Shape) -> Any:
        kind = _RESULTS.get(self._engine.name)
        parts = [list(r) for r in rows] if kind is not None else [[r] for r in rows]
        outs = []
        for k in range(len(parts[0]) if parts else len(self._engine.outputs)):
            col = [np.atleast_1d(np.asarray(p[k], dtype=np.float64)) for p in parts]
            outs.append(shape.wrap(np.vstack(col) if col else np.empty((0, 1))))
        return outs[0] if kind is None else kind(*outs)

    def _prepare(self, n: int) -> None:
        if self._n < 0:
            self._state = self._engine.new_state(n)
            self._started = np.zeros(n, dtype=bool)
            self._n = n

    def _result(self, outs: list[Any]) -> Any:
        kind = _RESULTS.get(self._engine.name)
        return outs[0] if kind is None else kind(*outs)


class _CloseStream(IndicatorStream):
    __slots__ = ()

    def update(self, close: Any) -> Any:
        """Feed one bar; return this bar's value (NaN during the warm-up)."""
        return self._bar([(close, "close")])

    def extend(self, close: Any) -> Any:
        """Feed many bars (a 1-D history or a time x symbols panel); return their values."""
        return self._history([(close, "close")])


class _HLCStream(IndicatorStream):
    __slots__ = ()

    def update(self, high: Any, low: Any, close: Any) -> Any:
        """Feed one bar; return this bar's value (NaN during the warm-up)."""
        return self._bar([(high, "high"), (low, "low"), (close, "close")])

    def extend(self, high: Any, low: Any, close: Any) -> Any:
        """Feed many bars; return their values."""
        return self._history([(high, "high"), (low, "low"), (close, "close")])


class _HLCVStream(IndicatorStream):
    __slots__ = ()

    def update(self, high: Any, low: Any, close: Any, volume: Any) -> Any:
        """Feed one bar; return this bar's value (NaN during the warm-up)."""
        return self._bar([(high, "high"), (low, "low"), (close, "close"), (volume, "volume")])

    def extend(self, high: Any, low: Any, close: Any, volume: Any) -> Any:
        """Feed many bars; return their values."""
        return self._history([(high, "high"), (low, "low"), (close, "close"), (volume, "volume")])


class _ReturnsStream(IndicatorStream):
    __slots__ = ()

    def update(self, returns: Any) -> Any:
        """Feed one period's return; return this period's value (NaN during the warm-up)."""
        return self._bar([(returns, "returns")])

    def extend(self, returns: Any) -> Any:
        """Feed many periods; return their values."""
        return self._history([(returns, "returns")])


class SMAStream(_CloseStream):
    """Streaming ``sma``."""

    __slots__ = ()

    def __init__(self, period: int = 30) -> None:
        super().__init__(_engines.sma(period))


class EMAStream(_CloseStream):
    """Streaming ``ema``."""

    __slots__ = ()

    def __init__(self, period: int = 30) -> None:
        super().__init__(_engines.ema(period))


class WMAStream(_CloseStream):
    """Streaming ``wma``."""

    __slots__ = ()

    def __init__(self, period: int = 30) -> None:
        super().__init__(_engines.wma(period))


class RSIStream(_CloseStream):
    """Streaming ``rsi``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.rsi(period))


class MACDStream(_CloseStream):
    """Streaming ``macd``; each bar gives a ``MACDResult``."""

    __slots__ = ()

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        super().__init__(_engines.macd(fast, slow, signal))


class BBANDSStream(_CloseStream):
    """Streaming ``bbands``; each bar gives a ``BandsResult``."""

    __slots__ = ()

    def __init__(self, period: int = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0) -> None:
        super().__init__(_engines.bbands(period, nbdev_up, nbdev_dn))


class STOCHRSIStream(_CloseStream):
    """Streaming ``stochrsi``; each bar gives a ``StochResult``."""

    __slots__ = ()

    def __init__(self, period: int = 14, fastk_period: int = 5, fastd_period: int = 3) -> None:
        super().__init__(_engines.stochrsi(period, fastk_period, fastd_period))


class MOMStream(_CloseStream):
    """Streaming ``mom``."""

    __slots__ = ()

    def __init__(self, period: int = 10) -> None:
        super().__init__(_engines.mom(period))


class ROCStream(_CloseStream):
    """Streaming ``roc``."""

    __slots__ = ()

    def __init__(self, period: int = 10) -> None:
        super().__init__(_engines.roc(period))


class ROCPStream(_CloseStream):
    """Streaming ``rocp``."""

    __slots__ = ()

    def __init__(self, period: int = 10) -> None:
        super().__init__(_engines.rocp(period))


class ROCRStream(_CloseStream):
    """Streaming ``rocr``."""

    __slots__ = ()

    def __init__(self, period: int = 10) -> None:
        super().__init__(_engines.rocr(period))


class STOCHStream(_HLCStream):
    """Streaming ``stoch``; each bar gives a ``StochResult``."""

    __slots__ = ()

    def __init__(self, fastk_period: int = 5, slowk_period: int = 3, slowd_period: int = 3) -> None:
        super().__init__(_engines.stoch(fastk_period, slowk_period, slowd_period))


class STOCHFStream(_HLCStream):
    """Streaming ``stochf``; each bar gives a ``StochResult``."""

    __slots__ = ()

    def __init__(self, fastk_period: int = 5, fastd_period: int = 3) -> None:
        super().__init__(_engines.stochf(fastk_period, fastd_period))


class TRANGEStream(_HLCStream):
    """Streaming ``trange``."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_engines.trange())


class ATRStream(_HLCStream):
    """Streaming ``atr``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.atr(period))


class NATRStream(_HLCStream):
    """Streaming ``natr``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.natr(period))


class ADXStream(_HLCStream):
    """Streaming ``adx``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.adx(period))


class DXStream(_HLCStream):
    """Streaming ``dx``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.dx(period))


class PLUSDIStream(_HLCStream):
    """Streaming ``plus_di``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.plus_di(period))


class MINUSDIStream(_HLCStream):
    """Streaming ``minus_di``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.minus_di(period))


class CCIStream(_HLCStream):
    """Streaming ``cci``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.cci(period))


class WILLRStream(_HLCStream):
    """Streaming ``willr``."""

    __slots__ = ()

    def __init__(self, period: int = 14) -> None:
        super().__init__(_engines.willr(period))


class ULTOSCStream(_HLCStream):
    """Streaming ``ultosc``."""

    __slots__ = ()

    def __init__(self, period1: int = 7, period2: int = 14, period3: int = 28) -> None:
        super().__init__(_engines.ultosc(period1, period2, period3))


class OBVStream(IndicatorStream):
    """Streaming ``obv``."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_engines.obv())

    def update(self, close: Any, volume: Any) -> Any:
        """Feed one bar; return this bar's value."""
        return self._bar([(close, "close"), (volume, "volume")])

    def extend(self, close: Any, volume: Any) -> Any:
        """Feed many bars; return their values."""
        return self._history([(close, "close"), (volume, "volume")])


class ADStream(_HLCVStream):
    """Streaming ``ad``."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_engines.ad())


class ADOSCStream(_HLCVStream):
    """Streaming ``adosc``."""

    __slots__ = ()

    def __init__(self, fast: int = 3, slow: int = 10) -> None:
        super().__init__(_engines.adosc(fast, slow))


class VWAPStream(_HLCVStream):
    """Streaming ``vwap`` (cumulative when ``period`` is None)."""

    __slots__ = ()

    def __init__(self, period: int | None = None) -> None:
        super().__init__(_engines.vwap(period))


class RollingVolatilityStream(_ReturnsStream):
    """Streaming ``rolling_volatility``."""

    __slots__ = ()

    def __init__(self, window: int = 20, periods_per_year: float = 252) -> None:
        super().__init__(_engines.rolling_volatility(window, periods_per_year))


class RollingSharpeStream(_ReturnsStream):
    """Streaming ``rolling_sharpe``."""

    __slots__ = ()

    def __init__(self, window: int = 63, periods_per_year: float = 252) -> None:
        super().__init__(_engines.rolling_sharpe(window, periods_per_year))
