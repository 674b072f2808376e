"""Backtests: the weight-schedule bridge, strategies, event-driven replay, research, reports."""

from tickbook.backtest._bridge import (
    BacktestResult,
    FillTiming,
    StopConfig,
    StopEvent,
    backtest_weights,
)
from tickbook.backtest._strategy import (
    CrossSectionalMomentum,
    EqualWeight,
    Strategy,
    StrategyResult,
    run_backtest,
)

__all__ = [
    "BacktestResult",
    "CrossSectionalMomentum",
    "EqualWeight",
    "FillTiming",
    "StopConfig",
    "StopEvent",
    "Strategy",
    "StrategyResult",
    "backtest_weights",
    "run_backtest",
]
