"""Indicator kernels of one series: moving averages, bands, changes and rolling statistics.

Contract (shared by every ``_kernels_*`` indicator module): every kernel advances a panel of
series over the rows of its inputs (shape (time, symbols), C order) and resumes from the state
arrays it is given, so one call over a whole history and one call per streamed row give the
same numbers. The state is plain arrays: ``tg`` (one int64, rows seen so far: ring buffers
are indexed by it) and ``cnt`` (int64 per symbol, valid bars seen so far) plus the kernel's
own sums and rings.

A NaN on every input of a bar before a symbol's first valid bar means "not listed yet": the
output is NaN and the state does not move. Any other NaN or infinity is bad input: the kernel
stops and returns ``1 + t * n_symbols + j`` for the first bad element (0 when all went well);
the wrapper turns that into a ``ValidationError``. The arithmetic follows TA-Lib's C code step
for step (same sums, same order, same zero guards), so the numbers agree to the last bits.
"""

import math

import numpy as np
from numba import njit

__all__ = [
    "EPS_ZERO",
    "bbands",
    "change",
    "check_inputs",
    "ema",
    "macd",
    "rebase",
    "rolling_stats",
    "screen",
    "sma",
    "steady",
    "wma",
]

NAN = np.nan
#: TA-Lib's TA_IS_ZERO band: |x| below this counts as zero in its divisions.
EPS_ZERO = 1e-8

# Change kinds for ``change``.
MOM, ROC, ROCP, ROCR = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def screen(started, a, b, c, d):
    """Classify one bar of up to four inputs: 0 use it, 1 skip (not listed yet), 2 bad."""
    if math.isfinite(a) and math.isfinite(b) and math.isfinite(c) and math.isfinite(d):
        return 0
    if not started and a != a and b != b and c != c and d != d:
        return 1
    return 2


@njit(cache=True, nogil=True)
def steady(cnt, need, a, b, c, d, t):
    """True when every symbol has seen ``need`` bars and row ``t`` of the inputs is finite.

    Kernels then run that row through a branch-free copy of their steady-state arithmetic
    (same operations in the same order, so the same bits), which the compiler vectorises.
    """
    ncol = cnt.shape[0]
    for j in range(ncol):
        if cnt[j] < need:
            return False
    ok = True
    for j in range(ncol):
        ok &= math.isfinite(a[t, j]) & math.isfinite(b[t, j])
        ok &= math.isfinite(c[t, j]) & math.isfinite(d[t, j])
    return ok


@njit(cache=True, nogil=True)
def check_inputs(a, b, c, d, cnt):
    """Apply only the input rule (for windows longer than the data): 0 or the bad-input code."""
    nrow, ncol = a.shape
    for t in range(nrow):
        for j in range(ncol):
            s = screen(cnt[j] > 0, a[t, j], b[t, j], c[t, j], d[t, j])
            if s == 2:
                return 1 + t * ncol + j
            if s == 0:
                cnt[j] += 1
    return 0


@njit(cache=True, nogil=True)
def ema_push(c, acc, v, period, k):
    """Feed value number ``c`` (1-based) to an EMA: SMA seed, then ``(v - m) * k + m``."""
    if c < period:
        return acc + v, NAN
    if c == period:
        m = (acc + v) / period
        return m, m
    m = (v - acc) * k + acc
    return m, m


@njit(cache=True, nogil=True)
def sma(x, period, tg, cnt, total, ring, out):
    """Simple moving average (TA-Lib SMA): running sum, first value on bar ``period``."""
    nrow, ncol = x.shape
    for t in range(nrow):
        slot = tg[0] % period
        tg[0] += 1
        old = tg[0] % period  # slot of the oldest bar of the window once this one is in
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            ring[slot, j] = v
            c = cnt[j] + 1
            cnt[j] = c
            acc = total[j] + v
            if c >= period:
                out[t, j] = acc / period
                acc -= ring[old, j]
            else:
                out[t, j] = NAN
            total[j] = acc
    return 0


@njit(cache=True, nogil=True)
def ema(x, period, k, cnt, acc, out):
    """Exponential moving average (TA-Lib EMA): seeded with the SMA of the first bars."""
    nrow, ncol = x.shape
    for t in range(nrow):
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            c = cnt[j] + 1
            cnt[j] = c
            acc[j], out[t, j] = ema_push(c, acc[j], v, period, k)
    return 0


