"""Pin the public API: widening or narrowing it must be a visible diff."""

import subprocess
import sys

import tickbook
import tickbook.analytics
import tickbook.book
import tickbook.core


def test_top_level_api():
    assert set(tickbook.__all__) == {
        "BookSnapshot", "Exchange", "MultiExchange", "OrderStatus", "SelfTradePrevention",
        "Side", "Symbol", "TickbookError", "TimeInForce", "ValidationError", "__version__",
        "capabilities",
    }  # fmt: skip
    for name in tickbook.__all__:
        assert getattr(tickbook, name) is not None


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
