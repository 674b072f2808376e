"""Query and upkeep kernels: depth, the L3 listing, compaction, the trade log.

Reads walk each side's levels in price order (``_levels.py``), best first.
"""

import numpy as np
from numba import njit

from tickbook.book._index import ix_find
from tickbook.book._jit import GRID, INT, entry, view
from tickbook.book._layout import (
    C_TS,
    D_CHUNK,
    D_COUNT,
    H_ATR_N,
    H_NCH,
    H_NTRADES,
    MAX_ATR_PERIOD,
    O_ID,
    O_PRICE,
    O_REM,
    O_VIS,
    V_COUNT,
    V_HEAD,
    V_KEY,
    V_QTY,
    X_SLOT,
)
from tickbook.book._levels import is_dead, price_of, queue_drop_dead
from tickbook.book._room import compact_orders
from tickbook.book._slots import link_next, owner_of


@entry(INT, INT, GRID)
def levels(state, side, n, out):
    """Write the best ``n`` levels of ``side`` into ``out`` as (price, qty, orders) rows."""
    st = view(state)
    lv = st.lv
    k = 0
    for d in range(st.hdr[H_NCH + side] - 1, -1, -1):
        c = st.ld[side, D_CHUNK, d]
        for j in range(st.ld[side, D_COUNT, c] - 1, -1, -1):
            if k == n:
                return k
            li = st.lx[side, c, X_SLOT, j]
            out[k, 0] = price_of(side, lv[side, li, V_KEY])
            out[k, 1] = lv[side, li, V_QTY]
            out[k, 2] = lv[side, li, V_COUNT]
            k += 1
    return k


@entry(INT, GRID)
def snapshot(state, n, out):
    """Write the best ``n`` bid levels into ``out[:n]`` and asks into ``out[n:]``.

    Rows are (price, qty, orders); answer the number of bid levels * 2**32 + ask levels.
    """
    st = view(state)
    nb = levels(st, 0, n, out[:n])
    na = levels(st, 1, n, out[n:])
    return (nb << 32) | na


@entry(INT, GRID)
def book_orders(state, side, out):
    """Write the resting orders of ``side`` in priority order; answer the count.

    Rows are (id, price, visible, open quantity, owner, timestamp).
    """
    st = view(state)
    k = 0
    for d in range(st.hdr[H_NCH + side] - 1, -1, -1):
        c = st.ld[side, D_CHUNK, d]
        for j in range(st.ld[side, D_COUNT, c] - 1, -1, -1):
            k = _level_orders(st, side, st.lx[side, c, X_SLOT, j], out, k)
    return k


@njit(cache=True)
def _level_orders(st, side, li, out, k):
    o = st.lv[side, li, V_HEAD]
    while o >= 0:
        if is_dead(st.oq, o):
            o = queue_drop_dead(st, side, li, o)  # unlinked once, not walked again
            continue
        out[k, 0] = st.oq[o, O_ID]
        out[k, 1] = st.oq[o, O_PRICE]
        out[k, 2] = st.oq[o, O_VIS]
        out[k, 3] = st.oq[o, O_REM]
        out[k, 4] = owner_of(st.oq, o)
        out[k, 5] = st.oc[o, C_TS]
        k += 1
        o = link_next(st.oq, o)
    return k


@entry()
def compact(state):
    """Shrink the order table and index to the live orders, and the trade log to its rows."""
    st = view(state)
    cap = compact_orders(st)
    n = st.hdr[H_NTRADES]
    rows = 256
    while rows < n:
        rows *= 2
    if rows < st.tr.shape[0]:
        tr = np.zeros((rows, st.tr.shape[1]), np.int64)
        tr[:n] = st.tr[:n]
        st.tr = tr
    return cap


@entry()
def clear_trades(state):
    """Start a fresh trade log; trade ids keep counting."""
    st = view(state)
    st.tr = np.zeros((256, st.tr.shape[1]), np.int64)
    st.hdr[H_NTRADES] = 0


@entry(INT)
def order_slot(state, oid):
    """Return the slot of order ``oid`` or -1."""
    st = view(state)
    if oid < 1:
        return np.int64(-1)
    return ix_find(st, oid)


@entry(INT)
def atr_changes(state, period):
    """Return the mean of the last ``period`` absolute trade-price changes (-1 if too few)."""
    st = view(state)
    seen = st.hdr[H_ATR_N]
    if period < 1 or period > MAX_ATR_PERIOD or seen < period:
        return -1.0
    total = 0
    for k in range(seen - period, seen):
        total += st.ring[k % MAX_ATR_PERIOD]
    return total / period
