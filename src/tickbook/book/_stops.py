"""Stop orders: the trigger index, trailing updates and the trigger cascade.

A stop waits in ``sp`` (rows in id order) until the last trade price reaches it (buy: last
>= stop; sell: last <= stop), then runs through ``_place`` as a market or limit order with
the same id.

Trigger order (the engine's rule): each round fires every stop the current last price has
reached, in id order (submission order), whatever its side or stop price; a fill may reach
more stops, so rounds repeat, at most ``MAX_CASCADE`` per call. Each fired stop takes one
tick of the logical clock. Trailing stops move first in each round, on the highest and
lowest trade prices seen since the last round.

Index: each side's pending stops sit in a binary heap keyed by stop price (``sx[BUY]`` a
min-heap: the lowest buy stop fires first; ``sx[SELL]`` a max-heap), so finding that nothing
fires is O(1), and firing k stops costs O(k log n). A stop's heap position is kept in
``S_POS``. Trailing stops are also listed in ``sx[X_TRAIL]``: when prices move, each is
re-keyed (a stop only moves toward its trigger, so it sifts up) in O(log n); a round scans
the trailing stops, not the plain ones. When nothing traded since the last round and no stop
is new, nothing can fire and the cascade is skipped.
"""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    BUY,
    E_PERIOD,
    E_STOP_PRICE,
    E_TRAIL,
    F_MARKET,
    H_ATR_N,
    H_LAST_PRICE,
    H_NHEAP,
    H_NPENDING,
    H_NSTOPS,
    H_NTRAIL,
    H_OP_HI,
    H_OP_LO,
    H_STOPS_DUE,
    MAX_ATR_PERIOD,
    MAX_CASCADE,
    MAX_PRICE,
    PPB,
    S_EXTREME,
    S_FLAGS,
    S_ID,
    S_LIMIT,
    S_LIMIT_ORDER,
    S_OWNER,
    S_PERIOD,
    S_POS,
    S_QTY,
    S_SIDE,
    S_STATUS,
    S_STOP,
    S_TIF,
    S_TPOS,
    S_TRAIL,
    S_VALUE,
    SS_PENDING,
    SS_TRIGGERED,
    TRAIL_ATR,
    TRAIL_FIXED,
    TRAIL_NONE,
    TRAIL_PERCENT,
    X_TRAIL,
)
from tickbook.book._matching import _check_order, _place, _tick


@njit(cache=True)
def _check_stop(side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period):
    err = _check_order(side, limit_price, qty, tif, flags, owner, 0, limit_price == 0)
    if err != 0:
        return err
    if stop_price < 1 or stop_price > MAX_PRICE:
        return E_STOP_PRICE
    if trail < TRAIL_NONE or trail > TRAIL_ATR:
        return E_TRAIL
    if trail == TRAIL_FIXED and (value < 1 or value > MAX_PRICE):
        return E_TRAIL
    if (trail == TRAIL_PERCENT or trail == TRAIL_ATR) and (value < 1 or value > 100 * PPB):
        return E_TRAIL
    if trail == TRAIL_PERCENT and value >= PPB:
        return E_TRAIL
    if trail == TRAIL_ATR and (period < 1 or period > MAX_ATR_PERIOD):
        return E_PERIOD
    return 0


# -- the trigger heaps -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _prio(sp, side, r):
    """A stop's priority in its heap (larger fires first): -stop for buys, stop for sells."""
    return -sp[r, S_STOP] if side == BUY else sp[r, S_STOP]


@njit(cache=True, inline="always")
def _place_at(st, side, i, r):
    st.sx[side, i] = r
    st.sp[r, S_POS] = i


@njit(cache=True)
def _sift_up(st, side, i):
    sx = st.sx
    sp = st.sp
    r = sx[side, i]
    p = _prio(sp, side, r)
    while i > 0:
        parent = (i - 1) >> 1
        q = sx[side, parent]
        if _prio(sp, side, q) >= p:
            break
        _place_at(st, side, i, q)
        i = parent
    _place_at(st, side, i, r)


