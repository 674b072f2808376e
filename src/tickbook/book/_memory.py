"""Growing the book's arrays from Python, and how much room the next operation needs.

Exchange kernels never allocate order, index, level, event or stop storage: when an
operation lacks room, its kernel answers ``E_ROOM`` having changed nothing, and the Exchange
calls ``grow`` and tries again (a batch: sized once up front, resumed where room ran out).
numpy allocates the new arrays: it asks the kernel for transparent huge pages on large ones,
which Numba's allocator inside a kernel does not, and a failed allocation is a Python
``MemoryError`` raised before the book changes, not an error in the middle of an operation.

Anonymous memory maps for large arrays (returned to the OS the moment they are dropped) were
measured and dropped: at a million resting orders they cut RSS from ~144 to ~120 bytes per
order, but a fresh map faults on every 4 KiB page it touches (~1 ns per byte on this VM), and
submits slowed by ~10% where the heap reuses memory already faulted in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tickbook.book import _layout as lay

__all__ = ["grow"]


#: Order rows and events grow 4x: every row is copied and its pages faulted in once per array
#: it passes through, 1.33 times on average at 4x against 2 times at 2x. The room past the
#: last row is never touched, so it costs address space, not resident memory. The index is
#: filled when allocated (all of it is touched), so it keeps doubling.
_GROWTH = 4


def _pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def grow(st: Any, adopt: Any, orders: int = 0, trades: int = 0) -> None:
    """Give ``st`` room for one more operation plus ``orders`` orders and ``trades`` trades.

    One operation may create two orders (a modify's replacement), a stop and, through its
    cascade, one order per pending stop; ``has_room`` in the kernels asks for no more.
    """
    h = st.hdr
    pending = int(h[lay.H_NPENDING])
    new_orders = orders + 3 + pending
    live = int(h[lay.H_USED] - h[lay.H_NFREE])
    oq, oc = st.oq, st.oc
    if live + new_orders > oq.shape[0]:
        cap = max(_GROWTH * oq.shape[0], _pow2(live + new_orders))
        oq = np.empty((cap, oq.shape[1]), np.int64)
        oc = np.empty((cap, oc.shape[1]), np.int64)
    vals = st.ix_vals
    if 2 * (int(h[lay.H_IX_COUNT]) + new_orders) > vals.shape[0]:
        size = max(2 * vals.shape[0], _pow2(2 * (int(h[lay.H_IX_COUNT]) + new_orders)))
        vals = np.full(size, lay.EMPTY_SLOT, np.int32)
    lv = st.lv
    levels = max(int(h[lay.H_NLEV]), int(h[lay.H_NLEV + 1])) + 3 + pending
    if levels > lv.shape[1]:
        lv = np.empty((2, max(2 * lv.shape[1], _pow2(levels)), lv.shape[2]), np.int64)
    ev = st.ev
    events = int(h[lay.H_NEVENTS]) + 3 + orders
    if h[lay.H_RECORD] and events > ev.shape[0]:
        ev = np.empty((max(_GROWTH * ev.shape[0], 16, _pow2(events)),), ev.dtype)
    sp, sx = st.sp, st.sx
    if int(h[lay.H_NSTOPS]) + 2 > sp.shape[0]:
        sp = np.empty((2 * sp.shape[0], sp.shape[1]), np.int64)
        sx = np.empty((sx.shape[0], sp.shape[0]), np.int64)
    tr = st.tr
    rows = int(h[lay.H_NTRADES]) + trades
    if rows > tr.shape[0]:
        tr = np.empty((max(_GROWTH * tr.shape[0], _pow2(rows)), tr.shape[1]), np.int64)
    adopt(st, oq, oc, vals, lv, ev, sp, sx, tr)  # level chunks grow in the kernels
