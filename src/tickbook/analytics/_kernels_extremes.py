"""Indicator kernels of rolling extremes (highest high, lowest low): stochastics, Williams' %R.

Same contract as ``_kernels_averages``. The highest high and lowest low of the last ``period``
rows come from van Herk / Gil-Werman blocks: three comparisons per bar and no rescans. Extremes are
exact, so any algorithm gives TA-Lib's values; the arithmetic after them follows TA-Lib.
"""

import numpy as np
from numba import njit

from tickbook.analytics._kernels_averages import screen, steady
from tickbook.analytics._kernels_high_low import rsi_step

__all__ = ["close_block", "fast_k", "stoch", "stochrsi", "willr"]

NAN = np.nan
NEG_INF = -np.inf
POS_INF = np.inf


@njit(cache=True, nogil=True)
def close_block(raw, suf, period):
    """Suffix highest highs and lowest lows of the block of ``period`` rows just completed."""
    ncol = raw.shape[2]
    last = period - 1
    for j in range(ncol):
        suf[0, last, j] = raw[0, last, j]
        suf[1, last, j] = raw[1, last, j]
    for k in range(period - 2, -1, -1):
        for j in range(ncol):
            suf[0, k, j] = max(raw[0, k, j], suf[0, k + 1, j])
            suf[1, k, j] = min(raw[1, k, j], suf[1, k + 1, j])


@njit(cache=True, nogil=True)
def fast_k(c, highest, lowest):
    """Raw stochastic %K of a close within [lowest, highest] (0 for a flat window)."""
    diff = (highest - lowest) * 0.01
    return (c - lowest) / diff if diff != 0.0 else 0.0


