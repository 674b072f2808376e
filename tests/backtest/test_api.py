"""Pin the backtest and portfolio APIs (ruff RUF022 keeps each __all__ sorted)."""

import subprocess
import sys

import tickbook.backtest
import tickbook.portfolio


def test_portfolio_api():
    assert set(tickbook.portfolio.__all__) == {
        "CostModel", "Fill", "Metrics", "Portfolio", "Position", "RebalanceResult",
        "RebalanceRules",
        "compute_metrics", "deflated_sharpe_ratio", "drawdown_series",
    }  # fmt: skip


def test_backtest_api():
    assert set(tickbook.backtest.__all__) == {
        "OBJECTIVES", "BacktestResult", "CrossSectionalMomentum", "DemoReport", "EqualWeight",
        "EventFill", "EventResult", "FillTiming", "FixedBps", "SlippageModel", "SpreadCross",
        "SquareRootImpact", "StopConfig", "StopEvent", "Strategy", "StrategyResult", "TearSheet",
        "WalkForwardResult", "backtest_weights", "demo_report", "grid_search", "load_panel",
        "metrics_rows", "monthly_returns", "optuna_search", "param_grid", "run_backtest",
        "run_event_driven", "sample_data_dir", "sweep", "tear_sheet", "walk_forward",
    }  # fmt: skip
    for name in tickbook.backtest.__all__:
        assert getattr(tickbook.backtest, name) is not None


def test_importing_the_packages_loads_no_heavy_modules():
    code = (
        "import sys, tickbook.backtest, tickbook.portfolio; "
        "print(sorted(m for m in ('numba', 'pandas', 'matplotlib', 'dask', 'optuna', 'distributed')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
