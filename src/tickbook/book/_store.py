"""Data-structure primitives of the book: the id index, order slots, price levels, queues.

Plain Numba functions over the arrays of a ``BookState`` (columns in ``_layout.py``). They
trust their callers: the operations in ``_kernels.py`` validate first and call these only on
a consistent state, after ``has_room`` (the Exchange: Python grows the arrays) or
``ensure_room`` (feed books: the kernel grows them) has made sure of the space.

* The id index is an open-addressing hash table (linear probing, backward-shift deletion)
  of slots, kept at most half full: a bucket holds only the slot (int32), whose ``O_ID`` is
  the key, so a lookup reads the order's row, which its caller reads next anyway. The hash
  keeps the low bits of the id and folds the high bits in, so that the increasing ids of an
  exchange (and of most feeds) land in neighbouring buckets: inserts and lookups stay in
  cache.
* Order slots are rows of ``oq`` (hot: one cache line) and ``oc`` (cold); freed rows go on a
  free list threaded through the ``next`` link.
* Each side's levels are sorted by key (price on the bid, -price on the ask) with the best
  level last, so that the best price, and removing it, is O(1). A level keeps a doubly linked
  FIFO queue of its orders through the links packed in ``oq[:, O_LINK]``.
"""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    EMPTY_SLOT,
    H_ATR_N,
    H_BEST,
    H_CAP_EVENTS,
    H_CAP_INDEX,
    H_CAP_LEVELS,
    H_CAP_ORDERS,
    H_CAP_STOPS,
    H_FREE,
    H_IX_BITS,
    H_IX_COUNT,
    H_LAST_PRICE,
    H_NEMPTY,
    H_NEVENTS,
    H_NEXT_TRADE_ID,
    H_NFREE,
    H_NLEV,
    H_NPENDING,
    H_NRESTING,
    H_NSTOPS,
    H_NTRADES,
    H_OP_HI,
    H_OP_LO,
    H_RECORD,
    H_USED,
    LO32,
    MAX_ATR_PERIOD,
    O_ID,
    O_LINK,
    O_META,
    O_VIS,
    ST_FREE,
    ST_PARTIAL,
    T_AGGRESSOR,
    T_ID,
    T_PASSIVE,
    T_PRICE,
    T_QTY,
    T_SIDE,
    T_TS,
    TRADE_COLS,
    V_COUNT,
    V_HEAD,
    V_KEY,
    V_QTY,
    V_TAIL,
)
from tickbook.book._state import view

# -- packed order fields -----------------------------------------------------------------------


@njit(cache=True, inline="always")
def link_next(oq, slot):
    """Return the slot after ``slot`` in its queue (-1 at the tail)."""
    return (oq[slot, O_LINK] << 32) >> 32


@njit(cache=True, inline="always")
def link_prev(oq, slot):
    """Return the slot before ``slot`` in its queue (-1 at the head)."""
    return oq[slot, O_LINK] >> 32


@njit(cache=True, inline="always")
def set_next(oq, slot, value):
    """Set the slot after ``slot``."""
    oq[slot, O_LINK] = (oq[slot, O_LINK] & ~LO32) | (value & LO32)


@njit(cache=True, inline="always")
def set_prev(oq, slot, value):
    """Set the slot before ``slot``."""
    oq[slot, O_LINK] = (value << 32) | (oq[slot, O_LINK] & LO32)


@njit(cache=True, inline="always")
def make_meta(side, status, tif, flags, owner):
    """Pack an order's side, status, time in force, flags and owner."""
    return side | (status << 8) | (tif << 16) | (flags << 24) | (owner << 32)


@njit(cache=True, inline="always")
def side_of(oq, slot):
    """Return the order's side."""
    return oq[slot, O_META] & 0xFF


@njit(cache=True, inline="always")
def status_of(oq, slot):
    """Return the order's status (``ST_*``)."""
    return (oq[slot, O_META] >> 8) & 0xFF


