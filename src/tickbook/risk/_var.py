"""Per-symbol 1-day VaR from a returns history, through ``tickbook.analytics``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tickbook.core._checks import refuse

__all__ = ["per_symbol_var"]


def per_symbol_var(
    symbols: Sequence[str], returns: Any, alpha: float, method: str
) -> tuple[dict[str, tuple[float, float]], np.ndarray, tuple[str, ...]]:
    """Return {symbol: (long VaR, short VaR)} as loss fractions, the matrix and the symbols.

    A long position loses on the left tail of the returns, a short one on the right tail
    (the left tail of the negated returns); both come from ``analytics.value_at_risk``.
    """
    from tickbook.analytics import value_at_risk

    if isinstance(symbols, str) or not all(isinstance(s, str) and s for s in symbols):
        raise refuse("symbols", "a sequence of non-empty symbol strings", symbols)
    names = tuple(symbols)
    if len(set(names)) != len(names):
        raise refuse("symbols", "distinct symbols", symbols)
    arr = (
        np.asarray(returns, dtype=np.float64)
        if not hasattr(returns, "to_numpy")
        else (returns.to_numpy(dtype=np.float64))
    )
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != len(names) or arr.shape[0] < 2:
        raise refuse("returns", f"a (days x {len(names)}) matrix with >= 2 days", arr.shape)
    if not np.isfinite(arr).all():
        raise refuse("returns", "finite returns", "non-finite values")
    long_var = np.atleast_1d(value_at_risk(arr, alpha, method=method))
    short_var = np.atleast_1d(value_at_risk(-arr, alpha, method=method))
    table = {
        s: (float(lv), float(sv)) for s, lv, sv in zip(names, long_var, short_var, strict=True)
    }
    return table, np.ascontiguousarray(arr), names
