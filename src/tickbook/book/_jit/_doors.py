"""Kernels that declare their entry signature, and the fast doors into them.

Calling a Numba dispatcher costs a typing pass on every call (~300 ns here). The compiled
overload's ``entry_point`` skips it (~150 ns), at the price of trusting the argument types, so
the wrappers check types before calling. ``entry_point`` is a Numba internal: when it is
missing (another Numba version, or ``NUMBA_DISABLE_JIT=1``), we fall back to the dispatcher,
which behaves the same, only slower. ``tests/book/test_entry.py`` pins both paths.

A kernel that Python calls through a door is defined with ``@entry(...)``, naming the types
of its arguments after the state; the door compiles (or loads from the cache) exactly that
signature.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from numba import config, njit, typeof, types

from tickbook.book._layout import COMMAND_DTYPE

__all__ = ["COMMANDS", "GRID", "INT", "entry", "entry_points", "fast", "fast_kernel"]

#: argument types for ``entry``: an int64, an int64 grid (2-D, C order), a command array
INT = types.int64
GRID = types.Array(types.int64, 2, "C")
COMMANDS = typeof(np.zeros(1, COMMAND_DTYPE))

#: kernel name -> (dispatcher, argument types after the state)
_ENTRIES: dict[str, tuple[Any, tuple[Any, ...]]] = {}


def entry(*arg_types: Any) -> Callable[[Callable[..., Any]], Any]:
    """Compile a kernel (``njit``, cached) that takes a state, then ``arg_types``."""

    def wrap(fn: Callable[..., Any]) -> Any:
        dispatcher = njit(cache=True)(fn)
        _ENTRIES[fn.__name__] = (dispatcher, tuple(arg_types))
        return dispatcher

    return wrap


def fast(dispatcher: Any, signature: tuple[Any, ...]) -> Callable[..., Any]:
    """Return the compiled entry point of ``dispatcher`` for ``signature``, or the dispatcher."""
    if config.DISABLE_JIT or not hasattr(dispatcher, "compile"):
        return dispatcher
    try:
        dispatcher.compile(signature)
        return dispatcher.overloads[signature].entry_point
    except Exception:  # a Numba without entry_point: the dispatcher does the same work
        return dispatcher


def _declared(dispatcher: Any) -> tuple[Any, ...]:
    for known, arg_types in _ENTRIES.values():
        if known is dispatcher:
            return arg_types
    raise KeyError(f"{dispatcher!r} was not defined with @entry")


def fast_kernel(dispatcher: Any, state: Any, n_ints: int | None = None) -> Callable[..., Any]:
    """Return the fast door of an ``@entry`` kernel for ``state``.

    ``n_ints`` (int64 arguments after the state) is for kernels defined without ``@entry``.
    """
    if config.DISABLE_JIT:
        return dispatcher
    arg_types = (INT,) * n_ints if n_ints is not None else _declared(dispatcher)
    return fast(dispatcher, (typeof(state), *arg_types))


def _register() -> None:
    # the kernel modules register their entries when imported; they import this package,
    # so they are imported here, on first use, not at the top
    from tickbook.book import _feed, _kernels  # noqa: F401


class _Doors:
    """Kernels' fast doors for one state type, each resolved (loaded from cache) on first use.

    Loading every kernel up front costs ~0.25 s; a session that only submits loads one.
    """

    def __init__(self, state_type: Any) -> None:
        self._state_type = state_type

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        _register()
        if name not in _ENTRIES:
            raise AttributeError(name)
        dispatcher, arg_types = _ENTRIES[name]
        door = fast(dispatcher, (self._state_type, *arg_types))
        setattr(self, name, door)  # later lookups find the instance attribute directly
        return door


@cache
def _for_type(state_type: Any) -> _Doors:
    return _Doors(state_type)


class _PlainDoors:
    """With the JIT disabled every kernel is a plain Python function."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        _register()
        if name not in _ENTRIES:
            raise AttributeError(name)
        return _ENTRIES[name][0]


def entry_points(state: Any) -> Any:
    """Return the kernels' fast doors for a state of this type (shared per process)."""
    if config.DISABLE_JIT:
        return _PlainDoors()
    return _for_type(typeof(state))