@njit(cache=True, nogil=True)
def wma(x, period, tg, cnt, psum, psub, trail, ring, out):
    """Linearly weighted moving average (TA-Lib WMA, with its running-sum algorithm)."""
    nrow, ncol = x.shape
    divider = period * (period + 1) // 2
    for t in range(nrow):
        slot = tg[0] % period
        tg[0] += 1
        old = tg[0] % period
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            ring[slot, j] = v
            c = cnt[j] + 1
            cnt[j] = c
            if period == 1:
                out[t, j] = v
            elif c < period:
                psub[j] += v
                psum[j] += v * c
                out[t, j] = NAN
            else:
                sub = psub[j] + v
                sub -= trail[j]
                total = psum[j] + v * period
                trail[j] = ring[old, j]
                out[t, j] = total / divider
                psum[j] = total - sub
                psub[j] = sub
    return 0


@njit(cache=True, nogil=True)
def macd(x, fast, slow, signal, kf, ks, kg, cnt, acc_f, acc_s, acc_g, out_m, out_g, out_h):
    """MACD (TA-Lib MACD): the fast EMA is seeded on the bars that end the slow EMA's seed."""
    nrow, ncol = x.shape
    lag = slow - fast
    fast_v = NAN
    for t in range(nrow):
        if steady(cnt, slow + signal - 1, x, x, x, x, t):  # every EMA past its seed
            for j in range(ncol):
                v = x[t, j]
                sv = (v - acc_s[j]) * ks + acc_s[j]
                fv = (v - acc_f[j]) * kf + acc_f[j]
                m = fv - sv
                g = (m - acc_g[j]) * kg + acc_g[j]
                acc_s[j] = sv
                acc_f[j] = fv
                acc_g[j] = g
                out_m[t, j] = m
                out_g[t, j] = g
                out_h[t, j] = m - g
                cnt[j] += 1
            continue
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 2:
                return 1 + t * ncol + j
            out_m[t, j] = NAN
            out_g[t, j] = NAN
            out_h[t, j] = NAN
            if s == 1:
                continue
            c = cnt[j] + 1
            cnt[j] = c
            acc_s[j], slow_v = ema_push(c, acc_s[j], v, slow, ks)
            if c > lag:
                acc_f[j], fast_v = ema_push(c - lag, acc_f[j], v, fast, kf)
            if c >= slow:
                m = fast_v - slow_v
                cg = c - slow + 1
                acc_g[j], g = ema_push(cg, acc_g[j], m, signal, kg)
                if cg >= signal:
                    out_m[t, j] = m
                    out_g[t, j] = g
                    out_h[t, j] = m - g
    return 0


@njit(cache=True, nogil=True)
def bbands(x, period, up, dn, tg, cnt, total, anchor, sums, ring, upper, middle, lower):
    """Bollinger Bands (TA-Lib BBANDS with SMA): mean +- population deviation of the window.

    The middle band is TA-Lib's running-sum SMA. The deviation comes from running sums of
    ``x - anchor`` and its square, the anchor moving to the window mean every ``period`` rows
    (the sums are then rebuilt from the ring): no cancellation, O(1) per bar, within 1e-12 of
    a two-pass computation (TA-Lib's own deviation is as accurate).
    """
    nrow, ncol = x.shape
    inv = 1.0 / period
    for t in range(nrow):
        slot = tg[0] % period
        tg[0] += 1
        old = tg[0] % period
        if steady(cnt, period, x, x, x, x, t):
            for j in range(ncol):
                v = x[t, j]
                ring[slot, j] = v
                k = anchor[j]
                acc = total[j] + v
                d = v - k
                a1 = sums[0, j] + d
                a2 = sums[1, j] + d * d
                mean = acc / period
                m1 = a1 * inv
                var = a2 * inv - m1 * m1
                sd = math.sqrt(var if var >= EPS_ZERO else 0.0)
                middle[t, j] = mean
                upper[t, j] = mean + sd * up
                lower[t, j] = mean - sd * dn
                o = ring[old, j]
                d = o - k
                total[j] = acc - o
                sums[0, j] = a1 - d
                sums[1, j] = a2 - d * d
                cnt[j] += 1
            if old == 0:
                rebase(ring, old, period, cnt, middle[t], anchor, sums)
            continue
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 2:
                return 1 + t * ncol + j
            upper[t, j] = NAN
            middle[t, j] = NAN
            lower[t, j] = NAN
            if s == 1:
                continue
            if cnt[j] == 0:
                anchor[j] = v
            ring[slot, j] = v
            c = cnt[j] + 1
            cnt[j] = c
            k = anchor[j]
            acc = total[j] + v
            d = v - k
            a1 = sums[0, j] + d
            a2 = sums[1, j] + d * d
            if c >= period:
                mean = acc / period
                m1 = a1 * inv
                var = a2 * inv - m1 * m1
                sd = math.sqrt(var if var >= EPS_ZERO else 0.0)
                middle[t, j] = mean
                upper[t, j] = mean + sd * up
                lower[t, j] = mean - sd * dn
                o = ring[old, j]
                acc -= o
                d = o - k
                a1 -= d
                a2 -= d * d
            total[j] = acc
            sums[0, j] = a1
            sums[1, j] = a2
        if old == 0:
            rebase(ring, old, period, cnt, middle[t], anchor, sums)
    return 0


