"""Price levels: each side's levels in price order, and the FIFO queue of each level.

A level is a row of the side's pool ``lv`` (rows ``0..H_NLEV-1``, in no order; closing a
level moves the last row into its place). Price order lives apart, in a two-level structure
of sorted keys (a B+ tree of height two):

* ``lx[side, c]`` is chunk ``c``: up to ``CHUNK`` keys in ascending order, each with its pool
  row. Keys ascend toward the best price (key = price on the bid, -price on the ask).
* ``ld[side, D_CHUNK]`` lists the chunks in key order and ``ld[side, D_MAX]`` the largest key
  of each, so a key is found with a binary search over the chunks, then one inside a chunk.

Opening or closing a level shifts at most one chunk's keys (and, when a chunk splits, fills
or empties, the short chunk list): the cost stays flat whatever the number of levels, where a
single sorted array shifted every worse level (~96 us an insert at 100k levels). The best
level's pool row is cached in the header (``H_TOP``), so reading the best price is O(1), and a
walk from the best (depth, matching, FOK checks) reads the chunks in order.

Each level keeps a doubly linked FIFO queue of its orders through the links packed in
``oq[:, O_LINK]``. Kernels here trust their callers: room was made first (``_room.py``).
"""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    CHUNK,
    D_CHUNK,
    D_COUNT,
    D_FREE,
    D_MAX,
    H_BEST,
    H_CAP_CHUNKS,
    H_CH_FREE,
    H_CH_USED,
    H_LV_FREE,
    H_LV_HOLES,
    H_NCH,
    H_NLEV,
    H_NRESTING,
    H_TOP,
    LO32,
    O_LINK,
    O_VIS,
    ST_PARTIAL,
    V_COUNT,
    V_HEAD,
    V_KEY,
    V_QTY,
    V_TAIL,
    X_KEY,
    X_SLOT,
)
from tickbook.book._slots import link_next, link_prev, set_next, set_prev, status_of

_HALF = CHUNK // 2
_MERGE = CHUNK // 4  # a chunk this short merges with a neighbour when they fit in _HALF

# -- price order -------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def key_of(side, price):
    """Return the sort key of ``price`` on ``side``: ascending toward the best level."""
    return price if side == 0 else -price


@njit(cache=True, inline="always")
def price_of(side, key):
    """Return the price of sort key ``key`` on ``side``."""
    return key if side == 0 else -key


@njit(cache=True, inline="always")
def best_level(st, side):
    """Return the pool row of the best level of ``side``, -1 when the side is empty."""
    return st.hdr[H_TOP + side]


