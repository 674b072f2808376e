"""Backtests: the weight-schedule bridge, strategies, event-driven replay, research, reports."""

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
