"""Pin the public API: widening or narrowing it must be a visible diff."""

import subprocess
import sys

import pytest

import tickbook
import tickbook.analytics
import tickbook.book
import tickbook.core

NANOBOOK_HABITS = {
    "BacktestResult", "CancelResult", "CostModel", "LevelSnapshot", "Metrics", "ModifyResult",
    "Order", "Portfolio", "Position", "StopSubmitResult", "SubmitResult", "Trade",
    "backtest_weights", "bbands", "compute_metrics", "drawdown_series", "ema", "macd",
    "optimize_cdar", "optimize_cvar", "optimize_hrp", "optimize_max_sharpe",
    "optimize_min_variance", "optimize_risk_parity", "parse_itch", "rsi", "run_backtest", "sma",
    "sweep", "tear_sheet", "walk_forward",
}  # fmt: skip


def test_top_level_api():
    assert set(tickbook.__all__) == {
        "BookSnapshot", "Exchange", "MultiExchange", "OrderStatus", "SelfTradePrevention",
        "Side", "Symbol", "TickbookError", "TimeInForce", "ValidationError", "__version__",
        "capabilities", *NANOBOOK_HABITS,
    }  # fmt: skip
    for name in tickbook.__all__:
        assert getattr(tickbook, name) is not None


def test_nanobook_top_level_names_are_the_subpackages_objects():
    import tickbook.backtest
    import tickbook.portfolio

    assert tickbook.Portfolio is tickbook.portfolio.Portfolio
    assert tickbook.backtest_weights is tickbook.backtest.backtest_weights
    assert tickbook.optimize_max_sharpe is tickbook.analytics.optimize_max_sharpe
    nanobook = pytest.importorskip("nanobook")
    # every nanobook top-level name that tickbook has under the same name is reachable here
    ours = {n for n in dir(nanobook) if not n.startswith("_") and _has_twin(n)}
    assert ours <= set(tickbook.__all__) | {"RiskEngine", "capabilities"}


def _has_twin(name: str) -> bool:
    import importlib

    for pkg in ("book", "portfolio", "backtest", "analytics", "feeds"):
        if name in importlib.import_module(f"tickbook.{pkg}").__all__:
            return True
    return False


def test_the_top_level_names_load_lazily_and_compile_nothing():
    code = (
        "import sys, tickbook; tickbook.Portfolio, tickbook.backtest_weights, "
        "tickbook.optimize_hrp, tickbook.sma; print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    with pytest.raises(AttributeError):
        tickbook.no_such_name  # noqa: B018


def test_book_api():
    assert set(tickbook.book.__all__) == {
        "BATCH_RESULT_DTYPE", "BOOK_EVENT_DTYPE", "COMMAND_DTYPE", "BookSnapshot",
        "CancelResult", "CommandKind", "Exchange", "FeedBook", "FeedEventKind",
        "LevelSnapshot", "ModifyResult", "MultiExchange", "Order", "StopOrder", "StopStatus",
        "StopSubmitResult", "SubmitResult", "Trade", "make_commands",
    }  # fmt: skip


def test_core_api():
    assert set(tickbook.core.__all__) == {
        "MAX_NUMBER_TEXT", "MAX_PRICE", "MAX_QTY", "CapacityError", "DataError",
        "InvalidOrder", "OrderId", "OrderNotActive", "OrderStatus", "Price", "Qty",
        "SelfTradePrevention", "Side", "Symbol", "TickbookError", "TimeInForce", "TradeId",
        "UnknownOrder", "ValidationError", "enum_code", "format_price", "parse_decimal",
        "parse_int", "parse_price", "side_code", "tif_code",
    }  # fmt: skip


def test_import_tickbook_compiles_nothing():
    code = "import sys, tickbook; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_capabilities_cover_the_installation_in_the_reference_names():
    caps = tickbook.capabilities()
    assert caps == sorted(set(caps))
    reference = (
        "backtest_stops", "backtest_holdings", "garch_forecast", "optimize_min_variance",
        "optimize_max_sharpe", "optimize_risk_parity", "optimize_cvar", "optimize_cdar",
    )  # fmt: skip
    assert set(reference) <= set(caps)
    assert set(tickbook.analytics.capabilities()) <= set(caps)
    assert {"backtest_weights", "lob", "feed_itch", "portfolio"} <= set(caps)


def test_capabilities_load_no_numba():
    code = "import sys, tickbook; tickbook.capabilities(); print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