@njit(cache=True, inline="always")
def tif_of(oq, slot):
    """Return the order's time in force."""
    return (oq[slot, O_META] >> 16) & 0xFF


@njit(cache=True, inline="always")
def flags_of(oq, slot):
    """Return the order's flag bits."""
    return (oq[slot, O_META] >> 24) & 0xFF


@njit(cache=True, inline="always")
def owner_of(oq, slot):
    """Return the order's owner (0 for none)."""
    return oq[slot, O_META] >> 32


@njit(cache=True, inline="always")
def set_status(oq, slot, status):
    """Set the order's status."""
    oq[slot, O_META] = (oq[slot, O_META] & ~0xFF00) | (status << 8)


# -- id index ---------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _home(key, bits, mask):
    return (key ^ (key >> bits)) & mask


@njit(cache=True)
def ix_find(st, key):
    """Return the slot of order ``key``, or -1.

    An exchange hands out ids and slots in the same order, so order ``key`` usually sits in
    slot ``key - 1``: looking there first skips the index, one dependent cache miss of the
    two a lookup costs on a large book. A freed slot keeps its old id, hence the status test;
    after slots are reused or compacted the guess misses and the index answers.
    """
    oq = st.oq
    guess = key - 1
    if 0 <= guess < st.hdr[H_USED] and oq[guess, O_ID] == key and status_of(oq, guess) != ST_FREE:
        return guess
    vals = st.ix_vals
    mask = vals.shape[0] - 1
    i = _home(key, st.hdr[H_IX_BITS], mask)
    while True:
        s = vals[i]
        if s < 0:
            return np.int64(-1)
        if oq[s, O_ID] == key:
            return np.int64(s)
        i = (i + 1) & mask


@njit(cache=True)
def ix_insert(st, key, slot):
    """Map order ``key`` (already in ``oq[slot, O_ID]``) to ``slot``; the key must be new."""
    vals = st.ix_vals
    _put(vals, _home(key, st.hdr[H_IX_BITS], vals.shape[0] - 1), slot)
    st.hdr[H_IX_COUNT] += 1


@njit(cache=True, inline="always")
def _put(vals, i, slot):
    """Store ``slot`` in the first empty bucket from ``i`` on (linear probing)."""
    mask = vals.shape[0] - 1
    while vals[i] >= 0:
        i = (i + 1) & mask
    vals[i] = slot


@njit(cache=True)
def ix_delete(st, key):
    """Remove order ``key`` from the index, shifting its probe chain back."""
    vals = st.ix_vals
    oq = st.oq
    mask = vals.shape[0] - 1
    bits = st.hdr[H_IX_BITS]
    i = _home(key, bits, mask)
    while True:
        s = vals[i]
        if s < 0:
            return
        if oq[s, O_ID] == key:
            break
        i = (i + 1) & mask
    j = i
    while True:
        j = (j + 1) & mask
        s = vals[j]
        if s < 0:
            break
        h = _home(oq[s, O_ID], bits, mask)
        # the entry at j may move to the hole at i unless its home lies cyclically in (i, j]
        if i <= j:
            stays = i < h <= j
        else:
            stays = h > i or h <= j
        if not stays:
            vals[i] = s
            i = j
    vals[i] = EMPTY_SLOT
    st.hdr[H_IX_COUNT] -= 1


@njit(cache=True, inline="always")
def _log2(n):
    b = 0
    while (np.int64(1) << b) < n:
        b += 1
    return b


@njit(cache=True)
def _reinsert(st, old, vals):
    """Insert every slot of index ``old`` into the empty index ``vals``; answer the count.

    ``old`` must still be the state's index: a field read in a kernel is a borrowed view
    (``_state.py``), valid only while the state holds the array.
    """
    oq = st.oq
    mask = vals.shape[0] - 1
    bits = _log2(vals.shape[0])
    count = 0
    for i in range(old.shape[0]):
        s = old[i]
        if s >= 0:
            _put(vals, _home(oq[s, O_ID], bits, mask), s)
            count += 1
    return count


