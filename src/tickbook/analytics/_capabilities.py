"""What this installation of the analytics offers, as names a caller can probe.

The reference (nanobook) answers ``capabilities()`` with a list of feature names that
integrations test with ``name in set(capabilities())``; its names for the shared features
(``garch_forecast``, ``optimize_min_variance``, ...) are kept, and tickbook's own are added.
A name is listed only when what it needs is importable here (scipy for the optimizers,
GARCH and risk measures; pandas for labelled input and output).
"""

from __future__ import annotations

import importlib.util

__all__ = ["capabilities"]

_INDICATORS = (
    "ad", "adosc", "adx", "atr", "bbands", "cci", "dx", "ema", "macd", "minus_di", "mom",
    "natr", "obv", "plus_di", "roc", "rocp", "rocr", "rolling_sharpe", "rolling_volatility",
    "rsi", "sma", "stoch", "stochf", "stochrsi", "trange", "ultosc", "vwap", "willr", "wma",
)  # fmt: skip

_ALWAYS = (
    "indicators",
    "indicators_panel",
    "indicators_streaming",
    "realized_volatility",
    "ewma_volatility",
    "stress_test",
    "portfolio_beta",
    "correlation_matrix",
    *(f"indicator:{name}" for name in _INDICATORS),
)

_WITH_SCIPY = (
    "garch_fit",
    "garch_forecast",
    "optimize_min_variance",
    "optimize_max_sharpe",
    "optimize_risk_parity",
    "optimize_hrp",
    "optimize_cvar",
    "optimize_cdar",
    "covariance_ledoit_wolf",
    "value_at_risk",
    "conditional_value_at_risk",
    "monte_carlo_var",
)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def capabilities() -> list[str]:
    """Return the sorted names of the analytics features this installation can run."""
    names = set(_ALWAYS)
    if _has("scipy"):
        names.update(_WITH_SCIPY)
    if _has("pandas"):
        names.add("pandas_io")
    return sorted(names)
