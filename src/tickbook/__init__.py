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


# features outside analytics, with the modules each needs beyond the base install's numpy and
# numba; the reference's names where it has one (backtest_stops, backtest_holdings: its
# capability probe maps both to backtest_weights)
_FEATURES: dict[str, tuple[str, ...]] = {
    "backtest_weights": (),
    "backtest_stops": (),
    "backtest_holdings": (),
    "backtest_event_driven": (),
    "backtest_sweep": (),
    "backtest_sweep_dask": ("distributed",),
    "backtest_walk_forward": ("pandas",),
    "backtest_grid_search": ("pandas",),
    "backtest_optuna_search": ("optuna", "pandas"),
    "backtest_tear_sheet": ("matplotlib", "pandas"),
    "panel_csv": ("pandas",),
    "panel_parquet": ("pandas", "pyarrow"),
    "lob": (),
    "lob_stops": (),
    "lob_multi_symbol": (),
    "lob_batch_replay": (),
    "feed_itch": (),
    "feed_lobster": (),
    "feed_binance_depth": (),
    "portfolio": (),
    "portfolio_metrics": (),
}


def capabilities() -> list[str]:
    """Return the sorted names of the features this installation can run now.

    As the reference's ``capabilities()``: integrations probe ``name in capabilities()``.
    A feature is listed only when the modules it needs are installed (probed with
    ``find_spec``: nothing is imported, no Numba loads). The analytics names
    (``garch_forecast``, ``optimize_cdar``, ``indicator:sma``, ...) come from
    ``tickbook.analytics.capabilities()``.
    """
    from tickbook.analytics._capabilities import capabilities as analytics
    from tickbook.analytics._capabilities import has_modules

    names = {name for name, needs in _FEATURES.items() if has_modules(needs)}
    return sorted(names | set(analytics()))


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tickbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
