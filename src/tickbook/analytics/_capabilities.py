"""What this installation of the analytics offers, as names a caller can probe.

The reference (nanobook) answers ``capabilities()`` with a list of feature names that
integrations test with ``name in set(capabilities())``; its names for the shared features
(``garch_forecast``, ``optimize_min_variance``, ...) are kept, and tickbook's own are added.
A name is listed only when what it needs is importable here (scipy for the optimizers,
GARCH and risk measures; pandas for labelled input and output).
"""

from __future__ import annotations

import importlib.util

from tickbook.analytics._engines import ENGINES

__all__ = ["capabilities", "has_modules"]

#: Feature name -> the modules it needs (beyond numpy and numba). Every indicator engine is a
#: feature of its own (``indicator:sma``), so a new engine is listed without touching this.
FEATURES: dict[str, tuple[str, ...]] = {
    "indicators": (),
    "indicators_panel": (),
    "indicators_streaming": (),
    "realized_volatility": (),
    "ewma_volatility": (),
    "stress_test": (),
    "portfolio_beta": (),
    "correlation_matrix": (),
    **{f"indicator:{name}": () for name in ENGINES},
    "garch_fit": ("scipy",),
    "garch_forecast": ("scipy",),
    "optimize_min_variance": ("scipy",),
    "optimize_max_sharpe": ("scipy",),
    "optimize_risk_parity": ("scipy",),
    "optimize_hrp": ("scipy",),
    "optimize_cvar": ("scipy",),
    "optimize_cdar": ("scipy",),
    "covariance_ledoit_wolf": ("scipy",),
    "value_at_risk": ("scipy",),
    "conditional_value_at_risk": ("scipy",),
    "monte_carlo_var": ("scipy",),
    "pandas_io": ("pandas",),
}


def has_modules(modules: tuple[str, ...]) -> bool:
    """Whether every module is installed (found, not imported: nothing loads)."""
    return all(importlib.util.find_spec(m) is not None for m in modules)


def capabilities() -> list[str]:
    """Return the sorted names of the analytics features this installation can run."""
    return sorted(name for name, needs in FEATURES.items() if has_modules(needs))
