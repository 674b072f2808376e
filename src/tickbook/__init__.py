"""tickbook: a Python trading toolkit.

Python computes the strategy; tickbook does the rest: a deterministic order-book exchange,
market-data replay, portfolio simulation and backtests, analytics and pre-trade risk.

``import tickbook`` is cheap: subpackages (and their Numba kernels) load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tickbook.core import (
    OrderStatus,
    SelfTradePrevention,
    Side,
    Symbol,
    TickbookError,
    TimeInForce,
    ValidationError,
)

if TYPE_CHECKING:
    from tickbook.book import BookSnapshot, Exchange, MultiExchange

__version__ = "0.1.0"

__all__ = [
    "BookSnapshot",
    "Exchange",
    "MultiExchange",
    "OrderStatus",
    "SelfTradePrevention",
    "Side",
    "Symbol",
    "TickbookError",
    "TimeInForce",
    "ValidationError",
    "__version__",
]

_LAZY = {
    "Exchange": "tickbook.book",
    "MultiExchange": "tickbook.book",
    "BookSnapshot": "tickbook.book",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tickbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
