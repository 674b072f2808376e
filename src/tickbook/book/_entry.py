"""Fast doors into the kernels.

Calling a Numba dispatcher costs a typing pass on every call (~300 ns here). The compiled
overload's ``entry_point`` skips it (~150 ns), at the price of trusting the argument types, so
the wrappers check types before calling. ``entry_point`` is a Numba internal: when it is
missing (another Numba version, or ``NUMBA_DISABLE_JIT=1``), we fall back to the dispatcher,
which behaves the same, only slower. ``tests/book/test_entry.py`` pins both paths.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from numba import config, typeof, types

from tickbook.book import _kernels, _store
from tickbook.book._layout import COMMAND_DTYPE

__all__ = ["entry_points", "fast", "fast_kernel"]

_I = types.int64
_HOT = {
    "limit": 4,
    "limit_ex": 7,
    "market": 4,
    "cancel": 1,
    "modify": 3,
    "reduce": 2,
    "stop": 10,
    "order_slot": 1,
    "clear_history": 0,
    "clear_trades": 0,
    "compact": 0,
}


def fast(dispatcher: Any, signature: tuple[Any, ...]) -> Callable[..., Any]:
    """Return the compiled entry point of ``dispatcher`` for ``signature``, or the dispatcher."""
    if config.DISABLE_JIT or not hasattr(dispatcher, "compile"):
        return dispatcher
    try:
        dispatcher.compile(signature)
        return dispatcher.overloads[signature].entry_point
    except Exception:  # a Numba without entry_point: the dispatcher does the same work
        return dispatcher


def fast_kernel(dispatcher: Any, state: Any, n_ints: int) -> Callable[..., Any]:
    """Return the fast door of a kernel taking ``state`` then ``n_ints`` int64 arguments."""
    if config.DISABLE_JIT:
        return dispatcher
    return fast(dispatcher, (typeof(state),) + (_I,) * n_ints)


class _Doors:
    """Kernels' fast doors for one state type, each resolved (loaded from cache) on first use.

    Loading every kernel up front costs ~0.25 s; a session that only submits loads one.
    """

    def __init__(self, state_type: Any) -> None:
        self._state_type = state_type

    def __getattr__(self, name: str) -> Callable[..., Any]:
        dispatcher = getattr(_store if name == "adopt" else _kernels, name)
        if name in _HOT:
            door = fast(dispatcher, (self._state_type,) + (_I,) * _HOT[name])
        elif name in _GRID:
            door = fast(dispatcher, (self._state_type,) + (_I,) * _GRID[name] + (_GRID_T,))
        elif name == "adopt":
            door = fast(dispatcher, (self._state_type, *_ADOPT_T))
        elif name == "run_commands":
            door = fast(dispatcher, (self._state_type, _COMMANDS_T, _I, _I, _GRID_T))
        else:
            raise AttributeError(name)
        setattr(self, name, door)  # later lookups find the instance attribute directly
        return door


_GRID = {"levels": 2, "book_orders": 1, "snapshot": 1}
_GRID_T = types.Array(types.int64, 2, "C")
_COMMANDS_T = typeof(np.zeros(1, COMMAND_DTYPE))
_ADOPT_T = (  # oq, oc, vals, lv, ev, sp, tr
    _GRID_T,
    _GRID_T,
    types.Array(types.int32, 1, "C"),
    types.Array(types.int64, 3, "C"),
    _COMMANDS_T,
    _GRID_T,
    _GRID_T,
)


@cache
def _for_type(state_type: Any) -> _Doors:
    return _Doors(state_type)


class _PlainDoors:
    """With the JIT disabled every kernel is a plain Python function."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return getattr(_store if name == "adopt" else _kernels, name)


def entry_points(state: Any) -> Any:
    """Return the kernels' fast doors for a state of this type (shared per process)."""
    if config.DISABLE_JIT:
        return _PlainDoors()
    return _for_type(typeof(state))