@njit(cache=True)
def _sift_down(st, side, i):
    sx = st.sx
    sp = st.sp
    n = st.hdr[H_NHEAP + side]
    r = sx[side, i]
    p = _prio(sp, side, r)
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        right = child + 1
        if right < n and _prio(sp, side, sx[side, right]) > _prio(sp, side, sx[side, child]):
            child = right
        q = sx[side, child]
        if _prio(sp, side, q) <= p:
            break
        _place_at(st, side, i, q)
        i = child
    _place_at(st, side, i, r)


@njit(cache=True)
def stop_index(st, r):
    """Index the pending stop in row ``r``: its side's heap, and the trailing list."""
    side = st.sp[r, S_SIDE]
    n = st.hdr[H_NHEAP + side]
    st.hdr[H_NHEAP + side] = n + 1
    _place_at(st, side, n, r)
    _sift_up(st, side, n)
    if st.sp[r, S_TRAIL] != TRAIL_NONE:
        t = st.hdr[H_NTRAIL]
        st.sx[X_TRAIL, t] = r
        st.sp[r, S_TPOS] = t
        st.hdr[H_NTRAIL] = t + 1
    else:
        st.sp[r, S_TPOS] = -1


@njit(cache=True)
def stop_unindex(st, r):
    """Take the stop in row ``r`` out of its heap and the trailing list."""
    sp = st.sp
    side = sp[r, S_SIDE]
    i = sp[r, S_POS]
    n = st.hdr[H_NHEAP + side] - 1
    st.hdr[H_NHEAP + side] = n
    if i < n:
        moved = st.sx[side, n]
        _place_at(st, side, i, moved)
        _sift_down(st, side, i)
        _sift_up(st, side, sp[moved, S_POS])
    t = sp[r, S_TPOS]
    if t >= 0:
        last = st.hdr[H_NTRAIL] - 1
        moved = st.sx[X_TRAIL, last]
        st.sx[X_TRAIL, t] = moved
        sp[moved, S_TPOS] = t
        st.hdr[H_NTRAIL] = last
        sp[r, S_TPOS] = -1


@njit(cache=True)
def stops_reindex(st):
    """Rebuild the heaps and the trailing list from the pending rows of ``sp``."""
    st.hdr[H_NHEAP] = 0
    st.hdr[H_NHEAP + 1] = 0
    st.hdr[H_NTRAIL] = 0
    for r in range(st.hdr[H_NSTOPS]):
        if st.sp[r, S_STATUS] == SS_PENDING:
            stop_index(st, r)


@njit(cache=True)
def find_stop(st, oid):
    """Return the row of stop ``oid`` (binary search: rows are in id order), or -1."""
    sp = st.sp
    lo = 0
    hi = st.hdr[H_NSTOPS]
    while lo < hi:
        mid = (lo + hi) >> 1
        if sp[mid, S_ID] < oid:
            lo = mid + 1
        else:
            hi = mid
    if lo < st.hdr[H_NSTOPS] and sp[lo, S_ID] == oid:
        return lo
    return -1


# -- trailing ----------------------------------------------------------------------------------