@njit(cache=True)
def _chunk_at(ld, side, nch, key):
    """Return the position of the first chunk whose largest key >= ``key`` (else the last)."""
    lo = 0
    hi = nch - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if ld[side, D_MAX, mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _in_chunk(lx, side, c, n, key):
    """Return the first index of chunk ``c`` (``n`` keys) whose key >= ``key``."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if lx[side, c, X_KEY, mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def level_find(st, side, key):
    """Return the pool row of the level at ``key``, or -1."""
    top = st.hdr[H_TOP + side]
    if top < 0:
        return top
    best = st.lv[side, top, V_KEY]
    if key >= best:  # most activity is at the best level
        return top if key == best else -1
    ld = st.ld
    lx = st.lx
    c = ld[side, D_CHUNK, _chunk_at(ld, side, st.hdr[H_NCH + side], key)]
    n = ld[side, D_COUNT, c]
    j = _in_chunk(lx, side, c, n, key)
    if j < n and lx[side, c, X_KEY, j] == key:
        return lx[side, c, X_SLOT, j]
    return -1


@njit(cache=True)
def _set_top(st, side):
    hdr = st.hdr
    nch = hdr[H_NCH + side]
    if nch == 0:
        hdr[H_TOP + side] = -1
        return
    c = st.ld[side, D_CHUNK, nch - 1]
    hdr[H_TOP + side] = st.lx[side, c, X_SLOT, st.ld[side, D_COUNT, c] - 1]


@njit(cache=True)
def _new_chunk(st, side):
    """Take a free chunk id, doubling the chunk arrays when none is left.

    The chunks grow here, inside the kernel, like the trade log: reserving room up front would
    mean a chunk per level that every pending stop might open (64 keys each). Callers read
    ``st.lx`` / ``st.ld`` again after this call (the old arrays are gone once replaced).
    """
    hdr = st.hdr
    if hdr[H_CH_FREE + side] > 0:
        hdr[H_CH_FREE + side] -= 1
        return st.ld[side, D_FREE, hdr[H_CH_FREE + side]]
    c = hdr[H_CH_USED + side]
    if c == st.lx.shape[1]:
        _grow_chunks(st)
    hdr[H_CH_USED + side] = c + 1
    return c


@njit(cache=True)
def _grow_chunks(st):
    cap = st.lx.shape[1]
    lx = np.empty((2, 2 * cap, 2, CHUNK), np.int64)
    ld = np.empty((2, st.ld.shape[1], 2 * cap), np.int64)
    lx[:, :cap] = st.lx
    ld[:, :, :cap] = st.ld
    st.lx = lx
    st.ld = ld
    st.hdr[H_CAP_CHUNKS] = 2 * cap


@njit(cache=True)
def _drop_chunk(st, side, d):
    """Remove the chunk at position ``d`` from the order and free its id."""
    ld = st.ld
    hdr = st.hdr
    nch = hdr[H_NCH + side]
    c = ld[side, D_CHUNK, d]
    for t in range(d, nch - 1):
        ld[side, D_CHUNK, t] = ld[side, D_CHUNK, t + 1]
        ld[side, D_MAX, t] = ld[side, D_MAX, t + 1]
    hdr[H_NCH + side] = nch - 1
    ld[side, D_FREE, hdr[H_CH_FREE + side]] = c
    hdr[H_CH_FREE + side] += 1


@njit(cache=True)
def _split(st, side, d):
    """Move the upper half of the full chunk at position ``d`` into a new chunk after it."""
    e = _new_chunk(st, side)  # first: it may replace the arrays
    ld = st.ld
    lx = st.lx
    c = ld[side, D_CHUNK, d]
    for t in range(CHUNK - _HALF):
        lx[side, e, X_KEY, t] = lx[side, c, X_KEY, _HALF + t]
        lx[side, e, X_SLOT, t] = lx[side, c, X_SLOT, _HALF + t]
    ld[side, D_COUNT, c] = _HALF
    ld[side, D_COUNT, e] = CHUNK - _HALF
    nch = st.hdr[H_NCH + side]
    for t in range(nch, d + 1, -1):
        ld[side, D_CHUNK, t] = ld[side, D_CHUNK, t - 1]
        ld[side, D_MAX, t] = ld[side, D_MAX, t - 1]
    ld[side, D_CHUNK, d + 1] = e
    ld[side, D_MAX, d + 1] = ld[side, D_MAX, d]
    ld[side, D_MAX, d] = lx[side, c, X_KEY, _HALF - 1]
    st.hdr[H_NCH + side] = nch + 1


@njit(cache=True)
def level_open(st, side, key):
    """Open an empty level at ``key`` (not on the book); answer its pool row (room ensured)."""
    hdr = st.hdr
    lv = st.lv
    if hdr[H_LV_HOLES + side] > 0:  # reuse a closed row
        s = hdr[H_LV_FREE + side]
        hdr[H_LV_FREE + side] = lv[side, s, V_HEAD]
        hdr[H_LV_HOLES + side] -= 1
    else:
        s = hdr[H_NLEV + side]
        hdr[H_NLEV + side] = s + 1
    lv[side, s, V_KEY] = key
    lv[side, s, V_QTY] = 0
    lv[side, s, V_HEAD] = -1
    lv[side, s, V_TAIL] = -1
    lv[side, s, V_COUNT] = 0
    if hdr[H_NCH + side] == 0:
        c = _new_chunk(st, side)
        st.ld[side, D_CHUNK, 0] = c
        st.ld[side, D_COUNT, c] = 0
        st.ld[side, D_MAX, 0] = key
        hdr[H_NCH + side] = 1
    ld = st.ld
    lx = st.lx
    top = hdr[H_TOP + side]
    if top >= 0 and key > lv[side, top, V_KEY]:  # a new best: after the last key
        d = hdr[H_NCH + side] - 1
        c = ld[side, D_CHUNK, d]
        j = ld[side, D_COUNT, c]
    else:
        d = _chunk_at(ld, side, hdr[H_NCH + side], key)
        c = ld[side, D_CHUNK, d]
        j = _in_chunk(lx, side, c, ld[side, D_COUNT, c], key)
    if ld[side, D_COUNT, c] == CHUNK:
        _split(st, side, d)
        ld = st.ld  # the split may have grown the arrays
        lx = st.lx
        if j > _HALF:
            d += 1
            c = ld[side, D_CHUNK, d]
            j -= _HALF
    n = ld[side, D_COUNT, c]
    for t in range(n, j, -1):
        lx[side, c, X_KEY, t] = lx[side, c, X_KEY, t - 1]
        lx[side, c, X_SLOT, t] = lx[side, c, X_SLOT, t - 1]
    lx[side, c, X_KEY, j] = key
    lx[side, c, X_SLOT, j] = s
    ld[side, D_COUNT, c] = n + 1
    if j == n:
        ld[side, D_MAX, d] = key
    top = hdr[H_TOP + side]
    if top < 0 or key > lv[side, top, V_KEY]:
        hdr[H_TOP + side] = s
    return s


@njit(cache=True)
def _locate(st, side, key):
    """Return (position, chunk, index) of ``key``, which is on the book."""
    ld = st.ld
    top = st.hdr[H_TOP + side]
    if key == st.lv[side, top, V_KEY]:  # the best level: the last key of the last chunk
        d = st.hdr[H_NCH + side] - 1
        c = ld[side, D_CHUNK, d]
        return d, c, ld[side, D_COUNT, c] - 1
    d = _chunk_at(ld, side, st.hdr[H_NCH + side], key)
    c = ld[side, D_CHUNK, d]
    return d, c, _in_chunk(st.lx, side, c, ld[side, D_COUNT, c], key)


@njit(cache=True)
def _merge(st, side, d):
    """Merge the chunk at position ``d`` into its left neighbour, or its right into it."""
    ld = st.ld
    lx = st.lx
    nch = st.hdr[H_NCH + side]
    for left in (d - 1, d):
        if left < 0 or left + 1 >= nch:
            continue
        a = ld[side, D_CHUNK, left]
        b = ld[side, D_CHUNK, left + 1]
        na = ld[side, D_COUNT, a]
        nb = ld[side, D_COUNT, b]
        if na + nb > _HALF:
            continue
        for t in range(nb):
            lx[side, a, X_KEY, na + t] = lx[side, b, X_KEY, t]
            lx[side, a, X_SLOT, na + t] = lx[side, b, X_SLOT, t]
        ld[side, D_COUNT, a] = na + nb
        ld[side, D_MAX, left] = ld[side, D_MAX, left + 1]
        _drop_chunk(st, side, left + 1)
        return


@njit(cache=True)
def level_close(st, side, s):
    """Close level ``s`` (it holds no live order); the last pool row moves into ``s``.

    Its queue may still link dead entries: they are cut off with it (freeing their slots
    overwrites their links later).
    """
    hdr = st.hdr
    lv = st.lv
    ld = st.ld
    lx = st.lx
    d, c, j = _locate(st, side, lv[side, s, V_KEY])
    n = ld[side, D_COUNT, c]
    for t in range(j, n - 1):
        lx[side, c, X_KEY, t] = lx[side, c, X_KEY, t + 1]
        lx[side, c, X_SLOT, t] = lx[side, c, X_SLOT, t + 1]
    ld[side, D_COUNT, c] = n - 1
    if n == 1:
        _drop_chunk(st, side, d)
    else:
        if j == n - 1:
            ld[side, D_MAX, d] = lx[side, c, X_KEY, n - 2]
        if n - 1 < _MERGE:
            _merge(st, side, d)
    _set_top(st, side)
    # the row becomes a hole (key 0: no price has it) on the free list; no other row moves,
    # so closing the best level (every sweep) costs no search
    lv[side, s, V_KEY] = 0
    lv[side, s, V_QTY] = 0
    lv[side, s, V_COUNT] = 0
    lv[side, s, V_TAIL] = -1
    lv[side, s, V_HEAD] = hdr[H_LV_FREE + side]
    hdr[H_LV_FREE + side] = s
    holes = hdr[H_LV_HOLES + side] + 1
    hdr[H_LV_HOLES + side] = holes
    if holes > 16 and 2 * holes > hdr[H_NLEV + side]:
        _compact_pool(st, side)


@njit(cache=True, inline="always")
def is_hole(lv, side, s):
    """Whether pool row ``s`` is a closed level (see ``level_close``)."""
    return lv[side, s, V_KEY] == 0


@njit(cache=True)
def _compact_pool(st, side):
    """Renumber the open levels 0..n-1 in price order; the holes go."""
    hdr = st.hdr
    lv = st.lv
    n = hdr[H_NLEV + side] - hdr[H_LV_HOLES + side]
    rows = np.empty((max(n, 1), lv.shape[2]), np.int64)
    k = 0
    for d in range(hdr[H_NCH + side]):
        c = st.ld[side, D_CHUNK, d]
        for j in range(st.ld[side, D_COUNT, c]):
            rows[k] = lv[side, st.lx[side, c, X_SLOT, j]]
            st.lx[side, c, X_SLOT, j] = k
            k += 1
    lv[side, :n] = rows[:n]
    hdr[H_NLEV + side] = n
    hdr[H_LV_HOLES + side] = 0
    hdr[H_LV_FREE + side] = -1
    _set_top(st, side)


@njit(cache=True)
def levels_clear(st):
    """Close every level of both sides (their orders are freed by the caller)."""
    hdr = st.hdr
    for side in range(2):
        hdr[H_NLEV + side] = 0
        hdr[H_NCH + side] = 0
        hdr[H_CH_USED + side] = 0
        hdr[H_CH_FREE + side] = 0
        hdr[H_TOP + side] = -1
        hdr[H_LV_FREE + side] = -1
        hdr[H_LV_HOLES + side] = 0


@njit(cache=True)
def refresh_best(st):
    """Store each side's best price in the header (0 for an empty side)."""
    hdr = st.hdr
    for side in range(2):
        top = hdr[H_TOP + side]
        hdr[H_BEST + side] = price_of(side, st.lv[side, top, V_KEY]) if top >= 0 else 0


# -- queues ------------------------------------------------------------------------------------


@njit(cache=True)
def queue_append(st, side, li, slot, visible):
    """Put ``slot`` at the back of level ``li``'s queue with ``visible`` displayed quantity."""
    lv = st.lv
    oq = st.oq
    tail = lv[side, li, V_TAIL]
    oq[slot, O_LINK] = (tail << 32) | LO32  # prev = tail, next = -1
    if tail >= 0:
        set_next(oq, tail, slot)
    else:
        lv[side, li, V_HEAD] = slot
    lv[side, li, V_TAIL] = slot
    lv[side, li, V_COUNT] += 1
    lv[side, li, V_QTY] += visible
    st.hdr[H_NRESTING] += 1


@njit(cache=True)
def queue_unlink(st, side, li, slot, visible):
    """Take ``slot`` (showing ``visible``) out of level ``li``'s queue; the level may empty."""
    _unlink(st, side, li, slot)
    lv = st.lv
    lv[side, li, V_COUNT] -= 1
    lv[side, li, V_QTY] -= visible
    st.hdr[H_NRESTING] -= 1


@njit(cache=True, inline="always")
def is_dead(oq, slot):
    """Whether a queued slot is a cancelled order left in place (see ``queue_bury``)."""
    return status_of(oq, slot) > ST_PARTIAL


@njit(cache=True)
def queue_bury(st, side, li, slot):
    """Cancel a resting order's place in its level without unlinking it.

    Unlinking touches both queue neighbours, two random rows on a large book: on a random
    cancel that is one of the two dependent cache misses. The level's count and total drop
    at once; the slot stays linked as a dead entry that the walkers skip and matching
    unlinks when it reaches it (``queue_drop_dead``). The caller marks the order cancelled.
    """
    lv = st.lv
    lv[side, li, V_COUNT] -= 1
    lv[side, li, V_QTY] -= st.oq[slot, O_VIS]
    st.hdr[H_NRESTING] -= 1


@njit(cache=True)
def queue_drop_dead(st, side, li, slot):
    """Unlink the dead entries from ``slot`` on; answer the first live slot, or -1."""
    oq = st.oq
    while slot >= 0 and is_dead(oq, slot):
        nxt = link_next(oq, slot)
        _unlink(st, side, li, slot)
        slot = nxt
    return slot


@njit(cache=True)
def purge_dead(st):
    """Unlink every dead entry from every queue (before their slots are freed)."""
    lv = st.lv
    oq = st.oq
    for side in range(2):
        for li in range(st.hdr[H_NLEV + side]):
            if is_hole(lv, side, li):
                continue
            o = lv[side, li, V_HEAD]
            while o >= 0:
                nxt = link_next(oq, o)
                if is_dead(oq, o):
                    _unlink(st, side, li, o)
                o = nxt


@njit(cache=True)
def _unlink(st, side, li, slot):
    lv = st.lv
    oq = st.oq
    prev = link_prev(oq, slot)
    nxt = link_next(oq, slot)
    if prev >= 0:
        set_next(oq, prev, nxt)
    else:
        lv[side, li, V_HEAD] = nxt
    if nxt >= 0:
        set_prev(oq, nxt, prev)
    else:
        lv[side, li, V_TAIL] = prev
    oq[slot, O_LINK] = -1  # both links -1
