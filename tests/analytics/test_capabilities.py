"""The analytics API is pinned, discoverable, and cheap to import."""

import subprocess
import sys

import tickbook.analytics as A


def test_analytics_api_is_pinned():
    assert A.__all__ == sorted(A.__all__)
    assert set(A.__all__) == {
        "ADOSCStream", "ADStream", "ADXStream", "ATRStream", "BBANDSStream", "BandsResult",
        "CCIStream", "DXStream", "EMAStream", "GarchResult", "IndicatorStream", "MACDResult",
        "MACDStream", "MINUSDIStream", "MOMStream", "NATRStream", "OBVStream", "PLUSDIStream",
        "ROCPStream", "ROCRStream", "ROCStream", "RSIStream", "RollingSharpeStream",
        "RollingVolatilityStream", "SMAStream", "STOCHFStream", "STOCHRSIStream",
        "STOCHStream", "StochResult", "StressReport", "TRANGEStream", "ULTOSCStream",
        "VWAPStream", "WILLRStream", "WMAStream", "ad", "adosc", "adx", "atr", "bbands",
        "capabilities", "cci", "conditional_value_at_risk", "correlation_matrix",
        "covariance_matrix", "dx", "ema", "ewma_volatility", "fit_garch", "garch_forecast",
        "macd", "minus_di", "mom", "natr", "obv", "optimize_cdar", "optimize_cvar",
        "optimize_hrp", "optimize_max_sharpe", "optimize_min_variance", "optimize_risk_parity",
        "plus_di", "portfolio_beta", "realized_volatility", "roc", "rocp", "rocr",
        "rolling_sharpe", "rolling_volatility", "rsi", "sma", "stoch", "stochf", "stochrsi",
        "stress_test", "trange", "ultosc", "value_at_risk", "vwap", "willr", "wma",
    }  # fmt: skip
    for name in A.__all__:
        assert getattr(A, name) is not None


def test_capabilities_name_the_reference_features():
    caps = A.capabilities()
    assert caps == sorted(set(caps))
    for name in (
        "garch_forecast", "optimize_min_variance", "optimize_max_sharpe", "optimize_risk_parity",
        "optimize_cvar", "optimize_cdar", "optimize_hrp", "indicators_streaming", "pandas_io",
        "indicator:rsi", "value_at_risk", "stress_test",
    ):  # fmt: skip
        assert name in caps
    assert "backtest_stops" not in caps  # not analytics: the backtest package answers for it
    for name in caps:
        if name.startswith("indicator:"):
            assert callable(getattr(A, name.split(":")[1]))


def test_import_compiles_nothing():
    code = "import sys, tickbook.analytics; print('numba' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_kernels_agree_without_jit():
    """The kernels run as plain Python (NUMBA_DISABLE_JIT=1) to the same numbers."""
    code = """
import numpy as np, tickbook.analytics as A
rng = np.random.default_rng(5)
c = 50 + np.cumsum(rng.normal(0, 1, 120)); h = c + 1; l = c - 1; v = rng.integers(1, 9, 120) * 1e3
outs = [A.sma(c, 7), A.rsi(c), *A.macd(c, 4, 9, 3), *A.stoch(h, l, c), A.adx(h, l, c, 5),
        A.cci(h, l, c), A.ultosc(h, l, c), A.adosc(h, l, c, v), *A.bbands(c, 6), A.willr(h, l, c),
        *A.stochrsi(c), A.wma(c, 5), A.vwap(h, l, c, v, 4), A.rolling_sharpe(np.diff(c), 9),
        A.ewma_volatility(np.diff(c))]
np.save(__import__('sys').argv[1], np.concatenate([np.nan_to_num(o, nan=-999.0) for o in outs]))
"""
    import os
    import tempfile

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for jit in ("0", "1"):
            path = os.path.join(tmp, f"out{jit}.npy")
            env = dict(os.environ, NUMBA_DISABLE_JIT=jit)
            subprocess.run([sys.executable, "-c", code, path], env=env, check=True)
            files.append(np.load(path))
    np.testing.assert_array_equal(files[0], files[1])


def test_indicator_capabilities_derive_from_the_engine_table():
    from tickbook.analytics._engines import ENGINES

    listed = {n.split(":")[1] for n in A.capabilities() if n.startswith("indicator:")}
    assert listed == set(ENGINES)


def test_a_feature_whose_module_is_missing_is_not_listed(monkeypatch):
    import importlib.util

    import tickbook

    real = importlib.util.find_spec
    gone = {"scipy", "optuna", "distributed", "pyarrow", "matplotlib"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in gone else real(name, *a)
    )
    caps = set(tickbook.capabilities())
    assert not {"garch_forecast", "optimize_hrp", "value_at_risk"} & caps
    assert not {"backtest_optuna_search", "backtest_sweep_dask", "panel_parquet"} & caps
    assert "backtest_tear_sheet" not in caps
    assert {"backtest_weights", "backtest_walk_forward", "indicator:sma", "lob"} <= caps
