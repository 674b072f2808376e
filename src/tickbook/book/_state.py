"""The arrays that hold one book, bundled so that a kernel takes them as a single argument.

A Numba ``StructRef`` carries the arrays: passing it costs about as much as passing one array,
where passing ten arrays would cost ten unboxings per call. Kernels may replace a field with a
larger array when the book grows. With ``NUMBA_DISABLE_JIT=1`` the same fields live on a plain
Python object, and the same kernel code runs as Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import config, njit, types
from numba.experimental import structref

from tickbook.book._layout import (
    COMMAND_DTYPE,
    EMPTY_KEY,
    H_CAP_EVENTS,
    H_CAP_INDEX,
    H_CAP_LEVELS,
    H_CAP_ORDERS,
    H_CAP_STOPS,
    H_FREE,
    H_IX_BITS,
    H_RECORD,
    HDR_SIZE,
    MAX_ATR_PERIOD,
    STOP_COLS,
    TRADE_COLS,
)

__all__ = ["BookState", "new_state"]

_FIELDS = ("hdr", "oq", "ol", "om", "ix_keys", "ix_vals", "lv", "tr", "ev", "sp", "ring")


@structref.register
class BookStateType(types.StructRef):
    """Numba type of ``BookState``."""

    def preprocess_fields(self, fields: Any) -> Any:
        """Store plain (not literal) types for the fields."""
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class BookState(structref.StructRefProxy):
    """The arrays of one book (see ``_layout.py`` for their columns).

    Python reads a field through a small compiled getter; the array it gets shares memory
    with the book, so it sees later changes until a kernel swaps in a larger array.
    """

    hdr = property(lambda self: _get_hdr(self))
    oq = property(lambda self: _get_oq(self))
    ol = property(lambda self: _get_ol(self))
    om = property(lambda self: _get_om(self))
    ix_keys = property(lambda self: _get_ix_keys(self))
    ix_vals = property(lambda self: _get_ix_vals(self))
    lv = property(lambda self: _get_lv(self))
    tr = property(lambda self: _get_tr(self))
    ev = property(lambda self: _get_ev(self))
    sp = property(lambda self: _get_sp(self))
    ring = property(lambda self: _get_ring(self))


structref.define_proxy(BookState, BookStateType, list(_FIELDS))


@njit(cache=True)
def _get_hdr(st):
    return st.hdr


@njit(cache=True)
def _get_oq(st):
    return st.oq


@njit(cache=True)
def _get_ol(st):
    return st.ol


@njit(cache=True)
def _get_om(st):
    return st.om


@njit(cache=True)
def _get_ix_keys(st):
    return st.ix_keys


@njit(cache=True)
def _get_ix_vals(st):
    return st.ix_vals


@njit(cache=True)
def _get_lv(st):
    return st.lv


@njit(cache=True)
def _get_tr(st):
    return st.tr


@njit(cache=True)
def _get_ev(st):
    return st.ev


@njit(cache=True)
def _get_sp(st):
    return st.sp


@njit(cache=True)
def _get_ring(st):
    return st.ring


class _PyBookState:
    """Stand-in for ``BookState`` when the JIT is disabled: same fields, plain attributes."""

    __slots__ = _FIELDS

    def __init__(self, *arrays: np.ndarray) -> None:
        for name, array in zip(_FIELDS, arrays, strict=True):
            setattr(self, name, array)


def new_state(
    order_capacity: int = 1024, level_capacity: int = 64, record_events: bool = True
) -> Any:
    """Allocate an empty book; arrays grow by doubling when the book needs more room."""
    hdr = np.zeros(HDR_SIZE, np.int64)
    hdr[0] = 1  # H_NEXT_ID: ids start at 1
    hdr[2] = 1  # H_NEXT_TRADE_ID
    hdr[H_FREE] = -1
    order_capacity = 1 << max(4, (order_capacity - 1).bit_length())  # a power of two
    index_size = 2 * order_capacity
    events = 1024 if record_events else 0
    hdr[H_IX_BITS] = index_size.bit_length() - 1
    hdr[H_RECORD] = int(record_events)
    hdr[H_CAP_ORDERS] = order_capacity
    hdr[H_CAP_INDEX] = index_size
    hdr[H_CAP_LEVELS] = level_capacity
    hdr[H_CAP_EVENTS] = events if record_events else 1 << 62  # no log: never short of room
    hdr[H_CAP_STOPS] = 16
    arrays = (
        hdr,
        np.zeros((order_capacity, 8), np.int64),
        np.full((order_capacity, 3), -1, np.int32),
        np.full((order_capacity, 4), -1, np.int8),
        np.full(index_size, EMPTY_KEY, np.int64),
        np.zeros(index_size, np.int32),
        np.zeros((2, level_capacity, 5), np.int64),
        np.zeros((256, TRADE_COLS), np.int64),
        np.zeros(events, COMMAND_DTYPE),
        np.zeros((16, STOP_COLS), np.int64),
        np.zeros(MAX_ATR_PERIOD, np.int64),
    )
    if config.DISABLE_JIT:
        return _PyBookState(*arrays)
    return BookState(*arrays)
