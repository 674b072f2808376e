"""Where the book's growing arrays come from, and how much room the next operation needs.

Exchange kernels never allocate order, index, level, event or stop storage: when an
operation lacks room, its kernel answers ``E_ROOM`` having changed nothing, and the Exchange
calls ``grow`` and tries again. Growing here rather than in a kernel lets large arrays be
anonymous memory maps, returned to the operating system as soon as they are dropped. Arrays
from the C heap are not always: glibc raises its mmap threshold after the first large free,
and the doubling arrays then leave holes in the heap that stay resident (measured: 176 bytes
of RSS per resting order at a million orders from the heap, 141 with maps).

Below ``_MAP_AT``, and for a batch sized once up front (no doubling, so no holes), the heap
is the better place: a fresh map costs a page fault per 4 KiB touched (~1 ns per byte on a
VM, measured), reused heap memory none, and numpy asks for huge pages on large arrays.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np

from tickbook.book import _layout as lay

__all__ = ["alloc", "grow"]

_MAP_AT = 8 << 20  # arrays of at least this many bytes are memory maps


def alloc(shape: tuple[int, ...], dtype: Any, heap: bool = False) -> np.ndarray:
    """Return an uninitialised (map: zeroed) array; large ones are anonymous memory maps."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if heap or nbytes < _MAP_AT:
        return np.empty(shape, dtype)
    region = mmap.mmap(-1, nbytes)
    return np.frombuffer(region, dtype).reshape(shape)  # the array keeps the map alive


def _pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def grow(st: Any, adopt: Any, orders: int = 0, trades: int = 0) -> None:
    """Give ``st`` room for one more operation plus ``orders`` orders and ``trades`` trades.

    One operation may create two orders (a modify's replacement), a stop and, through its
    cascade, one order per pending stop; ``has_room`` in the kernels asks for no more.
    A batch (``orders`` or ``trades`` > 0) is sized once, on the heap.
    """
    heap = orders > 0 or trades > 0
    h = st.hdr
    pending = int(h[lay.H_NPENDING])
    new_orders = orders + 3 + pending
    live = int(h[lay.H_USED] - h[lay.H_NFREE])
    oq, oc = st.oq, st.oc
    if live + new_orders > oq.shape[0]:
        cap = max(2 * oq.shape[0], _pow2(live + new_orders))
        oq, oc = (
            alloc((cap, oq.shape[1]), np.int64, heap),
            alloc((cap, oc.shape[1]), np.int64, heap),
        )
    vals = st.ix_vals
    if 2 * (int(h[lay.H_IX_COUNT]) + new_orders) > vals.shape[0]:
        size = max(2 * vals.shape[0], _pow2(2 * (int(h[lay.H_IX_COUNT]) + new_orders)))
        vals = alloc((size,), np.int32, heap)
        vals.fill(lay.EMPTY_SLOT)
    lv = st.lv
    levels = max(int(h[lay.H_NLEV]), int(h[lay.H_NLEV + 1])) + 3 + pending
    if levels > lv.shape[1]:
        lv = alloc((2, max(2 * lv.shape[1], _pow2(levels)), lv.shape[2]), np.int64, heap)
    ev = st.ev
    events = int(h[lay.H_NEVENTS]) + 3 + orders
    if h[lay.H_RECORD] and events > ev.shape[0]:
        ev = alloc((max(2 * ev.shape[0], 16, _pow2(events)),), ev.dtype, heap)
    sp = st.sp
    if int(h[lay.H_NSTOPS]) + 2 > sp.shape[0]:
        sp = alloc((2 * sp.shape[0], sp.shape[1]), np.int64, heap)
    tr = st.tr
    rows = int(h[lay.H_NTRADES]) + trades
    if rows > tr.shape[0]:
        tr = alloc((max(2 * tr.shape[0], _pow2(rows)), tr.shape[1]), np.int64, heap)
    adopt(st, oq, oc, vals, lv, ev, sp, tr)
