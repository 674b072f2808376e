"""The id index: order id -> slot, an open-addressing hash table of the order rows.

Linear probing, backward-shift deletion, kept at most half full. A bucket holds only the
slot (int32), whose ``O_ID`` is the key, so a lookup reads the order's row, which its caller
reads next anyway. The hash keeps the low bits of the id and folds the high bits in, so that
the increasing ids of an exchange (and of most feeds) land in neighbouring buckets: inserts
and lookups stay in cache.
"""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    EMPTY_SLOT,
    H_CAP_INDEX,
    H_IX_BITS,
    H_IX_COUNT,
    H_USED,
    O_ID,
    O_META,
    ST_FREE,
)


@njit(cache=True, inline="always")
def _live(oq, slot):
    return (oq[slot, O_META] >> 8) & 0xFF != ST_FREE


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
    if 0 <= guess < st.hdr[H_USED] and oq[guess, O_ID] == key and _live(oq, guess):
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
def _rehash_from_orders(st, size):
    st.ix_vals = np.full(size, EMPTY_SLOT, np.int32)
    st.hdr[H_IX_BITS] = _log2(size)
    st.hdr[H_CAP_INDEX] = size
    st.hdr[H_IX_COUNT] = 0
    for s in range(st.hdr[H_USED]):
        ix_insert(st, st.oq[s, O_ID], s)
