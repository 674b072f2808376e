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
    "capabilities",
]

_LAZY = {
    "Exchange": "tickbook.book",
    "MultiExchange": "tickbook.book",
    "BookSnapshot": "tickbook.book",
}


# features outside analytics; the reference's names where it has one (backtest_stops,
# backtest_holdings: its capability probe maps both to backtest_weights)
_FEATURES = (
    "backtest_weights", "backtest_stops", "backtest_holdings", "backtest_event_driven",
    "backtest_sweep", "backtest_walk_forward", "lob", "lob_stops", "lob_multi_symbol",
    "lob_batch_replay", "feed_itch", "feed_lobster", "feed_binance_depth", "portfolio",
    "portfolio_metrics",
)  # fmt: skip


def capabilities() -> list[str]:
    """Return the sorted names of the features this installation offers.

    As the reference's ``capabilities()``: integrations probe ``name in capabilities()``.
    The analytics names (``garch_forecast``, ``optimize_cdar``, ...) come from
    ``tickbook.analytics.capabilities()``; loads no Numba kernels.
    """
    from importlib.util import find_spec

    from tickbook.analytics import capabilities as analytics

    names = {*_FEATURES, *analytics()}
    if find_spec("optuna") is not None:
        names.add("backtest_optuna_search")
    return sorted(names)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tickbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
