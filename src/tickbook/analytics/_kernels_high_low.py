"""Indicator kernels of each bar's high-low range: true range, ATR, DMI, CCI, ULTOSC; RSI.

The directional movement family is DX, ADX, +DI and -DI. Same contract as
``_kernels_averages``: resumable state, leading NaN means "not listed yet", any other
non-finite input stops the kernel with ``1 + t * n_symbols + j``; the arithmetic follows
TA-Lib's C code step for step.
"""

import numpy as np
from numba import njit

from tickbook.analytics._kernels_averages import EPS_ZERO, screen, steady

__all__ = [
    "atr",
    "cci",
    "dmi",
    "dmi_row",
    "is_zero",
    "rsi",
    "rsi_step",
    "true_range",
    "ultosc",
]

NAN = np.nan

# Modes of ``atr``.
TRANGE, ATR, NATR = 0, 1, 2


@njit(cache=True, nogil=True)
def is_zero(v):
    """TA-Lib's TA_IS_ZERO: inside the (-1e-8, 1e-8) band."""
    return -EPS_ZERO < v < EPS_ZERO


@njit(cache=True, nogil=True)
def true_range(h, lo, prev_close):
    """Largest of the bar's range and its distances to the previous close."""
    r = h - lo
    a = abs(h - prev_close)
    if a > r:
        r = a
    b = abs(lo - prev_close)
    if b > r:
        r = b
    return r


@njit(cache=True, nogil=True)
def rsi_step(c, v, period, prev, gain, loss):
    """Feed bar number ``c`` (1-based) to Wilder's RSI: return (prev, gain, loss, rsi or NaN)."""
    if c == 1:
        return v, gain, loss, NAN
    d = v - prev
    if c > period + 1:
        loss *= period - 1
        gain *= period - 1
    if d < 0.0:
        loss -= d
    else:
        gain += d
    if c < period + 1:
        return v, gain, loss, NAN
    loss /= period
    gain /= period
    total = gain + loss
    return v, gain, loss, 100.0 * (gain / total) if not is_zero(total) else 0.0


@njit(cache=True, nogil=True)
def rsi(x, period, cnt, prev, gain, loss, out):
    """Relative strength index with Wilder's smoothing (TA-Lib RSI)."""
    nrow, ncol = x.shape
    pm1 = float(period - 1)
    for t in range(nrow):
        if steady(cnt, period + 1, x, x, x, x, t):  # rsi_step's last branch, for a whole row
            for j in range(ncol):
                v = x[t, j]
                d = v - prev[j]
                prev[j] = v
                lo = loss[j] * pm1
                g = gain[j] * pm1
                lo = lo - d if d < 0.0 else lo
                g = g if d < 0.0 else g + d
                lo /= period
                g /= period
                loss[j] = lo
                gain[j] = g
                total = g + lo
                out[t, j] = 0.0 if -EPS_ZERO < total < EPS_ZERO else 100.0 * (g / total)
                cnt[j] += 1
            continue
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
            prev[j], gain[j], loss[j], out[t, j] = rsi_step(c, v, period, prev[j], gain[j], loss[j])
    return 0


