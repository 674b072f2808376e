"""Backtests: the weight-schedule bridge, strategies, event-driven replay, research, reports."""

from tickbook.backtest._bridge import (
    BacktestResult,
    FillTiming,
    StopConfig,
    StopEvent,
    backtest_weights,
)
from tickbook.backtest._events import EventFill, EventResult, run_event_driven
from tickbook.backtest._slippage import FixedBps, SlippageModel, SpreadCross, SquareRootImpact
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
    "backtest_weights",
    "run_backtest",
    "run_event_driven",
]