@njit(cache=True)
def _rehash(st, size):
    vals = np.full(size, EMPTY_SLOT, np.int32)
    count = _reinsert(st, st.ix_vals, vals)
    st.ix_vals = vals
    st.hdr[H_IX_BITS] = _log2(size)
    st.hdr[H_CAP_INDEX] = size
    st.hdr[H_IX_COUNT] = count


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
            if lv[side, li, V_HEAD] >= 0:
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


@njit(cache=True)
def _rehash_from_orders(st, size):
    st.ix_vals = np.full(size, EMPTY_SLOT, np.int32)
    st.hdr[H_IX_BITS] = _log2(size)
    st.hdr[H_CAP_INDEX] = size
    st.hdr[H_IX_COUNT] = 0
    for s in range(st.hdr[H_USED]):
        ix_insert(st, st.oq[s, O_ID], s)


@njit(cache=True)
def adopt(state, oq, oc, vals, lv, ev, sp, tr):
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
        st.sp = sp
        hdr[H_CAP_STOPS] = sp.shape[0]
    if tr.shape[0] > st.tr.shape[0]:
        tr[: hdr[H_NTRADES]] = st.tr[: hdr[H_NTRADES]]
        st.tr = tr


# -- room -------------------------------------------------------------------------------------


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


@njit(cache=True)
def ensure_room(st, orders, levels, events, stops):
    """Grow any array that lacks room for this many new orders, levels, events and stops.

    Growing copies; it changes no content, so an operation may call it before validating.
    """
    if not has_room(st, orders, levels, events, stops):
        _grow(st, orders, levels, events, stops)


@njit(cache=True)
def _grow(st, orders, levels, events, stops):
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
    lcap = st.lv.shape[1]
    need = max(hdr[H_NLEV], hdr[H_NLEV + 1]) + levels
    if need > lcap:
        while need > lcap:
            lcap *= 2
        lv = np.empty((2, lcap, st.lv.shape[2]), np.int64)
        lv[:, : st.lv.shape[1], :] = st.lv
        st.lv = lv
        hdr[H_CAP_LEVELS] = lcap
    if hdr[H_RECORD] == 0:
        hdr[H_CAP_EVENTS] = 1 << 62  # not recording: never short of event room
    elif hdr[H_NEVENTS] + events > st.ev.shape[0]:
        ecap = max(st.ev.shape[0], 16)
        while hdr[H_NEVENTS] + events > ecap:
            ecap *= 2
        ev = np.empty(ecap, st.ev.dtype)
        ev[: hdr[H_NEVENTS]] = st.ev[: hdr[H_NEVENTS]]
        st.ev = ev
        hdr[H_CAP_EVENTS] = ecap
    if hdr[H_NSTOPS] + stops > st.sp.shape[0]:
        scap = st.sp.shape[0] * 2
        while hdr[H_NSTOPS] + stops > scap:
            scap *= 2
        sp = np.empty((scap, st.sp.shape[1]), np.int64)
        sp[: hdr[H_NSTOPS]] = st.sp[: hdr[H_NSTOPS]]
        st.sp = sp
        hdr[H_CAP_STOPS] = scap


@njit(cache=True, inline="always")
def room_needed(st):
    """Return the orders an operation may create: itself, a replacement, and every stop."""
    return 2 + st.hdr[H_NPENDING]


# -- order slots ------------------------------------------------------------------------------


@njit(cache=True)
def alloc_slot(st):
    """Take a free order slot (room was ensured)."""
    hdr = st.hdr
    f = hdr[H_FREE]
    if f >= 0:
        hdr[H_FREE] = link_next(st.oq, f)
        hdr[H_NFREE] -= 1
        return f
    s = hdr[H_USED]
    hdr[H_USED] = s + 1
    return s


