"""Realized volatility from OHLC bars: close-to-close, Parkinson, Garman-Klass, Yang-Zhang.

Per-period standard deviations of log returns (multiply by sqrt(periods per year) to
annualise, or pass ``periods_per_year``). Over a whole sample they equal nanobook's
``realized_vol`` (the reference); ``window=w`` gives, at each bar, the same estimator over the
last ``w`` bars (NaN before the first full window). Per column for (time x symbols) panels.

With ``n`` bars in the sample (or window), ``r`` the close-to-close log returns, ``o = ln(O/C
prev)``, ``c = ln(C/O)``, ``u = ln(H/O)``, ``d = ln(L/O)``:

- close-to-close: sample deviation (ddof 1) of the ``n - 1`` returns ``r``;
- Parkinson (1980): sqrt(mean(ln(H/L)^2) / (4 ln 2)) over the ``n`` bars;
- Garman-Klass (1980): sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2));
- Yang-Zhang (2000): sqrt(var(o) + k var(c) + (1 - k) mean(RS)) over the ``m = n - 1`` bars
  that have a previous close, RS = u (u - c) + d (d - c) (Rogers-Satchell), variances ddof 1,
  k = 0.34 / (1.34 + (m + 1) / (m - 1)).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from tickbook.analytics._inputs import check_choice, check_float, check_period, panels
from tickbook.core._checks import refuse

__all__ = ["realized_volatility"]

_METHODS = ("close_to_close", "parkinson", "garman_klass", "yang_zhang")


def _window_sums(x: np.ndarray, w: int) -> np.ndarray:
    # sums over the trailing w rows (rows w-1..T-1), by differences of a cumulative sum
    c = np.cumsum(x, axis=0)
    out = c[w - 1 :].copy()
    out[1:] -= c[: c.shape[0] - w]
    return out


def _mean_var(x: np.ndarray, w: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and ddof-1 variance over the whole sample (w None) or trailing windows of w."""
    if w is None:
        return x.mean(axis=0, keepdims=True), x.var(axis=0, ddof=1, keepdims=True)
    # shift by the column means first: the sums of squares then lose nothing to cancellation
    ref = x.mean(axis=0)
    y = x - ref
    s1 = _window_sums(y, w)
    s2 = _window_sums(y * y, w)
    mean = s1 / w
    var = np.maximum((s2 - s1 * mean) / (w - 1), 0.0)
    return mean + ref, var


def _mean(x: np.ndarray, w: int | None) -> np.ndarray:
    if w is None:
        return x.mean(axis=0, keepdims=True)
    return _window_sums(x, w) / w


def realized_volatility(
    open: Any,
    high: Any,
    low: Any,
    close: Any,
    *,
    method: Literal["close_to_close", "parkinson", "garman_klass", "yang_zhang"] = "yang_zhang",
    window: int | None = None,
    periods_per_year: float | None = None,
) -> Any:
    """Estimate volatility from OHLC bars.

    Returns a float (series, whole sample), one value per column (panel, whole sample), or a
    series/panel of rolling estimates when ``window`` (in bars, >= 3) is given. Prices must
    be positive with high >= low.
    """
    check_choice(method, "method", _METHODS)
    arrays, shape = panels([(open, "open"), (high, "high"), (low, "low"), (close, "close")])
    o, h, lo, c = arrays
    nrow = o.shape[0]
    w = None if window is None else check_period(window, "window", lo=3)
    need = 3 if w is None else w
    if nrow < need:
        raise refuse("close", f"at least {need} bars", nrow)
    for arr, name in zip(arrays, ("open", "high", "low", "close"), strict=True):
        bad = ~(np.isfinite(arr) & (arr > 0.0))
        if bad.any():
            t, j = (int(v) for v in np.argwhere(bad)[0])
            raise refuse(name, f"positive finite prices (row {t}, column {j})", float(arr[t, j]))
    below = h < lo
    if below.any():
        t, j = (int(v) for v in np.argwhere(below)[0])
        raise refuse("high", f"a high >= the low (row {t}, column {j})", float(h[t, j]))
    scale = 1.0
    if periods_per_year is not None:
        scale = math.sqrt(
            check_float(periods_per_year, "periods_per_year", lo=0.0, hi=1e9, lo_open=True)
        )

    if method == "close_to_close":
        r = np.diff(np.log(c), axis=0)
        var = _mean_var(r, None if w is None else w - 1)[1]
        first = 0 if w is None else w - 1
    elif method in ("parkinson", "garman_klass"):
        hl = np.log(h / lo) ** 2
        if method == "parkinson":
            var = _mean(hl, w) / (4.0 * math.log(2.0))
        else:
            co = np.log(c / o) ** 2
            var = _mean(0.5 * hl - (2.0 * math.log(2.0) - 1.0) * co, w)
        first = 0 if w is None else w - 1
    else:
        m = nrow - 1 if w is None else w - 1
        k = 0.34 / (1.34 + (m + 1) / (m - 1))
        ov = np.log(o[1:] / c[:-1])
        oc = np.log(c[1:] / o[1:])
        u = np.log(h[1:] / o[1:])
        d = np.log(lo[1:] / o[1:])
        rs = u * (u - oc) + d * (d - oc)
        ww = None if w is None else w - 1
        var = _mean_var(ov, ww)[1] + k * _mean_var(oc, ww)[1] + (1.0 - k) * _mean(rs, ww)
        first = 0 if w is None else w - 1
    vol = np.sqrt(np.maximum(var, 0.0)) * scale
    if w is None:
        row = vol[0]
        if shape.ndim == 1:
            return float(row[0])
        if shape.pandas:
            import pandas as pd

            return pd.Series(row, index=shape.columns)
        return row
    out = np.full((nrow, o.shape[1]), np.nan)
    out[first:] = vol
    return shape.wrap(out)
