"""Pre-trade risk: ``RiskEngine``, its ``RiskConfig``, trading states and reports.

>>> risk = RiskEngine(max_position_pct=0.25, max_leverage=1.5)
>>> report = risk.check_order("AAPL", "buy", 100, 185_00, equity_cents=1_000_000_00,
...                           positions=[("AAPL", 200)])
>>> report.has_failures()
False
"""

from tickbook.risk._config import RiskConfig
from tickbook.risk._engine import RiskEngine
from tickbook.risk._report import Reason, RiskCheck, RiskReport, RiskStatus, TradingState

__all__ = [
    "Reason",
    "RiskCheck",
    "RiskConfig",
    "RiskEngine",
    "RiskReport",
    "RiskStatus",
    "TradingState",
]
