"""Backtests: the weight-schedule bridge, strategies, event-driven replay, research, reports.

- ``backtest_weights(weight_schedule, price_schedule, initial_cash, cost_bps,
  periods_per_year, risk_free, stop_cfg)``: rows of ``(symbol, weight)`` and
  ``(symbol, price)`` as the reference documents show, or numpy arrays / pandas DataFrames
  (dates x symbols: the fast path). One Numba kernel with the GIL released; sells before
  buys; fills at the signal bar's close or the next bar's open; fixed and trailing stops.
  A symbol with no price in a bar is not traded and is valued at its last price.
- ``run_backtest(strategy, price_series, ...)``: a ``Strategy`` (or a plain function) asked
  for weights at every bar, trading a ``Portfolio``; ``EqualWeight``,
  ``CrossSectionalMomentum``.
- ``run_event_driven(...)``: bars or ticks replayed, orders routed through tickbook's
  ``Exchange`` with latency and a slippage model (``FixedBps``, ``SpreadCross``,
  ``SquareRootImpact``).
- ``sweep`` (process pool or Dask), ``grid_search``, ``walk_forward``, ``optuna_search``.
- ``tear_sheet`` (HTML + PNG), ``load_panel``, ``demo_report`` (the README's backtest).
"""

from tickbook.backtest._bridge import (
    BacktestResult,
    FillTiming,
    StopConfig,
    StopEvent,
    backtest_weights,
)
from tickbook.backtest._data import DemoReport, demo_report, load_panel, sample_data_dir
from tickbook.backtest._events import EventFill, EventResult, run_event_driven
from tickbook.backtest._report import TearSheet, metrics_rows, monthly_returns, tear_sheet
from tickbook.backtest._search import (
    OBJECTIVES,
    WalkForwardResult,
    grid_search,
    optuna_search,
    walk_forward,
)
from tickbook.backtest._slippage import FixedBps, SlippageModel, SpreadCross, SquareRootImpact
from tickbook.backtest._strategy import (
    CrossSectionalMomentum,
    EqualWeight,
    Strategy,
    StrategyResult,
    run_backtest,
)
from tickbook.backtest._sweep import param_grid, sweep

__all__ = [
    "OBJECTIVES",
    "BacktestResult",
    "CrossSectionalMomentum",
    "DemoReport",
    "EqualWeight",
    "EventFill",
    "EventResult",
    "FillTiming",
    "FixedBps",
    "SlippageModel",
    "SpreadCross",
    "SquareRootImpact",
    "StopConfig",
    "StopEvent",
    "Strategy",
    "StrategyResult",
    "TearSheet",
    "WalkForwardResult",
    "backtest_weights",
    "demo_report",
    "grid_search",
    "load_panel",
    "metrics_rows",
    "monthly_returns",
    "optuna_search",
    "param_grid",
    "run_backtest",
    "run_event_driven",
    "sample_data_dir",
    "sweep",
    "tear_sheet",
    "walk_forward",
]
