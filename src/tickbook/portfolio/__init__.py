"""Portfolio simulation: positions, costs, rebalancing and performance metrics.

``Portfolio`` holds integer cash and positions and rebalances to target weights at bar prices
(``rebalance_simple``) or through tickbook's own order books (``rebalance_lob``);
``compute_metrics`` turns a return series into ``Metrics``.
"""

from tickbook.portfolio._cost import CostModel
from tickbook.portfolio._metrics import (
    Metrics,
    compute_metrics,
    deflated_sharpe_ratio,
    drawdown_series,
)
from tickbook.portfolio._portfolio import Fill, Portfolio, RebalanceResult
from tickbook.portfolio._position import Position
from tickbook.portfolio._rules import RebalanceRules

__all__ = [
    "CostModel",
    "Fill",
    "Metrics",
    "Portfolio",
    "Position",
    "RebalanceResult",
    "RebalanceRules",
    "compute_metrics",
    "deflated_sharpe_ratio",
    "drawdown_series",
]

#: Names that moved to ``tickbook.analytics`` (one home for the rolling statistics); kept
#: reachable here until their last callers (``tickbook.cli.demo``) import them from there.
_MOVED = {"rolling_sharpe": "tickbook.analytics", "rolling_volatility": "tickbook.analytics"}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'tickbook.portfolio' has no attribute {name!r}")
