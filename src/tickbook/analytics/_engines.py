"""Indicator engines: one kernel with its parameters bound, its state layout and its outputs.

Batch functions and streams are two drivers of the same engine: a batch call runs the kernel
once over the whole history from a fresh state; a stream keeps the state and runs the kernel on
one row per update. Same kernel, same state, same arithmetic: the same numbers.

Parameters are validated here (each factory names the offending field). Each factory imports
its kernel when it is called (the first indicator call loads Numba), so importing the
analytics package compiles nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.analytics._inputs import Shape, bad_value_error, check_float, check_period
from tickbook.core import CapacityError
from tickbook.core._checks import refuse

__all__ = ["ENGINES", "Engine"]

CLOSE = ("close",)
HLC = ("high", "low", "close")
HLCV = ("high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class Engine:
    """An indicator with bound parameters: ``run(new_state(n), arrays)`` computes it."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    lookback: int  # bars a series needs before its first value (TA-Lib's lookback)
    kernel: Callable[..., int]  # the compiled kernel (imported by its factory, on first use)
    params: tuple[Any, ...]
    state: Callable[[int], tuple[Any, ...]]
    select: tuple[int, ...] = ()  # which kernel outputs to return (default: all)
    n_kernel_outputs: int = 0  # kernel outputs when ``select`` drops some

    def new_state(self, ncol: int) -> tuple[Any, ...]:
        """Allocate a fresh state for ``ncol`` symbols."""
        try:
            return self.state(ncol)
        except MemoryError:
            raise CapacityError(
                f"`{self.name}` state for {ncol} symbols does not fit in memory: "
                "use a shorter window or fewer symbols",
                field="period",
                value=self.params[0] if self.params else None,
            ) from None

    def run(
        self, state: tuple[Any, ...], arrays: Sequence[np.ndarray], shape: Shape
    ) -> list[np.ndarray]:
        """Advance ``state`` over the rows of ``arrays``; return the outputs (rows x symbols)."""
        nrow, ncol = arrays[0].shape
        total = self.n_kernel_outputs or len(self.outputs)
        chosen = self.select or tuple(range(total))
        outs = [np.empty((nrow, ncol)) if i in chosen else np.empty((0, 0)) for i in range(total)]
        code = self.kernel(*arrays, *self.params, *state, *outs)
        if code:
            raise bad_value_error(int(code), arrays, self.inputs, shape)
        return [outs[i] for i in chosen]


def _tg() -> np.ndarray:
    return np.zeros(1, dtype=np.int64)


