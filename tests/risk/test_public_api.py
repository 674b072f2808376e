"""Pin the public API of tickbook.risk and tickbook.execution; imports compile nothing."""

import subprocess
import sys

import tickbook.execution
import tickbook.risk


def test_risk_api():
    assert set(tickbook.risk.__all__) == {
        "Reason", "RiskCheck", "RiskConfig", "RiskEngine", "RiskReport", "RiskStatus",
        "TradingState",
    }  # fmt: skip


def test_execution_api():
    assert set(tickbook.execution.__all__) == {
        "AuditLog", "ChildFill", "ExecutionReport", "Iceberg", "POV", "ParentOrder", "Plan",
        "PlanRow", "RebalanceConfig", "Rebalancer", "RunResult", "Schedule", "TWAP", "Target",
        "VWAP", "execute", "load_target", "parse_target",
    }  # fmt: skip


def test_reason_codes_are_stable():
    assert {r.name: r.value for r in tickbook.risk.Reason} == {
        "HALTED": 1, "REDUCE_ONLY": 2, "DRAWDOWN": 3, "ORDER_VALUE": 4, "TRADE_VALUE": 5,
        "MIN_TRADE": 6, "POSITION_LIMIT": 7, "SHORT_NOT_ALLOWED": 8, "SHORT_EXPOSURE": 9,
        "LEVERAGE": 10, "BATCH_VALUE": 11, "RATE_PER_SECOND": 12, "RATE_PER_MINUTE": 13,
        "OPEN_ORDERS": 14, "MAX_POSITIONS": 15, "VAR_LIMIT": 16, "MISSING_PRICE": 17,
        "TARGET_WEIGHTS": 18,
    }  # fmt: skip


def test_importing_risk_and_execution_loads_no_numba():
    code = (
        "import sys, tickbook.risk, tickbook.execution, tickbook.cli.rebalance; "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
