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