@njit(cache=True)
def free_slot(st, slot):
    """Forget the order in ``slot``: drop it from the index and put the slot on the free list."""
    ix_delete(st, st.oq[slot, O_ID])
    _release(st, slot)


@njit(cache=True, inline="always")
def _release(st, slot):
    set_status(st.oq, slot, ST_FREE)
    set_next(st.oq, slot, st.hdr[H_FREE])
    st.hdr[H_FREE] = slot
    st.hdr[H_NFREE] += 1


@njit(cache=True)
def free_slots_where(st, statuses_mask):
    """Free every slot whose status bit is set in ``statuses_mask``; answer how many.

    The index is rebuilt once from the slots kept. Deleting one id at a time costs a scan to
    the end of its probe cluster, and an exchange's increasing ids form one long cluster:
    quadratic (9 s to forget 60k orders, measured) where this is linear.
    """
    purge_dead(st)  # a freed slot's links are reused by the free list
    oq = st.oq
    freed = 0
    for slot in range(st.hdr[H_USED]):
        status = status_of(oq, slot)
        if status != ST_FREE and (statuses_mask >> status) & 1:
            _release(st, slot)
            freed += 1
    if freed > 0:
        vals = st.ix_vals
        vals[:] = EMPTY_SLOT
        st.hdr[H_IX_COUNT] = 0
        for slot in range(st.hdr[H_USED]):
            if status_of(oq, slot) != ST_FREE:
                ix_insert(st, oq[slot, O_ID], slot)
    return freed


# -- price levels -----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def key_of(side, price):
    """Return the sort key of ``price`` on ``side``: ascending toward the best level."""
    return price if side == 0 else -price


@njit(cache=True)
def level_search(st, side, key):
    """Return (index, found): where ``key`` is, or where it would be inserted."""
    lv = st.lv
    hi = st.hdr[H_NLEV + side]
    # most activity is at the top of the book: look at the best level first
    if hi > 0:
        top = lv[side, hi - 1, V_KEY]
        if key == top:
            return hi - 1, True
        if key > top:
            return hi, False
    # branch-free lower bound: the loop runs log2(n) times whatever the data
    base = 0
    n = hi
    while n > 1:
        half = n >> 1
        base = base + half if lv[side, base + half - 1, V_KEY] < key else base
        n -= half
    if n == 1 and lv[side, base, V_KEY] < key:
        base += 1
    return base, base < hi and lv[side, base, V_KEY] == key


@njit(cache=True)
def level_insert(st, side, index, key):
    """Open an empty level for ``key`` at ``index``, shifting worse levels down (room ensured)."""
    lv = st.lv
    n = st.hdr[H_NLEV + side]
    for i in range(n, index, -1):
        for c in range(5):
            lv[side, i, c] = lv[side, i - 1, c]
    lv[side, index, V_KEY] = key
    lv[side, index, V_QTY] = 0
    lv[side, index, V_HEAD] = -1
    lv[side, index, V_TAIL] = -1
    lv[side, index, V_COUNT] = 0
    st.hdr[H_NLEV + side] = n + 1


@njit(cache=True)
def level_emptied(st, side, index):
    """Level ``index`` just lost its last order: close it if it is the best, else keep it.

    Closing a level below the best shifts every worse level (a deep level's insert and
    removal were O(levels): ~1 us each on a 500-level book). An emptied level below the best
    stays in place, empty, and is reused if an order comes back to its price; the best
    level is closed with any empty levels that it uncovers, so the best level always holds
    orders. Empty levels are swept out once they outnumber the others.
    """
    hdr = st.hdr
    lv = st.lv
    n = hdr[H_NLEV + side]
    if index == n - 1:
        n -= 1
        while n > 0 and lv[side, n - 1, V_COUNT] == 0:
            n -= 1
            hdr[H_NEMPTY + side] -= 1
        hdr[H_NLEV + side] = n
        return
    # its queue holds only dead entries now: cut them off (freeing their slots overwrites
    # their links later), so that an order coming back to this price queues alone
    lv[side, index, V_HEAD] = -1
    lv[side, index, V_TAIL] = -1
    hdr[H_NEMPTY + side] += 1
    if hdr[H_NEMPTY + side] > 16 and 2 * hdr[H_NEMPTY + side] > n:
        compact_levels(st, side)


