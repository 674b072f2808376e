"""Copying and pickling a book: an independent book with the same arrays, never a shared one.

``copy.copy``, ``copy.deepcopy`` and ``pickle`` of an ``Exchange`` or a ``FeedBook`` all give
a new, working book built on copies of the state's arrays: the copy and the original never
see each other's operations, and a copy's trade log is its own (the original's results keep
theirs). A pickle holds the arrays, so it restores exactly, event log or not.

The state's field list and constructor come from the fenced Numba code (``book/_jit``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tickbook.book import _layout as lay
from tickbook.core import DataError

__all__ = ["clone_state", "state_arrays", "state_from_arrays"]


def _fields() -> tuple[str, ...]:
    from tickbook.book._jit import STATE_FIELDS

    return STATE_FIELDS


def state_arrays(st: Any) -> tuple[np.ndarray, ...]:
    """Return copies of the state's arrays, in the state's field order."""
    arrays = [np.array(getattr(st, name), copy=True, order="C") for name in _fields()]
    arrays[0][lay.H_TRADE_LOG] = 0  # the copy's owner registers its own trade log
    return tuple(arrays)


def state_from_arrays(arrays: Any) -> Any:
    """Return a state on ``arrays`` (from ``state_arrays``) after checking their layout.

    A pickle from another version or a damaged one raises ``DataError`` instead of reaching
    a kernel with arrays of the wrong shape.
    """
    from tickbook.book._jit import new_state, state_from_fields

    fields = _fields()
    template = state_arrays(new_state(16, record_events=False))
    if not isinstance(arrays, tuple) or len(arrays) != len(fields):
        raise DataError("not a tickbook book state", field="state", value=type(arrays).__name__)
    for name, array, like in zip(fields, arrays, template, strict=True):
        if (
            not isinstance(array, np.ndarray)
            or array.dtype != like.dtype
            or array.ndim != like.ndim
            or _fixed(name, array.shape) != _fixed(name, like.shape)
            or not array.flags.c_contiguous
        ):
            got = getattr(array, "dtype", type(array).__name__)
            raise DataError(
                f"book state field `{name}` has the wrong layout ({got})", field=name, value=got
            )
    hdr = arrays[0]
    caps = (
        (lay.H_CAP_ORDERS, arrays[fields.index("oq")].shape[0]),
        (lay.H_CAP_INDEX, arrays[fields.index("ix_vals")].shape[0]),
        (lay.H_CAP_LEVELS, arrays[fields.index("lv")].shape[1]),
    )
    for slot, size in caps:
        if hdr[slot] != size:
            raise DataError(
                "book state header does not match its arrays", field="hdr", value=int(hdr[slot])
            )
    return state_from_fields(*arrays)


#: the axis each growing array grows along (rows otherwise): level pools and chunk tables
#: per side, the stop heaps' columns
_GROWS = {"lv": 1, "lx": 1, "ld": 2, "sx": 1}


def _fixed(name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    # the sizes that never change as a book grows: all but the growing axis
    axis = _GROWS.get(name, 0)
    return shape[:axis] + shape[axis + 1 :]


def clone_state(st: Any) -> Any:
    """Return an independent state holding copies of ``st``'s arrays."""
    return state_from_arrays(state_arrays(st))
