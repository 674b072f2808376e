"""Performance metrics of a return series: ``compute_metrics``, the drawdown series.

The rolling Sharpe ratio and volatility live in ``tickbook.analytics`` (batch, panel and
streaming, one kernel).

Definitions (``r`` the per-period returns, ``x = r - risk_free`` with ``risk_free`` per period,
``n`` periods, ``ppy`` periods per year):

- ``total_return`` = prod(1 + r) - 1; ``cagr`` = (1 + total_return) ** (ppy / n) - 1
- ``volatility`` = std(r, ddof=1) * sqrt(ppy)
- ``sharpe`` = mean(x) / std(x, ddof=1) * sqrt(ppy)
- ``sortino`` = mean(x) / sqrt(mean(min(x, 0) ** 2)) * sqrt(ppy)
- ``max_drawdown`` = largest fall of the compounded equity from a running peak (a positive
  fraction; the equity starts at 1); ``calmar`` = cagr / max_drawdown
- ``winning_periods`` / ``losing_periods`` count r > 0 / r < 0; ``win_rate`` = winning / n
- ``profit_factor`` = sum of gains / sum of losses
- ``var_95`` / ``cvar_95``: historical, over the k = ceil(0.05 n) worst returns: the best of
  them, and their mean (both as returns, so a loss is negative)
- ``skew`` and ``kurtosis``: the biased sample moments (kurtosis is the excess over 3)
- ``deflated_sharpe``: the probability that the true per-period Sharpe ratio beats the best
  of ``n_trials`` unskilled trials (Bailey and Lopez de Prado, 2014); with one trial it is the
  probabilistic Sharpe ratio against zero

These agree with nanobook's ``compute_metrics`` wherever both are defined. Where a ratio has
a zero denominator tickbook answers ``inf`` or ``nan`` (nanobook answers 0.0), and its
deflated Sharpe takes the sample length into account (nanobook's does not); the tests name
each case.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from tickbook.core._checks import check_float, refuse

__all__ = [
    "Metrics",
    "as_returns",
    "compute_metrics",
    "deflated_sharpe_ratio",
    "drawdown_series",
]

_EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Metrics:
    """Performance of one return series (definitions in the module docstring).

    Returns, rates, ratios and drawdowns are fractions (0.05 is 5%), annualized where the
    name says so (``cagr``, ``volatility``, ``sharpe``, ``sortino``).
    """

    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    calmar: float
    num_periods: int
    winning_periods: int
    losing_periods: int
    win_rate: float
    profit_factor: float
    var_95: float
    cvar_95: float
    skew: float
    kurtosis: float
    deflated_sharpe: float

    def to_dict(self) -> dict[str, float | int]:
        """Return the fields as a dict, in declaration order."""
        return asdict(self)

    def __repr__(self) -> str:
        return (
            f"Metrics(total_return={self.total_return:.2%}, cagr={self.cagr:.2%}, "
            f"sharpe={self.sharpe:.2f}, max_drawdown={self.max_drawdown:.2%}, "
            f"num_periods={self.num_periods})"
        )


def as_returns(returns: Any, field: str = "returns") -> np.ndarray:
    """Return ``returns`` as a 1-D float64 array of finite values, or refuse it."""
    try:
        arr = np.asarray(getattr(returns, "to_numpy", lambda: returns)(), dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise refuse(field, "a 1-D sequence of numbers", type(returns).__name__) from None
    if arr.ndim != 1:
        raise refuse(field, "a 1-D sequence of numbers", f"an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))
        raise refuse(field, "finite numbers", f"{arr[bad[0]]} at position {bad[0]}")
    return np.ascontiguousarray(arr)


def _positive(value: Any, field: str) -> float:
    return check_float(value, field, lo=0.0, lo_open=True, expected="a positive number")


def _finite(value: Any, field: str) -> float:
    return check_float(value, field, expected="a finite number")


def _ratio(num: float, den: float) -> float:
    """Return num / den, with inf (signed) or nan when den is 0."""
    if den != 0.0:
        return num / den
    if num == 0.0:
        return math.nan
    return math.copysign(math.inf, num)


def _moments(x: np.ndarray) -> tuple[float, float]:
    """Biased sample skewness and excess kurtosis (nan without dispersion)."""
    d = x - x.mean()
    m2 = np.mean(d * d)  # numpy scalars: an overflow gives inf, not OverflowError
    if not m2 > 0.0:
        return math.nan, math.nan
    return float(np.mean(d**3) / m2**1.5), float(np.mean(d**4) / m2**2 - 3.0)


def _dsr(sr: float, n: int, skew: float, kurt: float, n_trials: int, trials_std: float | None):
    if n < 3 or not math.isfinite(sr) or not math.isfinite(skew):
        return math.nan
    var_sr = (1.0 - skew * sr + (kurt + 2.0) / 4.0 * sr * sr) / (n - 1)
    if not var_sr > 0.0:
        return math.nan
    sr0 = 0.0
    if n_trials > 1:
        sd = math.sqrt(var_sr) if trials_std is None else trials_std
        sr0 = sd * (
            (1.0 - _EULER_GAMMA) * _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
            + _EULER_GAMMA * _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
        )
    return _NORMAL.cdf((sr - sr0) / math.sqrt(var_sr))


def deflated_sharpe_ratio(
    returns: Any,
    n_trials: int = 1,
    trials_sharpe_std: float | None = None,
    risk_free: float = 0.0,
) -> float:
    """Return the deflated Sharpe ratio of ``returns``: a probability in [0, 1].

    It is the probability that the per-period Sharpe ratio beats the expected best of
    ``n_trials`` unskilled strategies, given the sample length, skewness and kurtosis. With
    ``trials_sharpe_std`` unset, the spread of the trials' Sharpe ratios is taken as the
    standard error of this one's. ``nan`` with fewer than 3 returns or none of dispersion.
    """
    x = as_returns(returns) - _finite(risk_free, "risk_free")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise refuse("n_trials", "a positive integer", n_trials)
    if trials_sharpe_std is not None:
        trials_sharpe_std = _positive(trials_sharpe_std, "trials_sharpe_std")
    n = x.shape[0]
    if n < 3:
        return math.nan
    with np.errstate(all="ignore"):  # huge returns overflow to inf, never raise
        std = float(x.std(ddof=1))
        sr = float(x.mean()) / std if std > 0 else math.nan
        skew, kurt = _moments(x)
    return _dsr(sr, n, skew, kurt, n_trials, trials_sharpe_std)


def compute_metrics(
    returns: Any,
    periods_per_year: float = 252.0,
    risk_free: float = 0.0,
    *,
    n_trials: int = 1,
) -> Metrics | None:
    """Compute the performance metrics of per-period ``returns``; ``None`` when empty.

    Args:
        returns: simple returns per period (0.01 is +1%).
        periods_per_year: 252 for daily bars, 12 for monthly.
        risk_free: the risk-free return per period (not per year).
        n_trials: strategies tried before this one, for the deflated Sharpe ratio.
    """
    r = as_returns(returns)
    ppy = _positive(periods_per_year, "periods_per_year")
    rf = _finite(risk_free, "risk_free")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise refuse("n_trials", "a positive integer", n_trials)
    n = r.shape[0]
    if n == 0:
        return None
    with np.errstate(all="ignore"):  # huge returns overflow to inf, never raise
        return _metrics(r, n, ppy, rf, n_trials)


def _cagr(growth: float, ppy: float, n: int) -> float:
    if not growth > 0.0:
        return -1.0
    exponent = math.log(growth) * ppy / n
    return math.inf if exponent > 709.0 else math.expm1(exponent)


def _metrics(r: np.ndarray, n: int, ppy: float, rf: float, n_trials: int) -> Metrics:
    growth = float(np.prod(1.0 + r))
    total = growth - 1.0
    cagr = _cagr(growth, ppy, n)
    x = r - rf
    mean_x = float(x.mean())
    std = float(r.std(ddof=1)) if n > 1 else math.nan
    std_x = float(x.std(ddof=1)) if n > 1 else math.nan
    root = math.sqrt(ppy)
    sharpe = _ratio(mean_x, std_x) * root if n > 1 else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    sortino = _ratio(mean_x, downside) * root
    equity = np.cumprod(1.0 + r)
    peak = np.maximum(np.maximum.accumulate(equity), 1.0)
    mdd = float(np.max(1.0 - equity / peak))
    mdd = max(mdd, 0.0)
    gains = float(r[r > 0].sum())
    losses = float(-r[r < 0].sum())
    k = math.ceil(0.05 * n - 1e-9)
    worst = np.sort(r)[:k]
    skew, kurt = _moments(r)
    sr_period = _ratio(mean_x, std_x) if n > 1 else math.nan
    return Metrics(
        total_return=total,
        cagr=cagr,
        volatility=std * root,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=mdd,
        calmar=_ratio(cagr, mdd),
        num_periods=n,
        winning_periods=int((r > 0).sum()),
        losing_periods=int((r < 0).sum()),
        win_rate=float((r > 0).sum()) / n,
        profit_factor=_ratio(gains, losses),
        var_95=float(worst[-1]),
        cvar_95=float(worst.mean()),
        skew=skew,
        kurtosis=kurt,
        deflated_sharpe=_dsr(sr_period, n, skew, kurt, n_trials, None),
    )


def drawdown_series(returns: Any) -> np.ndarray:
    """Return the drawdown after each period: equity / running peak - 1 (0 or negative)."""
    from tickbook.portfolio import _kernels

    r = as_returns(returns)
    out = np.empty_like(r)
    _kernels.drawdown(r, out)
    return out