@njit(cache=True)
def _trail_amount(st, r, extreme):
    sp = st.sp
    method = sp[r, S_TRAIL]
    value = sp[r, S_VALUE]
    if method == TRAIL_FIXED:
        return value
    if method == TRAIL_PERCENT:  # floor(extreme * value / PPB), exactly, without overflow
        return (extreme // PPB) * value + (extreme % PPB) * value // PPB
    period = sp[r, S_PERIOD]
    seen = st.hdr[H_ATR_N]
    if seen < period:
        return -1  # not enough price changes yet: the stop stays where it is
    total = 0
    for k in range(seen - period, seen):
        total += st.ring[k % MAX_ATR_PERIOD]
    return np.int64(np.floor((value / PPB) * total / period))


@njit(cache=True)
def _update_trailing(st, hi, lo):
    sp = st.sp
    for t in range(st.hdr[H_NTRAIL]):
        r = st.sx[X_TRAIL, t]
        old = sp[r, S_STOP]
        if sp[r, S_SIDE] == BUY:  # protects a short: follows the lowest price down
            if lo > 0 and (sp[r, S_EXTREME] == 0 or lo < sp[r, S_EXTREME]):
                sp[r, S_EXTREME] = lo
            ext = sp[r, S_EXTREME]
            amount = _trail_amount(st, r, ext)
            if ext > 0 and amount >= 0 and ext + amount < sp[r, S_STOP]:
                sp[r, S_STOP] = ext + amount
        else:  # protects a long: follows the highest price up
            if hi > sp[r, S_EXTREME]:
                sp[r, S_EXTREME] = hi
            ext = sp[r, S_EXTREME]
            amount = _trail_amount(st, r, ext)
            if ext > 0 and amount >= 0 and ext - amount > sp[r, S_STOP]:
                sp[r, S_STOP] = ext - amount
        if sp[r, S_STOP] != old:  # it moved toward its trigger: up its heap
            _sift_up(st, sp[r, S_SIDE], sp[r, S_POS])


# -- the cascade -------------------------------------------------------------------------------


@njit(cache=True)
def _pop_reached(st, side, last, fired, k):
    """Pop the stops of ``side`` that ``last`` reaches into ``fired[k:]``; answer (fired, k)."""
    threshold = -last if side == BUY else last
    while st.hdr[H_NHEAP + side] > 0 and _prio(st.sp, side, st.sx[side, 0]) >= threshold:
        r = st.sx[side, 0]
        stop_unindex(st, r)
        if k == fired.shape[0]:
            grown = np.empty(2 * k, np.int64)
            grown[:k] = fired
            fired = grown
        fired[k] = r
        k += 1
    return fired, k


@njit(cache=True)
def _fire(st, r):
    sp = st.sp
    sp[r, S_STATUS] = SS_TRIGGERED
    ts = _tick(st)
    if sp[r, S_LIMIT_ORDER] == 1:
        price, tif, flags = sp[r, S_LIMIT], sp[r, S_TIF], sp[r, S_FLAGS]
    else:
        price, tif, flags = np.int64(0), np.int64(1), sp[r, S_FLAGS] | F_MARKET
    _place(st, sp[r, S_ID], sp[r, S_SIDE], price, sp[r, S_QTY], tif, flags, sp[r, S_OWNER], 0, ts)


@njit(cache=True)
def _run_stops(st):
    """Trigger the stops the last trade price has reached, in rounds, at most MAX_CASCADE."""
    hdr = st.hdr
    for _ in range(MAX_CASCADE):
        last = hdr[H_LAST_PRICE]
        if hdr[H_NPENDING] == 0 or last == 0:
            return
        if hdr[H_OP_HI] == 0 and hdr[H_OP_LO] == 0 and hdr[H_STOPS_DUE] == 0:
            return  # nothing traded and no stop is new: the last round left none reachable
        hdr[H_STOPS_DUE] = 0
        _update_trailing(st, hdr[H_OP_HI], hdr[H_OP_LO])
        hdr[H_OP_HI] = 0
        hdr[H_OP_LO] = 0
        fired = np.empty(8, np.int64)
        fired, k = _pop_reached(st, 0, last, fired, 0)
        fired, k = _pop_reached(st, 1, last, fired, k)
        if k == 0:
            return
        hdr[H_NPENDING] -= k
        for r in np.sort(fired[:k]):  # rows are in id order
            _fire(st, r)
    # the cap was reached: let the pending stops see the last round's prices now, so that
    # nothing is left over for a stop submitted later; any the last price already reaches
    # fire on the next operation
    _update_trailing(st, hdr[H_OP_HI], hdr[H_OP_LO])
    hdr[H_OP_HI] = 0
    hdr[H_OP_LO] = 0
    hdr[H_STOPS_DUE] = 1