@njit(cache=True, nogil=True)
def stoch(high, low, close, fastk, slowk, slowd, tg, cnt, raw, suf, pre, sums, rk, rd,
          out_k, out_d):  # fmt: skip
    """Stochastic oscillator (TA-Lib STOCH with SMA smoothing; STOCHF when ``slowk`` is 1).

    Highest high and lowest low of the last ``fastk`` rows by van Herk / Gil-Werman: rows
    fall in blocks of ``fastk``; the window is the suffix extreme of the previous block
    (``suf``, rebuilt from ``raw`` as each block completes) against the running extreme of
    the current one (``pre``). Bars before a symbol's first hold -inf/+inf, which never win.
    ``sums``: the running sums of the %K and %D averages, whose rings are ``rk`` and ``rd``.
    """
    nrow, ncol = close.shape
    for t in range(nrow):
        now = tg[0]
        tg[0] += 1
        i = now % fastk
        tail = i + 1 < fastk
        sk = now % slowk
        ok = (now + 1) % slowk
        sd = now % slowd
        od = (now + 1) % slowd
        if steady(cnt, fastk + slowk + slowd, high, low, close, close, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                raw[0, i, j] = h
                raw[1, i, j] = lo
                if i > 0:
                    h = max(pre[0, j], h)
                    lo = min(pre[1, j], lo)
                pre[0, j] = h
                pre[1, j] = lo
                if tail:
                    h = max(h, suf[0, i + 1, j])
                    lo = min(lo, suf[1, i + 1, j])
                diff = (h - lo) * 0.01
                k = (c - lo) / (diff if diff != 0.0 else 1.0) if diff != 0.0 else 0.0
                rk[sk, j] = k
                acc = sums[0, j] + k
                k2 = acc / slowk
                sums[0, j] = acc - rk[ok, j]
                rd[sd, j] = k2
                acc = sums[1, j] + k2
                out_k[t, j] = k2
                out_d[t, j] = acc / slowd
                sums[1, j] = acc - rd[od, j]
                cnt[j] += 1
            if not tail:
                close_block(raw, suf, fastk)
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 2:
                return 1 + t * ncol + j
            out_k[t, j] = NAN
            out_d[t, j] = NAN
            if s == 1:
                raw[0, i, j] = NEG_INF
                raw[1, i, j] = POS_INF
                if i == 0:
                    pre[0, j] = NEG_INF
                    pre[1, j] = POS_INF
                continue
            n = cnt[j] + 1
            cnt[j] = n
            raw[0, i, j] = h
            raw[1, i, j] = lo
            if i > 0:
                h = max(pre[0, j], h)
                lo = min(pre[1, j], lo)
            pre[0, j] = h
            pre[1, j] = lo
            if tail:
                h = max(h, suf[0, i + 1, j])
                lo = min(lo, suf[1, i + 1, j])
            if n < fastk:
                continue
            k = fast_k(c, h, lo)
            nk = n - fastk + 1
            rk[sk, j] = k
            acc = sums[0, j] + k
            if nk < slowk:
                sums[0, j] = acc
                continue
            k2 = acc / slowk
            sums[0, j] = acc - rk[ok, j]
            rd[sd, j] = k2
            acc = sums[1, j] + k2
            if nk - slowk + 1 < slowd:
                sums[1, j] = acc
                continue
            out_k[t, j] = k2
            out_d[t, j] = acc / slowd
            sums[1, j] = acc - rd[od, j]
        if not tail:
            close_block(raw, suf, fastk)
    return 0


@njit(cache=True, nogil=True)
def stochrsi(x, period, fastk, fastd, tg, cnt, wilder, raw, suf, pre, sums, rd, out_k, out_d):
    """Stochastic RSI (TA-Lib STOCHRSI): a fast stochastic of the RSI series.

    ``wilder`` rows: previous close, average gain, average loss; the RSI's window extremes as
    in ``stoch`` (the RSI stands in for high, low and close); ``sums``/``rd``: the %D average.
    """
    nrow, ncol = x.shape
    for t in range(nrow):
        now = tg[0]
        tg[0] += 1
        i = now % fastk
        tail = i + 1 < fastk
        sd = now % fastd
        od = (now + 1) % fastd
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 2:
                return 1 + t * ncol + j
            out_k[t, j] = NAN
            out_d[t, j] = NAN
            c = cnt[j] + 1
            if s == 0:
                cnt[j] = c
                wilder[0, j], wilder[1, j], wilder[2, j], r = rsi_step(
                    c, v, period, wilder[0, j], wilder[1, j], wilder[2, j]
                )
            if s == 1 or c <= period:  # no RSI yet: a bar that never wins the extremes
                raw[0, i, j] = NEG_INF
                raw[1, i, j] = POS_INF
                if i == 0:
                    pre[0, j] = NEG_INF
                    pre[1, j] = POS_INF
                continue
            n = c - period
            raw[0, i, j] = r
            raw[1, i, j] = r
            h = r
            lo = r
            if i > 0:
                h = max(pre[0, j], h)
                lo = min(pre[1, j], lo)
            pre[0, j] = h
            pre[1, j] = lo
            if tail:
                h = max(h, suf[0, i + 1, j])
                lo = min(lo, suf[1, i + 1, j])
            if n < fastk:
                continue
            k = fast_k(r, h, lo)
            rd[sd, j] = k
            acc = sums[0, j] + k
            if n - fastk + 1 < fastd:
                sums[0, j] = acc
                continue
            out_k[t, j] = k
            out_d[t, j] = acc / fastd
            sums[0, j] = acc - rd[od, j]
        if not tail:
            close_block(raw, suf, fastk)
    return 0


@njit(cache=True, nogil=True)
def willr(high, low, close, period, tg, cnt, raw, suf, pre, out):
    """Williams' %R (TA-Lib WILLR): from 0 (at the high) to -100 (at the low).

    Window extremes as in ``stoch``.
    """
    nrow, ncol = close.shape
    for t in range(nrow):
        now = tg[0]
        tg[0] += 1
        i = now % period
        tail = i + 1 < period
        if steady(cnt, period, high, low, close, close, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                raw[0, i, j] = h
                raw[1, i, j] = lo
                if i > 0:
                    h = max(pre[0, j], h)
                    lo = min(pre[1, j], lo)
                pre[0, j] = h
                pre[1, j] = lo
                if tail:
                    h = max(h, suf[0, i + 1, j])
                    lo = min(lo, suf[1, i + 1, j])
                diff = (h - lo) * -0.01
                out[t, j] = (h - c) / (diff if diff != 0.0 else 1.0) if diff != 0.0 else 0.0
                cnt[j] += 1
            if not tail:
                close_block(raw, suf, period)
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 2:
                return 1 + t * ncol + j
            out[t, j] = NAN
            if s == 1:
                raw[0, i, j] = NEG_INF
                raw[1, i, j] = POS_INF
                if i == 0:
                    pre[0, j] = NEG_INF
                    pre[1, j] = POS_INF
                continue
            n = cnt[j] + 1
            cnt[j] = n
            raw[0, i, j] = h
            raw[1, i, j] = lo
            if i > 0:
                h = max(pre[0, j], h)
                lo = min(pre[1, j], lo)
            pre[0, j] = h
            pre[1, j] = lo
            if tail:
                h = max(h, suf[0, i + 1, j])
                lo = min(lo, suf[1, i + 1, j])
            if n >= period:
                diff = (h - lo) * -0.01
                out[t, j] = (h - c) / diff if diff != 0.0 else 0.0
        if not tail:
            close_block(raw, suf, period)
    return 0
