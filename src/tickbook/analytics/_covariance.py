"""Return matrices in, covariance and correlation out: sample, Ledoit-Wolf, Pearson, Spearman.

Also the shared input check for everything that takes a (time x assets) matrix of returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.analytics._inputs import check_choice, real_array
from tickbook.core._checks import refuse

__all__ = ["Returns", "correlation_matrix", "covariance_matrix", "ledoit_wolf", "returns_matrix"]


@dataclass(frozen=True, slots=True)
class Returns:
    """A checked (time x assets) return matrix and the asset labels it came with."""

    values: np.ndarray
    symbols: tuple[str, ...] | None
    frame_columns: Any = None  # pandas columns when the input was a DataFrame

    def wrap(self, w: np.ndarray, as_dict: bool) -> Any:
        """Give weights back as a dict (symbols given), a pandas Series, or an array."""
        if as_dict and self.symbols is not None:
            return {s: float(x) for s, x in zip(self.symbols, w, strict=True)}
        if self.frame_columns is not None:
            import pandas as pd

            return pd.Series(w, index=self.frame_columns)
        return w


def returns_matrix(
    returns: Any, symbols: Sequence[str] | None = None, *, min_obs: int = 2, field: str = "returns"
) -> Returns:
    """Check a (time x assets) return matrix: finite numbers, ``min_obs`` rows, >= 1 asset."""
    columns = None
    if type(returns).__module__.partition(".")[0] == "pandas":
        columns = getattr(returns, "columns", None)
        returns = returns.to_numpy()
    r = real_array(returns, field, "a (time x assets) array of returns")
    if r.ndim != 2 or r.shape[1] < 1:
        raise refuse(field, "a 2-D (time x assets) array with at least one asset", r.shape)
    if r.shape[0] < min_obs:
        raise refuse(field, f"at least {min_obs} observations (rows)", r.shape[0])
    bad = ~np.isfinite(r)
    if bad.any():
        t, j = (int(v) for v in np.argwhere(bad)[0])
        raise refuse(field, f"finite returns (row {t}, column {j})", float(r[t, j]))
    names: tuple[str, ...] | None = None
    if symbols is not None:
        if isinstance(symbols, str) or not isinstance(symbols, Sequence):
            raise refuse("symbols", "a sequence of names, one per column", symbols)
        names = tuple(str(s) for s in symbols)
        if len(names) != r.shape[1]:
            raise refuse("symbols", f"{r.shape[1]} names (one per column)", len(names))
        if len(set(names)) != len(names):
            raise refuse("symbols", "distinct names", list(names))
    elif columns is not None:
        names = tuple(str(c) for c in columns)
    return Returns(np.ascontiguousarray(r), names, columns)


def ledoit_wolf(r: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004) shrinkage toward a scaled identity; return (covariance, shrinkage).

    Same estimator as scikit-learn's ``ledoit_wolf`` (centred data, maximum-likelihood
    covariance, shrinkage intensity capped at 1).
    """
    t, n = r.shape
    x = r - r.mean(axis=0)
    s = x.T @ x / t
    if n == 1:
        return s, 0.0
    mu = float(np.trace(s)) / n
    x2 = x * x
    delta_ = float(np.sum(s * s))
    beta_ = float(np.sum(x2.sum(axis=1) ** 2))
    beta = (beta_ / t - delta_) / (n * t)
    delta = (delta_ - 2.0 * mu * float(np.trace(s)) + n * mu * mu) / n
    beta = min(beta, delta)
    shrink = 0.0 if beta == 0.0 else beta / delta
    cov = (1.0 - shrink) * s
    cov[np.diag_indices(n)] += shrink * mu
    return cov, shrink


def _cov(r: np.ndarray, method: str) -> np.ndarray:
    """The covariance of ``r``; refuses returns so large that it overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        if method == "sample":
            cov = np.atleast_2d(np.cov(r, rowvar=False, ddof=1))
        elif method == "ledoit_wolf":
            cov = ledoit_wolf(r)[0]
        else:
            raise refuse("covariance", '"sample" or "ledoit_wolf"', method)
    if not np.isfinite(cov).all():
        raise refuse("returns", "returns whose covariance fits a float (|r| < 1e150)", "overflow")
    return cov


def covariance_matrix(returns: Any, method: str = "sample") -> Any:
    """Covariance of the columns of a (time x assets) return matrix.

    ``"sample"``: unbiased (ddof 1), as pandas ``DataFrame.cov``. ``"ledoit_wolf"``: shrunk
    toward a scaled identity, equal to scikit-learn's ``ledoit_wolf``. A DataFrame in gives
    a labelled DataFrame out.
    """
    check_choice(method, "method", ("sample", "ledoit_wolf"))
    ret = returns_matrix(returns)
    cov = _cov(ret.values, method)
    return _frame(cov, ret)


def correlation_matrix(returns: Any, method: str = "pearson") -> Any:
    """Correlation of the columns: ``"pearson"`` or ``"spearman"`` (ranks, ties averaged).

    Equal to pandas ``DataFrame.corr(method=...)``. A constant column has no correlation
    and is refused.
    """
    check_choice(method, "method", ("pearson", "spearman"))
    ret = returns_matrix(returns)
    r = ret.values
    if method == "spearman":
        from scipy.stats import rankdata

        r = rankdata(r, axis=0)
    sd = r.std(axis=0)
    flat = sd <= 1e-300
    if flat.any():
        j = int(np.argmax(flat))
        raise refuse("returns", f"columns that vary (column {j} is constant)", j)
    corr = np.atleast_2d(np.corrcoef(r, rowvar=False))
    np.clip(corr, -1.0, 1.0, out=corr)
    corr[np.diag_indices(corr.shape[0])] = 1.0
    return _frame(corr, ret)


def _frame(m: np.ndarray, ret: Returns) -> Any:
    if ret.frame_columns is None:
        return m
    import pandas as pd

    return pd.DataFrame(m, index=ret.frame_columns, columns=ret.frame_columns)