@njit(cache=True, nogil=True)
def atr(high, low, close, period, mode, cnt, prev_c, acc, out):
    """True range, Wilder's average true range, or ATR as a percent of the close (TA-Lib)."""
    nrow, ncol = close.shape
    pm1 = float(period - 1)
    need = 1 if mode == TRANGE else period + 1
    for t in range(nrow):
        if steady(cnt, need, high, low, close, close, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                pc = prev_c[j]
                tr = max(max(h - lo, abs(h - pc)), abs(lo - pc))
                prev_c[j] = c
                a = (acc[j] * pm1 + tr) / period
                acc[j] = a
                cnt[j] += 1
                if mode == TRANGE:
                    out[t, j] = tr
                elif mode == ATR:
                    out[t, j] = a
                else:
                    zero = -EPS_ZERO < c < EPS_ZERO
                    out[t, j] = 0.0 if zero else (a / (1.0 if zero else c)) * 100.0
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            n = cnt[j] + 1
            cnt[j] = n
            out[t, j] = NAN
            if n == 1:
                prev_c[j] = c
                continue
            tr = true_range(h, lo, prev_c[j])
            prev_c[j] = c
            if mode == TRANGE:
                out[t, j] = tr
                continue
            m = n - 1
            a = acc[j]
            if m < period:
                acc[j] = a + tr
                continue
            if m == period:
                a = (a + tr) / period
            else:
                a *= period - 1
                a += tr
                a /= period
            acc[j] = a
            if mode == ATR:
                out[t, j] = a
            else:
                out[t, j] = (a / c) * 100.0 if not is_zero(c) else 0.0
    return 0


@njit(cache=True, nogil=True, error_model="numpy")
def dmi_row(high, low, close, t, p, want, cnt, prev, sums, row):
    """One row of ``dmi`` once every symbol is past the ADX warm-up, without branches.

    Writes the row's ADX, DX, +DI and -DI into ``row`` (4 x symbols).
    """
    ip = 1.0 / p
    for j in range(close.shape[1]):
        h = high[t, j]
        lo = low[t, j]
        c = close[t, j]
        pc = prev[2, j]
        diff_p = h - prev[0, j]
        diff_m = prev[1, j] - lo
        tr = max(max(h - lo, abs(h - pc)), abs(lo - pc))
        prev[0, j] = h
        prev[1, j] = lo
        prev[2, j] = c
        pdm = sums[0, j]
        mdm = sums[1, j]
        trs = sums[2, j]
        mdm -= mdm * ip
        pdm -= pdm * ip
        trs = trs - trs * ip + tr
        # bitwise &, not `and`: no short circuits, so the loop vectorises
        minus = (diff_m > 0.0) & (diff_p < diff_m)
        plus = (diff_p > 0.0) & (diff_p > diff_m)  # excludes `minus` by itself
        mdm = mdm + diff_m if minus else mdm
        pdm = pdm + diff_p if plus else pdm
        sums[0, j] = pdm
        sums[1, j] = mdm
        sums[2, j] = trs
        flat = (trs > -EPS_ZERO) & (trs < EPS_ZERO)
        div = 1.0 if flat else trs
        mdi = 0.0 if flat else 100.0 * (mdm / div)
        pdi = 0.0 if flat else 100.0 * (pdm / div)
        row[2, j] = pdi
        row[3, j] = mdi
        if want & 3:  # DX and ADX only when asked: +DI/-DI alone skip their divisions
            tot = mdi + pdi
            ok = (not flat) & ((tot <= -EPS_ZERO) | (tot >= EPS_ZERO))
            dx = 100.0 * (abs(mdi - pdi) / (tot if ok else 1.0)) if ok else sums[4, j]
            sums[4, j] = dx
            adx = sums[3, j]
            adx = (adx * (p - 1.0) + dx) / p if ok else adx
            sums[3, j] = adx
            row[0, j] = adx
            row[1, j] = dx
        cnt[j] += 1


@njit(cache=True, nogil=True)
def dmi(high, low, close, period, want, cnt, prev, sums, out_adx, out_dx, out_pdi, out_mdi):
    """Wilder's directional movement: ADX, DX, +DI and -DI in one pass (TA-Lib's algorithms).

    ``prev`` rows: previous high, low, close. ``sums`` rows: +DM, -DM, TR (Wilder sums), the
    ADX accumulator and the last DX. ``want`` bits pick outputs: 1 ADX, 2 DX, 4 +DI, 8 -DI.
    Wilder's ``x - x / period`` is computed as ``x - x * (1 / period)`` (a few ulps from
    TA-Lib's division, far inside 1e-9, and a quarter of the cost).
    """
    nrow, ncol = close.shape
    p = float(period)
    ip = 1.0 / p
    row = np.empty((4, ncol))
    for t in range(nrow):
        if steady(cnt, 2 * period, high, low, close, close, t):
            dmi_row(high, low, close, t, p, want, cnt, prev, sums, row)
            if want & 1:
                out_adx[t] = row[0]
            if want & 2:
                out_dx[t] = row[1]
            if want & 4:
                out_pdi[t] = row[2]
            if want & 8:
                out_mdi[t] = row[3]
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 2:
                return 1 + t * ncol + j
            if want & 1:
                out_adx[t, j] = NAN
            if want & 2:
                out_dx[t, j] = NAN
            if want & 4:
                out_pdi[t, j] = NAN
            if want & 8:
                out_mdi[t, j] = NAN
            if s == 1:
                continue
            n = cnt[j] + 1
            cnt[j] = n
            if n == 1:
                prev[0, j] = h
                prev[1, j] = lo
                prev[2, j] = c
                continue
            m = n - 1
            diff_p = h - prev[0, j]
            diff_m = prev[1, j] - lo
            tr = true_range(h, lo, prev[2, j])
            prev[0, j] = h
            prev[1, j] = lo
            prev[2, j] = c
            pdm = sums[0, j]
            mdm = sums[1, j]
            trs = sums[2, j]
            if m < period:
                trs += tr
            else:
                mdm -= mdm * ip
                pdm -= pdm * ip
                trs = trs - trs * ip + tr
            if diff_m > 0.0 and diff_p < diff_m:
                mdm += diff_m
            elif diff_p > 0.0 and diff_p > diff_m:
                pdm += diff_p
            sums[0, j] = pdm
            sums[1, j] = mdm
            sums[2, j] = trs
            if m < period:
                continue
            ok = False
            dx = 0.0
            pdi = 0.0
            mdi = 0.0
            if not is_zero(trs):
                mdi = 100.0 * (mdm / trs)
                pdi = 100.0 * (pdm / trs)
                tot = mdi + pdi
                if not is_zero(tot):
                    dx = 100.0 * (abs(mdi - pdi) / tot)
                    ok = True
            if not ok and m > period:
                dx = sums[4, j]  # TA-Lib's DX repeats its last value
            sums[4, j] = dx
            if want & 2:
                out_dx[t, j] = dx
            if want & 4:
                out_pdi[t, j] = pdi
            if want & 8:
                out_mdi[t, j] = mdi
            adx = sums[3, j]
            if m < 2 * period:
                if ok:
                    adx += dx
                if m == 2 * period - 1:
                    adx /= p
            elif ok:
                adx = (adx * (p - 1.0) + dx) / p
            sums[3, j] = adx
            if want & 1 and m >= 2 * period - 1:
                out_adx[t, j] = adx
    return 0


@njit(cache=True, nogil=True)
def cci(high, low, close, period, tg, cnt, ring, out):
    """Commodity channel index (TA-Lib CCI): typical price against its mean deviation."""
    nrow, ncol = close.shape
    for t in range(nrow):
        slot = tg[0] % period
        tg[0] += 1
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            n = cnt[j] + 1
            cnt[j] = n
            tp = (h + lo + c) / 3.0
            ring[slot, j] = tp
            if n < period:
                out[t, j] = NAN
                continue
            avg = 0.0
            for i in range(period):
                avg += ring[i, j]
            avg /= period
            dev = 0.0
            for i in range(period):
                dev += abs(ring[i, j] - avg)
            d = tp - avg
            if d != 0.0 and dev != 0.0:
                out[t, j] = d / (0.015 * (dev / period))
            else:
                out[t, j] = 0.0
    return 0


@njit(cache=True, nogil=True)
def ultosc(high, low, close, p1, p2, p3, tg, cnt, prev_c, sums, ring_a, ring_b, out):
    """Ultimate oscillator (TA-Lib ULTOSC): buying pressure over true range on three windows.

    ``p1 <= p2 <= p3``; ``sums`` rows: a1, b1, a2, b2, a3, b3 (running sums per window).
    """
    nrow, ncol = close.shape
    for t in range(nrow):
        now = tg[0]
        tg[0] += 1
        slot = now % p3
        o1 = (now - p1 + 1) % p3
        o2 = (now - p2 + 1) % p3
        o3 = (now + 1) % p3
        if steady(cnt, p3 + 1, high, low, close, close, t):
            for j in range(ncol):
                h = high[t, j]
                lo = low[t, j]
                c = close[t, j]
                pc = prev_c[j]
                prev_c[j] = c
                a = c - min(lo, pc)
                b = max(max(h - lo, abs(h - pc)), abs(lo - pc))
                ring_a[slot, j] = a
                ring_b[slot, j] = b
                a1 = sums[0, j] + a
                b1 = sums[1, j] + b
                a2 = sums[2, j] + a
                b2 = sums[3, j] + b
                a3 = sums[4, j] + a
                b3 = sums[5, j] + b
                z1 = -EPS_ZERO < b1 < EPS_ZERO
                z2 = -EPS_ZERO < b2 < EPS_ZERO
                z3 = -EPS_ZERO < b3 < EPS_ZERO
                v = 0.0
                v = v if z1 else v + 4.0 * (a1 / (1.0 if z1 else b1))
                v = v if z2 else v + 2.0 * (a2 / (1.0 if z2 else b2))
                v = v if z3 else v + a3 / (1.0 if z3 else b3)
                sums[0, j] = a1 - ring_a[o1, j]
                sums[1, j] = b1 - ring_b[o1, j]
                sums[2, j] = a2 - ring_a[o2, j]
                sums[3, j] = b2 - ring_b[o2, j]
                sums[4, j] = a3 - ring_a[o3, j]
                sums[5, j] = b3 - ring_b[o3, j]
                out[t, j] = 100.0 * (v / 7.0)
                cnt[j] += 1
            continue
        for j in range(ncol):
            h = high[t, j]
            lo = low[t, j]
            c = close[t, j]
            s = screen(cnt[j] > 0, h, lo, c, c)
            if s == 1:
                out[t, j] = NAN
                continue
            if s == 2:
                return 1 + t * ncol + j
            n = cnt[j] + 1
            cnt[j] = n
            out[t, j] = NAN
            if n == 1:
                prev_c[j] = c
                continue
            m = n - 1
            pc = prev_c[j]
            prev_c[j] = c
            a = c - min(lo, pc)
            b = true_range(h, lo, pc)
            ring_a[slot, j] = a
            ring_b[slot, j] = b
            if m > p3 - p1:
                sums[0, j] += a
                sums[1, j] += b
            if m > p3 - p2:
                sums[2, j] += a
                sums[3, j] += b
            sums[4, j] += a
            sums[5, j] += b
            if m < p3:
                continue
            v = 0.0
            if not is_zero(sums[1, j]):
                v += 4.0 * (sums[0, j] / sums[1, j])
            if not is_zero(sums[3, j]):
                v += 2.0 * (sums[2, j] / sums[3, j])
            if not is_zero(sums[5, j]):
                v += sums[4, j] / sums[5, j]
            sums[0, j] -= ring_a[o1, j]
            sums[1, j] -= ring_b[o1, j]
            sums[2, j] -= ring_a[o2, j]
            sums[3, j] -= ring_b[o2, j]
            sums[4, j] -= ring_a[o3, j]
            sums[5, j] -= ring_b[o3, j]
            out[t, j] = 100.0 * (v / 7.0)
    return 0
