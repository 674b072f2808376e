"""Room: how much the arrays hold, growing them, moving into grown arrays, compacting.

Exchange kernels never allocate: they check ``has_room`` first and answer ``E_ROOM``, having
changed nothing, and Python grows the arrays (``_memory.grow``, then ``adopt``). Feed kernels
grow in place (``ensure_room``) before they change anything.
"""

import numpy as np
from numba import njit, types

from tickbook.book._index import _log2, _rehash, _rehash_from_orders, _reinsert
from tickbook.book._jit import entry, view
from tickbook.book._jit._doors import COMMANDS, GRID
from tickbook.book._layout import (
    H_CAP_EVENTS,
    H_CAP_INDEX,
    H_CAP_LEVELS,
    H_CAP_ORDERS,
    H_CAP_STOPS,
    H_FREE,
    H_IX_BITS,
    H_IX_COUNT,
    H_NEVENTS,
    H_NFREE,
    H_NLEV,
    H_NPENDING,
    H_NSTOPS,
    H_NTRADES,
    H_RECORD,
    H_USED,
    O_META,
    ST_FREE,
    V_HEAD,
    V_KEY,
    V_TAIL,
)
from tickbook.book._slots import link_next, link_prev, set_next, set_prev

_LEVELS = types.Array(types.int64, 3, "C")
_INDEX = types.Array(types.int32, 1, "C")


@njit(cache=True, inline="always")
def has_room(st, orders, levels, events, stops):
    """Whether the arrays hold this many more orders, levels, events and stops."""
    hdr = st.hdr
    return (
        hdr[H_USED] - hdr[H_NFREE] + orders <= hdr[H_CAP_ORDERS]
        and 2 * (hdr[H_IX_COUNT] + orders) <= hdr[H_CAP_INDEX]
        and hdr[H_NLEV] + levels <= hdr[H_CAP_LEVELS]
        and hdr[H_NLEV + 1] + levels <= hdr[H_CAP_LEVELS]
        and hdr[H_NEVENTS] + events <= hdr[H_CAP_EVENTS]
        and hdr[H_NSTOPS] + stops <= hdr[H_CAP_STOPS]
    )


@njit(cache=True, inline="always")
def room_needed(st):
    """Return the orders an operation may create: itself, a replacement, and every stop."""
    return 2 + st.hdr[H_NPENDING]


@njit(cache=True)
def ensure_room(st, orders, levels, events, stops):
    """Grow any array that lacks room for this many new orders, levels, events and stops.

    Growing copies; it changes no content, so an operation may call it before validating.
    Feed books only: they never hold stops, and they grow inside their kernel.
    """
    if not has_room(st, orders, levels, events, stops):
        _grow_orders(st, orders)
        _grow_levels(st, levels)
        if st.hdr[H_RECORD] == 0:
            st.hdr[H_CAP_EVENTS] = 1 << 62  # not recording: never short of event room


@njit(cache=True)
def _grow_orders(st, orders):
    hdr = st.hdr
    cap = st.oq.shape[0]
    if hdr[H_USED] - hdr[H_NFREE] + orders > cap:
        new_cap = cap * 2
        while hdr[H_USED] - hdr[H_NFREE] + orders > new_cap:
            new_cap *= 2
        # np.empty: new rows are written before they are read (see alloc_slot's callers)
        oq = np.empty((new_cap, st.oq.shape[1]), np.int64)
        oc = np.empty((new_cap, st.oc.shape[1]), np.int64)
        oq[:cap] = st.oq
        oc[:cap] = st.oc
        st.oq = oq
        st.oc = oc
        hdr[H_CAP_ORDERS] = new_cap
    size = st.ix_vals.shape[0]
    if 2 * (hdr[H_IX_COUNT] + orders) > size:
        while 2 * (hdr[H_IX_COUNT] + orders) > size:
            size *= 2
        _rehash(st, size)


@njit(cache=True)
def _grow_levels(st, levels):
    hdr = st.hdr
    lcap = st.lv.shape[1]
    need = max(hdr[H_NLEV], hdr[H_NLEV + 1]) + levels
    if need > lcap:
        while need > lcap:
            lcap *= 2
        lv = np.empty((2, lcap, st.lv.shape[2]), np.int64)
        lv[:, : st.lv.shape[1], :] = st.lv
        st.lv = lv
        hdr[H_CAP_LEVELS] = lcap


