"""Indicator kernels of price and volume: OBV, the A/D line, its oscillator and VWAP.

Same contract as ``_kernels_averages``: resumable state, leading NaN means "not listed yet",
any other non-finite input stops the kernel with ``1 + t * n_symbols + j``; the arithmetic
follows TA-Lib's C code step for step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tickbook.analytics._kernels_averages import screen, steady

__all__ = ["ad_line", "ad_step", "adosc", "obv", "vwap"]

NAN = np.nan


@njit(cache=True, nogil=True)
def obv(close, volume, cnt, prev, acc, out):
    """On-balance volume (TA-Lib OBV): starts at the first bar's volume."""
    nrow, ncol = close.shape
    for t in range(nrow):
        if steady(cnt, 1, close, volume, close, volume, t):
            for j in range(ncol):
                v = close[t, j]
                vol = volume[t, j]
                a = acc[j]
                pv = prev[j]
                a = a + vol if v > pv else (a - vol if v < pv else a)
                acc[j] = a
                prev[j] = v
                out[t, j] = a
                cnt[j] += 1
            continue
        for j in range(ncol):
            v = close[t, j]
            vol = volume[t, j]
            s = screen(cnt[j] > 0, v, vol, v, vol)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            if cnt[j] == 0:
                a = vol
            else:
                a = acc[j]
                if v > prev[j]:
                    a += vol
                elif v < prev[j]:
                    a -= vol
            cnt[j] += 1
            acc[j] = a
            prev[j] = v
            out[t, j] = a
    return 0


@njit(cache=True, nogil=True)
def ad_step(h, lo, c, vol):
    """Money flow of one bar for the Chaikin A/D line (0 when the bar has no range)."""
    rng = h - lo
    if rng > 0.0:
        return (c - lo - (h - c)) / rng * vol
    return 0.0


@njit(cache=True, nogil=True)
def ad_line(high, low, close, volume, cnt, acc, out):
    """Chaikin accumulation/distribution line (TA-Lib AD)."""
    nrow, ncol = close.shape
    for t in range(nrow):
        if steady(cnt, 0, high, low, close, volume, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                rng = h - lo
                pos = rng > 0.0
                a = acc[j]
                step = ((c - lo) - (h - c)) / (rng if pos else 1.0) * volume[t, j]
                a = a + step if pos else a
                acc[j] = a
                out[t, j] = a
                cnt[j] += 1
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            vol = volume[t, j]
            s = screen(cnt[j] > 0, h, lo, c, vol)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            cnt[j] += 1
            rng = h - lo
            if rng > 0.0:
                acc[j] += ((c - lo) - (h - c)) / rng * vol
            out[t, j] = acc[j]
    return 0


@njit(cache=True, nogil=True)
def adosc(high, low, close, volume, fast, slow, cnt, ad, ef, es, out):
    """Chaikin A/D oscillator (TA-Lib ADOSC): both EMAs start from the first A/D value."""
    nrow, ncol = close.shape
    kf = 2.0 / (fast + 1.0)
    ks = 2.0 / (slow + 1.0)
    one_kf = 1.0 - kf
    one_ks = 1.0 - ks
    first = max(fast, slow)
    for t in range(nrow):
        if steady(cnt, first, high, low, close, volume, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                rng = h - lo
                pos = rng > 0.0
                step = (c - lo - (h - c)) / (rng if pos else 1.0) * volume[t, j]
                a = ad[j] + (step if pos else 0.0)
                ad[j] = a
                f = kf * a + one_kf * ef[j]
                e = ks * a + one_ks * es[j]
                ef[j] = f
                es[j] = e
                out[t, j] = f - e
                cnt[j] += 1
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            vol = volume[t, j]
            s = screen(cnt[j] > 0, h, lo, c, vol)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            n = cnt[j] + 1
            cnt[j] = n
            a = ad[j] + ad_step(h, lo, c, vol)
            ad[j] = a
            if n == 1:
                ef[j] = a
                es[j] = a
            else:
                ef[j] = kf * a + one_kf * ef[j]
                es[j] = ks * a + one_ks * es[j]
            out[t, j] = ef[j] - es[j] if n >= first else NAN
    return 0


@njit(cache=True, nogil=True)
def vwap(high, low, close, volume, period, tg, cnt, spv, sv, ring_pv, ring_v, out):
    """Volume-weighted typical price over the last ``period`` bars (0: since the start)."""
    nrow, ncol = close.shape
    size = max(period, 1)
    for t in range(nrow):
        slot = tg[0] % size
        tg[0] += 1
        old = tg[0] % size
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            vol = volume[t, j]
            s = screen(cnt[j] > 0, h, lo, c, vol)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            n = cnt[j] + 1
            cnt[j] = n
            pv = (h + lo + c) / 3.0 * vol
            a = spv[j] + pv
            b = sv[j] + vol
            if period == 0 or n >= period:
                out[t, j] = a / b if b != 0.0 else NAN
            else:
                out[t, j] = NAN
            if period > 0:
                ring_pv[slot, j] = pv
                ring_v[slot, j] = vol
                if n >= period:
                    a -= ring_pv[old, j]
                    b -= ring_v[old, j]
            spv[j] = a
            sv[j] = b
    return 0