def _cnt(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


def _z(*shape: int) -> np.ndarray:
    return np.zeros(shape)


def _k(period: int) -> float:
    return 2.0 / (period + 1)


def sma(period: Any = 30) -> Engine:
    from tickbook.analytics._kernels_averages import sma as kernel

    p = check_period(period, "period")
    return Engine(
        "sma", CLOSE, ("sma",), p - 1, kernel, (p,),
        lambda n: (_tg(), _cnt(n), _z(n), _z(p, n)),
    )  # fmt: skip


def ema(period: Any = 30) -> Engine:
    from tickbook.analytics._kernels_averages import ema as kernel

    p = check_period(period, "period")
    return Engine("ema", CLOSE, ("ema",), p - 1, kernel, (p, _k(p)), lambda n: (_cnt(n), _z(n)))


def wma(period: Any = 30) -> Engine:
    from tickbook.analytics._kernels_averages import wma as kernel

    p = check_period(period, "period")
    return Engine(
        "wma", CLOSE, ("wma",), p - 1, kernel, (p,),
        lambda n: (_tg(), _cnt(n), _z(n), _z(n), _z(n), _z(p, n)),
    )  # fmt: skip


def macd(fast: Any = 12, slow: Any = 26, signal: Any = 9) -> Engine:
    from tickbook.analytics._kernels_averages import macd as kernel

    f = check_period(fast, "fast", lo=2)
    s = check_period(slow, "slow", lo=2)
    g = check_period(signal, "signal")
    if f > s:
        raise refuse("fast", f"a period no longer than `slow` ({s})", f)
    return Engine(
        "macd", CLOSE, ("macd", "signal", "hist"), s + g - 2, kernel,
        (f, s, g, _k(f), _k(s), _k(g)), lambda n: (_cnt(n), _z(n), _z(n), _z(n)),
    )  # fmt: skip


def bbands(period: Any = 20, nbdev_up: Any = 2.0, nbdev_dn: Any = 2.0) -> Engine:
    from tickbook.analytics._kernels_averages import bbands as kernel

    p = check_period(period, "period", lo=2)
    up = check_float(nbdev_up, "nbdev_up", lo=-1e6, hi=1e6)
    dn = check_float(nbdev_dn, "nbdev_dn", lo=-1e6, hi=1e6)
    return Engine(
        "bbands", CLOSE, ("upper", "middle", "lower"), p - 1, kernel, (p, up, dn),
        lambda n: (_tg(), _cnt(n), _z(n), _z(n), _z(2, n), _z(p, n)),
    )  # fmt: skip


def _change(name: str, kind: int, period: Any) -> Engine:
    from tickbook.analytics._kernels_averages import change as kernel

    p = check_period(period, "period")
    return Engine(
        name, CLOSE, (name,), p, kernel, (p, kind),
        lambda n: (_tg(), _cnt(n), _z(p + 1, n)),
    )  # fmt: skip


def mom(period: Any = 10) -> Engine:
    return _change("mom", 0, period)


def roc(period: Any = 10) -> Engine:
    return _change("roc", 1, period)


def rocp(period: Any = 10) -> Engine:
    return _change("rocp", 2, period)


def rocr(period: Any = 10) -> Engine:
    return _change("rocr", 3, period)


def obv() -> Engine:
    from tickbook.analytics._kernels_volume import obv as kernel

    return Engine(
        "obv", ("close", "volume"), ("obv",), 0, kernel, (),
        lambda n: (_cnt(n), _z(n), _z(n)),
    )  # fmt: skip


def ad() -> Engine:
    from tickbook.analytics._kernels_volume import ad_line as kernel

    return Engine("ad", HLCV, ("ad",), 0, kernel, (), lambda n: (_cnt(n), _z(n)))


def adosc(fast: Any = 3, slow: Any = 10) -> Engine:
    from tickbook.analytics._kernels_volume import adosc as kernel

    f = check_period(fast, "fast", lo=2)
    s = check_period(slow, "slow", lo=2)
    return Engine(
        "adosc", HLCV, ("adosc",), max(f, s) - 1, kernel, (f, s),
        lambda n: (_cnt(n), _z(n), _z(n), _z(n)),
    )  # fmt: skip


def vwap(period: Any = None) -> Engine:
    from tickbook.analytics._kernels_volume import vwap as kernel

    p = 0 if period is None else check_period(period, "period")
    size = max(p, 1)
    return Engine(
        "vwap", HLCV, ("vwap",), max(p - 1, 0), kernel, (p,),
        lambda n: (_tg(), _cnt(n), _z(n), _z(n), _z(size, n), _z(size, n)),
    )  # fmt: skip


def _rolling(name: str, sharpe: bool, window: Any, periods_per_year: Any) -> Engine:
    from tickbook.analytics._kernels_averages import rolling_stats as kernel

    w = check_period(window, "window", lo=2)
    ppy = check_float(periods_per_year, "periods_per_year", lo=0.0, hi=1e9, lo_open=True)
    return Engine(
        name, ("returns",), (name,), w - 1, kernel,
        (w, float(np.sqrt(ppy)), sharpe), lambda n: (_tg(), _cnt(n), _z(n), _z(n), _z(w, n)),
    )  # fmt: skip


def rolling_volatility(window: Any = 20, periods_per_year: Any = 252) -> Engine:
    return _rolling("rolling_volatility", False, window, periods_per_year)


def rolling_sharpe(window: Any = 63, periods_per_year: Any = 252) -> Engine:
    return _rolling("rolling_sharpe", True, window, periods_per_year)


def rsi(period: Any = 14) -> Engine:
    from tickbook.analytics._kernels_high_low import rsi as kernel

    p = check_period(period, "period", lo=2)
    return Engine(
        "rsi", CLOSE, ("rsi",), p, kernel, (p,),
        lambda n: (_cnt(n), _z(n), _z(n), _z(n)),
    )  # fmt: skip


def _extremes(n: int, period: int) -> tuple[np.ndarray, ...]:
    raw = np.zeros((2, period, n))
    suf = np.empty((2, period, n))
    suf[0] = -np.inf
    suf[1] = np.inf
    pre = np.empty((2, n))
    pre[0] = -np.inf
    pre[1] = np.inf
    return raw, suf, pre


def _stoch_state(n: int, fastk: int, slowk: int, slowd: int) -> tuple[Any, ...]:
    return (*_extremes(n, fastk), _z(2, n), _z(slowk, n), _z(slowd, n))


def stoch(fastk_period: Any = 5, slowk_period: Any = 3, slowd_period: Any = 3) -> Engine:
    from tickbook.analytics._kernels_extremes import stoch as kernel

    fk = check_period(fastk_period, "fastk_period")
    sk = check_period(slowk_period, "slowk_period")
    sd = check_period(slowd_period, "slowd_period")
    return Engine(
        "stoch", HLC, ("k", "d"), fk + sk + sd - 3, kernel, (fk, sk, sd),
        lambda n: (_tg(), _cnt(n), *_stoch_state(n, fk, sk, sd)),
    )  # fmt: skip


def stochf(fastk_period: Any = 5, fastd_period: Any = 3) -> Engine:
    from tickbook.analytics._kernels_extremes import stoch as kernel

    fk = check_period(fastk_period, "fastk_period")
    fd = check_period(fastd_period, "fastd_period")
    return Engine(
        "stochf", HLC, ("k", "d"), fk + fd - 2, kernel, (fk, 1, fd),
        lambda n: (_tg(), _cnt(n), *_stoch_state(n, fk, 1, fd)),
    )  # fmt: skip


def stochrsi(period: Any = 14, fastk_period: Any = 5, fastd_period: Any = 3) -> Engine:
    from tickbook.analytics._kernels_extremes import stochrsi as kernel

    p = check_period(period, "period", lo=2)
    fk = check_period(fastk_period, "fastk_period")
    fd = check_period(fastd_period, "fastd_period")
    return Engine(
        "stochrsi", CLOSE, ("k", "d"), p + fk + fd - 2, kernel, (p, fk, fd),
        lambda n: (_tg(), _cnt(n), _z(3, n), *_extremes(n, fk), _z(1, n), _z(fd, n)),
    )  # fmt: skip


def willr(period: Any = 14) -> Engine:
    from tickbook.analytics._kernels_extremes import willr as kernel

    p = check_period(period, "period", lo=2)
    return Engine(
        "willr", HLC, ("willr",), p - 1, kernel, (p,),
        lambda n: (_tg(), _cnt(n), *_extremes(n, p)),
    )  # fmt: skip


def _atr(name: str, mode: int, period: Any) -> Engine:
    from tickbook.analytics._kernels_high_low import atr as kernel

    p = 1 if mode == 0 else check_period(period, "period")
    return Engine(name, HLC, (name,), p, kernel, (p, mode), lambda n: (_cnt(n), _z(n), _z(n)))


def trange() -> Engine:
    return _atr("trange", 0, 1)


def atr(period: Any = 14) -> Engine:
    return _atr("atr", 1, period)


def natr(period: Any = 14) -> Engine:
    return _atr("natr", 2, period)


def _dmi(name: str, bit: int, index: int, period: Any) -> Engine:
    from tickbook.analytics._kernels_high_low import dmi as kernel

    p = check_period(period, "period", lo=2)
    lookback = 2 * p - 1 if bit == 1 else p
    return Engine(
        name, HLC, (name,), lookback, kernel, (p, bit),
        lambda n: (_cnt(n), _z(3, n), _z(5, n)), select=(index,), n_kernel_outputs=4,
    )  # fmt: skip


def adx(period: Any = 14) -> Engine:
    return _dmi("adx", 1, 0, period)


def dx(period: Any = 14) -> Engine:
    return _dmi("dx", 2, 1, period)


def plus_di(period: Any = 14) -> Engine:
    return _dmi("plus_di", 4, 2, period)


def minus_di(period: Any = 14) -> Engine:
    return _dmi("minus_di", 8, 3, period)


def cci(period: Any = 14) -> Engine:
    from tickbook.analytics._kernels_high_low import cci as kernel

    p = check_period(period, "period", lo=2)
    return Engine(
        "cci", HLC, ("cci",), p - 1, kernel, (p,),
        lambda n: (_tg(), _cnt(n), _z(p, n)),
    )  # fmt: skip


def ultosc(period1: Any = 7, period2: Any = 14, period3: Any = 28) -> Engine:
    from tickbook.analytics._kernels_high_low import ultosc as kernel

    p1 = check_period(period1, "period1")
    p2 = check_period(period2, "period2")
    p3 = check_period(period3, "period3")
    if p2 < p1:
        raise refuse("period2", f"a period >= `period1` ({p1})", p2)
    if p3 < p2:
        raise refuse("period3", f"a period >= `period2` ({p2})", p3)
    return Engine(
        "ultosc", HLC, ("ultosc",), p3, kernel, (p1, p2, p3),
        lambda n: (_tg(), _cnt(n), _z(n), _z(6, n), _z(p3, n), _z(p3, n)),
    )  # fmt: skip


#: Engine factory per indicator name.
ENGINES: dict[str, Callable[..., Engine]] = {
    f.__name__: f
    for f in (
        sma, ema, wma, macd, bbands, mom, roc, rocp, rocr, obv, ad, adosc, vwap,
        rolling_volatility, rolling_sharpe, rsi, stoch, stochf, stochrsi, willr, trange, atr,
        natr, adx, dx, plus_di, minus_di, cci, ultosc,
    )
}  # fmt: skip