@entry(GRID, GRID, _INDEX, _LEVELS, COMMANDS, GRID, GRID, GRID)
def adopt(state, oq, oc, vals, lv, ev, sp, sx, tr):
    """Move the book into larger arrays allocated by the caller (a field's own array: kept).

    Python allocates them (``_memory.grow``); ``vals`` arrives filled with ``EMPTY_SLOT``.
    """
    st = view(state)
    hdr = st.hdr
    if oq.shape[0] > st.oq.shape[0]:
        n = hdr[H_USED]
        oq[:n] = st.oq[:n]
        oc[:n] = st.oc[:n]
        st.oq = oq
        st.oc = oc
        hdr[H_CAP_ORDERS] = oq.shape[0]
    if vals.shape[0] > st.ix_vals.shape[0]:
        count = _reinsert(st, st.ix_vals, vals)
        st.ix_vals = vals
        hdr[H_IX_BITS] = _log2(vals.shape[0])
        hdr[H_CAP_INDEX] = vals.shape[0]
        hdr[H_IX_COUNT] = count
    if lv.shape[1] > st.lv.shape[1]:
        lv[:, : st.lv.shape[1], :] = st.lv
        st.lv = lv
        hdr[H_CAP_LEVELS] = lv.shape[1]
    if ev.shape[0] > st.ev.shape[0]:
        ev[: hdr[H_NEVENTS]] = st.ev[: hdr[H_NEVENTS]]
        st.ev = ev
        hdr[H_CAP_EVENTS] = ev.shape[0] if hdr[H_RECORD] else np.int64(1) << 62
    if sp.shape[0] > st.sp.shape[0]:
        sp[: hdr[H_NSTOPS]] = st.sp[: hdr[H_NSTOPS]]
        sx[:, : st.sx.shape[1]] = st.sx
        st.sp = sp
        st.sx = sx
        hdr[H_CAP_STOPS] = sp.shape[0]
    if tr.shape[0] > st.tr.shape[0]:
        tr[: hdr[H_NTRADES]] = st.tr[: hdr[H_NTRADES]]
        st.tr = tr


@njit(cache=True)
def compact_orders(st):
    """Move the live orders into a table sized for them; answer the new capacity.

    Slots are renumbered in slot order, links and level ends follow, and the index is rebuilt.
    Nothing a caller can observe changes.
    """
    hdr = st.hdr
    used = hdr[H_USED]
    live = used - hdr[H_NFREE]
    cap = 16
    while cap < 2 * live:
        cap *= 2
    if cap >= st.oq.shape[0]:
        return st.oq.shape[0]
    old_q = st.oq
    old_c = st.oc
    remap = np.full(max(used, 1), -1, np.int64)
    oq = np.zeros((cap, old_q.shape[1]), np.int64)
    oc = np.zeros((cap, old_c.shape[1]), np.int64)
    k = 0
    for s in range(used):
        if (old_q[s, O_META] >> 8) & 0xFF != ST_FREE:
            remap[s] = k
            oq[k] = old_q[s]
            oc[k] = old_c[s]
            k += 1
    for s in range(k):
        nxt = link_next(oq, s)
        prv = link_prev(oq, s)
        set_next(oq, s, remap[nxt] if nxt >= 0 else -1)
        set_prev(oq, s, remap[prv] if prv >= 0 else -1)
    lv = st.lv
    for side in range(2):
        for li in range(hdr[H_NLEV + side]):
            if lv[side, li, V_KEY] != 0 and lv[side, li, V_HEAD] >= 0:  # not a hole
                lv[side, li, V_HEAD] = remap[lv[side, li, V_HEAD]]
                lv[side, li, V_TAIL] = remap[lv[side, li, V_TAIL]]
    st.oq = oq
    st.oc = oc
    hdr[H_USED] = k
    hdr[H_NFREE] = 0
    hdr[H_FREE] = -1
    hdr[H_CAP_ORDERS] = cap
    _rehash_from_orders(st, 2 * cap)
    return cap
