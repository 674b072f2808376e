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
from types import SimpleNamespace
from typing import Any

import numpy as np
from numba import config, typeof, types

from tickbook.book import _kernels
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


@cache
def _for_type(state_type: Any) -> SimpleNamespace:
    doors = {name: fast(getattr(_kernels, name), (state_type,) + (_I,) * n)
             for name, n in _HOT.items()}  # fmt: skip
    grid = types.Array(types.int64, 2, "C")
    doors["levels"] = fast(_kernels.levels, (state_type, _I, _I, grid))
    doors["book_orders"] = fast(_kernels.book_orders, (state_type, _I, grid))
    commands = typeof(np.zeros(1, COMMAND_DTYPE))
    doors["run_commands"] = fast(_kernels.run_commands, (state_type, commands, _I, grid))
    return SimpleNamespace(**doors)


def entry_points(state: Any) -> SimpleNamespace:
    """Return the kernels' fast doors for a state of this type (built once per process)."""
    if config.DISABLE_JIT:
        return SimpleNamespace(**{name: getattr(_kernels, name) for name in _HOT},
                               levels=_kernels.levels, book_orders=_kernels.book_orders,
                               run_commands=_kernels.run_commands)  # fmt: skip
    return _for_type(typeof(state))
