"""Copying and pickling a book: an independent book with the same arrays, never a shared one.

``copy.copy``, ``copy.deepcopy`` and ``pickle`` of an ``Exchange`` or a ``FeedBook`` all give
a new, working book built on copies of the state's arrays: the copy and the original never
see each other's operations, and a copy's trade log is its own (the original's results keep
theirs). A pickle holds the arrays, so it restores exactly, event log or not.

The state's field list and constructor come from ``_state`` (the low-level module).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tickbook.book import _layout as lay
from tickbook.core import DataError

__all__ = ["clone_state", "state_arrays", "state_from_arrays"]


def _low() -> Any:
    # the one place that knows where the state's field list and constructor live
    # (``_FIELDS``, ``_make``, ``_PyBookState``, ``new_state``)
    from tickbook.book import _state

    return _state


def _fields() -> tuple[str, ...]:
    return _low()._FIELDS


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
    from numba import config

    _state = _low()
    fields = _state._FIELDS
    template = state_arrays(_state.new_state(16, record_events=False))
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
    if config.DISABLE_JIT:
        return _state._PyBookState(*arrays)
    return _state._make(*arrays)


def _fixed(name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    # the sizes that never change as a book grows: all but the rows (levels: axis 1)
    return (shape[0], *shape[2:]) if name == "lv" else shape[1:]


def clone_state(st: Any) -> Any:
    """Return an independent state holding copies of ``st``'s arrays."""
    return state_from_arrays(state_arrays(st))
