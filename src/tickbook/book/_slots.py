"""Order slots: the packed fields of an order row, and taking and freeing rows.

An order is a row of ``oq`` (hot: one cache line) and ``oc`` (cold). Freed rows go on a free
list threaded through the ``next`` link. Kernels here trust their callers: room was made
first (``_room.py``).
"""

from numba import njit

from tickbook.book._index import ix_delete, ix_insert
from tickbook.book._layout import (
    EMPTY_SLOT,
    H_FREE,
    H_IX_COUNT,
    H_NFREE,
    H_USED,
    LO32,
    O_ID,
    O_LINK,
    O_META,
    ST_FREE,
)

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


# -- taking and freeing rows --------------------------------------------------------------


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
    # the caller has unlinked the dead entries (``purge_dead``): a freed slot's links are
    # reused by the free list
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