@njit(cache=True, nogil=True)
def rebase(ring, old, period, cnt, mean, anchor, sums):
    """Move each full window's anchor to its mean; rebuild the sums over the bars that stay."""
    ncol = cnt.shape[0]
    for j in range(ncol):
        if cnt[j] >= period:
            anchor[j] = mean[j]
            sums[0, j] = 0.0
            sums[1, j] = 0.0
    for i in range(period):
        if i == old:
            continue
        for j in range(ncol):
            if cnt[j] >= period:
                d = ring[i, j] - anchor[j]
                sums[0, j] += d
                sums[1, j] += d * d


@njit(cache=True, nogil=True)
def change(x, period, kind, tg, cnt, ring, out):
    """Change over ``period`` bars: momentum, ROC (percent), ROCP (fraction) or ROCR (ratio).

    The bar ``period`` rows back is read from ``x`` itself once this call has that many rows
    (a listed symbol has no gaps, so it is the ring's value); the ring is read only on the
    first rows of a call and written only on its last ``period + 1`` rows, for the next call.
    """
    nrow, ncol = x.shape
    size = period + 1
    for t in range(nrow):
        slot = tg[0] % size
        tg[0] += 1
        old = tg[0] % size
        keep = t + size >= nrow
        back = x[t - period] if t >= period else ring[old]
        if steady(cnt, period, x, x, x, x, t):
            row = x[t]
            if kind == MOM:
                for j in range(ncol):
                    out[t, j] = row[j] - back[j]
            else:
                for j in range(ncol):
                    v = row[j]
                    p = back[j]
                    zero = p == 0.0
                    q = 1.0 if zero else p
                    if kind == ROC:
                        out[t, j] = 0.0 if zero else (v / q - 1.0) * 100.0
                    elif kind == ROCP:
                        out[t, j] = 0.0 if zero else (v - p) / q
                    else:
                        out[t, j] = 0.0 if zero else v / q
            for j in range(ncol):
                cnt[j] += 1
            if keep:
                for j in range(ncol):
                    ring[slot, j] = row[j]
            continue
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            if keep:
                ring[slot, j] = v
            c = cnt[j] + 1
            cnt[j] = c
            if c <= period:
                out[t, j] = NAN
                continue
            p = back[j]
            if kind == MOM:
                out[t, j] = v - p
            elif p == 0.0:
                out[t, j] = 0.0
            elif kind == ROC:
                out[t, j] = (v / p - 1.0) * 100.0
            elif kind == ROCP:
                out[t, j] = (v - p) / p
            else:
                out[t, j] = v / p
    return 0


@njit(cache=True, nogil=True)
def rolling_stats(x, window, scale, sharpe, tg, cnt, mean, m2, ring, out):
    """Rolling sample volatility (ddof 1) or Sharpe ratio (mean / std), times ``scale``.

    Welford's update, with the bar that leaves the window taken out the same way.
    """
    nrow, ncol = x.shape
    for t in range(nrow):
        slot = tg[0] % window
        tg[0] += 1
        old = tg[0] % window
        for j in range(ncol):
            v = x[t, j]
            s = screen(cnt[j] > 0, v, v, v, v)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            ring[slot, j] = v
            c = cnt[j] + 1
            cnt[j] = c
            n = min(c, window)
            mu = mean[j]
            d = v - mu
            mu += d / n
            q = m2[j] + d * (v - mu)
            if c >= window:
                var = q / (window - 1) if q > 0.0 else 0.0
                sd = math.sqrt(var)
                if not sharpe:
                    out[t, j] = sd * scale
                elif sd > 0.0:
                    out[t, j] = mu / sd * scale
                else:
                    out[t, j] = NAN
                o = ring[old, j]  # the bar leaving the window (window >= 2)
                d = o - mu
                mu -= d / (window - 1)
                q -= d * (o - mu)
            else:
                out[t, j] = NAN
            mean[j] = mu
            m2[j] = q
    return 0
