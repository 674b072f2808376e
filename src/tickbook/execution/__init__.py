"""Execution: the rebalancer (target weights to orders, audited and recoverable) and algorithms.

- ``Rebalancer``: plan a ``target.json`` against a broker, check it with the risk engine,
  send limit orders at a limited rate with cancel-and-replace, reconcile, and ``recover`` an
  interrupted run from its write-ahead ``AuditLog`` without sending any order twice.
- ``TWAP``, ``VWAP``, ``POV``, ``Iceberg``: child-order schedules for one parent order, run
  against any broker on the caller's clock by ``execute`` (implementation shortfall reported).
"""

from tickbook.execution._algos import POV, TWAP, VWAP, Iceberg, ParentOrder, Schedule
from tickbook.execution._audit import AuditLog
from tickbook.execution._plan import Plan, PlanRow, RebalanceConfig
from tickbook.execution._rebalancer import Rebalancer, RunResult
from tickbook.execution._runner import ChildFill, ExecutionReport, execute
from tickbook.execution._target import Target, load_target, parse_target

__all__ = [
    "POV",
    "TWAP",
    "VWAP",
    "AuditLog",
    "ChildFill",
    "ExecutionReport",
    "Iceberg",
    "ParentOrder",
    "Plan",
    "PlanRow",
    "RebalanceConfig",
    "Rebalancer",
    "RunResult",
    "Schedule",
    "Target",
    "execute",
    "load_target",
    "parse_target",
]