@njit(cache=True)
def compact_levels(st, side):
    """Drop the empty levels of ``side`` (their queues hold only dead entries)."""
    lv = st.lv
    n = st.hdr[H_NLEV + side]
    k = 0
    for i in range(n):
        if lv[side, i, V_COUNT] > 0:
            if k != i:
                for c in range(5):
                    lv[side, k, c] = lv[side, i, c]
            k += 1
    st.hdr[H_NLEV + side] = k
    st.hdr[H_NEMPTY + side] = 0


@njit(cache=True)
def level_reuse(st, side, index):
    """An order is about to join level ``index``: if it was an empty kept level, count it."""
    if st.lv[side, index, V_COUNT] == 0:
        st.hdr[H_NEMPTY + side] -= 1


@njit(cache=True)
def refresh_best(st):
    """Store each side's best price in the header (0 for an empty side)."""
    hdr = st.hdr
    lv = st.lv
    n = hdr[H_NLEV]
    hdr[H_BEST] = lv[0, n - 1, V_KEY] if n > 0 else 0
    n = hdr[H_NLEV + 1]
    hdr[H_BEST + 1] = -lv[1, n - 1, V_KEY] if n > 0 else 0


# -- queues -----------------------------------------------------------------------------------


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


# -- trades -----------------------------------------------------------------------------------


@njit(cache=True)
def record_trade(st, price, qty, aggressor, passive, ts, side):
    """Append a trade to the log (growing it) and feed the last-price statistics."""
    hdr = st.hdr
    n = hdr[H_NTRADES]
    if n == st.tr.shape[0]:
        grown = np.empty((2 * n, TRADE_COLS), np.int64)
        grown[:n] = st.tr
        st.tr = grown
    tr = st.tr
    tr[n, T_ID] = hdr[H_NEXT_TRADE_ID]
    tr[n, T_PRICE] = price
    tr[n, T_QTY] = qty
    tr[n, T_AGGRESSOR] = aggressor
    tr[n, T_PASSIVE] = passive
    tr[n, T_TS] = ts
    tr[n, T_SIDE] = side
    hdr[H_NTRADES] = n + 1
    hdr[H_NEXT_TRADE_ID] += 1
    last = hdr[H_LAST_PRICE]
    if last > 0:
        st.ring[hdr[H_ATR_N] % MAX_ATR_PERIOD] = abs(price - last)
        hdr[H_ATR_N] += 1
    hdr[H_LAST_PRICE] = price
    if hdr[H_NPENDING] > 0:
        if hdr[H_OP_HI] == 0 or price > hdr[H_OP_HI]:
            hdr[H_OP_HI] = price
        if hdr[H_OP_LO] == 0 or price < hdr[H_OP_LO]:
            hdr[H_OP_LO] = price


@njit(cache=True)
def log_event(st, kind, side, tif, flags, owner, price, qty, ref):
    """Append one command to the event log when recording is on (room ensured)."""
    hdr = st.hdr
    if hdr[H_RECORD] == 0:
        return
    n = hdr[H_NEVENTS]
    e = st.ev[n]
    e["kind"] = kind
    e["side"] = side
    e["tif"] = tif
    e["flags"] = flags
    e["owner"] = owner
    e["price"] = price
    e["qty"] = qty
    e["ref"] = ref
    hdr[H_NEVENTS] = n + 1
