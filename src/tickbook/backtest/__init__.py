"""Backtests: the weight-schedule bridge, strategies, event-driven replay, research, reports."""

from tickbook.backtest._bridge import (
    BacktestResult,
    FillTiming,
    StopConfig,
    StopEvent,
    backtest_weights,
)

__all__ = [
    "BacktestResult",
    "FillTiming",
    "StopConfig",
    "StopEvent",
    "backtest_weights",
]
