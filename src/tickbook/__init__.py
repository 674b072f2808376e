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
    from tickbook.analytics import (
        bbands,
        ema,
        macd,
        optimize_cdar,
        optimize_cvar,
        optimize_hrp,
        optimize_max_sharpe,
        optimize_min_variance,
        optimize_risk_parity,
        rsi,
        sma,
    )
    from tickbook.backtest import (
        BacktestResult,
        backtest_weights,
        run_backtest,
        sweep,
        tear_sheet,
        walk_forward,
    )
    from tickbook.book import (
        BookSnapshot,
        CancelResult,
        Exchange,
        LevelSnapshot,
        ModifyResult,
        MultiExchange,
        Order,
        StopSubmitResult,
        SubmitResult,
        Trade,
    )
    from tickbook.feeds import parse_itch
    from tickbook.portfolio import (
        CostModel,
        Metrics,
        Portfolio,
        Position,
        compute_metrics,
        drawdown_series,
    )

__version__ = "0.1.0"

__all__ = [
    "BacktestResult",
    "BookSnapshot",
    "CancelResult",
    "CostModel",
    "Exchange",
    "LevelSnapshot",
    "Metrics",
    "ModifyResult",
    "MultiExchange",
    "Order",
    "OrderStatus",
    "Portfolio",
    "Position",
    "SelfTradePrevention",
    "Side",
    "StopSubmitResult",
    "SubmitResult",
    "Symbol",
    "TickbookError",
    "TimeInForce",
    "Trade",
    "ValidationError",
    "__version__",
    "backtest_weights",
    "bbands",
    "capabilities",
    "compute_metrics",
    "drawdown_series",
    "ema",
    "macd",
    "optimize_cdar",
    "optimize_cvar",
    "optimize_hrp",
    "optimize_max_sharpe",
    "optimize_min_variance",
    "optimize_risk_parity",
    "parse_itch",
    "rsi",
    "run_backtest",
    "sma",
    "sweep",
    "tear_sheet",
    "walk_forward",
]

# nanobook's top-level names, so its users' habits work here; each loads its subpackage
# (and its kernels) on first use only
_LAZY = {
    "BookSnapshot": "tickbook.book",
    "CancelResult": "tickbook.book",
    "Exchange": "tickbook.book",
    "LevelSnapshot": "tickbook.book",
    "ModifyResult": "tickbook.book",
    "MultiExchange": "tickbook.book",
    "Order": "tickbook.book",
    "StopSubmitResult": "tickbook.book",
    "SubmitResult": "tickbook.book",
    "Trade": "tickbook.book",
    "CostModel": "tickbook.portfolio",
    "Metrics": "tickbook.portfolio",
    "Portfolio": "tickbook.portfolio",
    "Position": "tickbook.portfolio",
    "compute_metrics": "tickbook.portfolio",
    "drawdown_series": "tickbook.portfolio",
    "BacktestResult": "tickbook.backtest",
    "backtest_weights": "tickbook.backtest",
    "run_backtest": "tickbook.backtest",
    "sweep": "tickbook.backtest",
    "tear_sheet": "tickbook.backtest",
    "walk_forward": "tickbook.backtest",
    "bbands": "tickbook.analytics",
    "ema": "tickbook.analytics",
    "macd": "tickbook.analytics",
    "optimize_cdar": "tickbook.analytics",
    "optimize_cvar": "tickbook.analytics",
    "optimize_hrp": "tickbook.analytics",
    "optimize_max_sharpe": "tickbook.analytics",
    "optimize_min_variance": "tickbook.analytics",
    "optimize_risk_parity": "tickbook.analytics",
    "rsi": "tickbook.analytics",
    "sma": "tickbook.analytics",
    "parse_itch": "tickbook.feeds",
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
