"""Risk measures: value at risk and CVaR (four ways), portfolio beta, stress tests.

VaR and CVaR are losses, reported as positive fractions of the position's value: at
``alpha = 0.95`` VaR is the loss exceeded in 5% of periods, CVaR the mean loss in those
periods. They come from one period's returns; a (time x assets) matrix with ``weights`` is a
portfolio (its return is ``returns @ weights``), without weights each column is measured.

Methods:
- ``"historical"``: the empirical quantile (linear interpolation, as numpy's percentile) and
  the mean of the worst ``floor((n - 1)(1 - alpha)) + 1`` returns, as vectorbt's
  ``value_at_risk`` and ``cond_value_at_risk`` compute them (with the sign flipped).
- ``"normal"``: mean and sample deviation (ddof 1) of a normal distribution.
- ``"cornish_fisher"``: the normal quantile corrected for the sample skewness and excess
  kurtosis (population moments); CVaR is the mean of that quantile function over the tail
  (closed form: the quantile is a cubic in the normal quantile).
- ``"monte_carlo"``: ``n_sims`` draws (seeded: the same seed gives the same figure) from a
  multivariate normal, or with ``dist="t"`` a multivariate Student-t with ``dof`` degrees
  of freedom scaled to the sample covariance, fitted to the returns; then the historical
  estimator on the simulated portfolio returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tickbook.analytics._covariance import returns_matrix
from tickbook.analytics._inputs import check_choice, check_float, real_array
from tickbook.core._checks import check_int, refuse

__all__ = [
    "StressReport",
    "conditional_value_at_risk",
    "portfolio_beta",
    "stress_test",
    "value_at_risk",
]

METHODS = ("historical", "normal", "cornish_fisher", "monte_carlo")


def _series(returns: Any, weights: Any) -> tuple[np.ndarray, Any, bool]:
    """Return (T x K series to measure, (assets, weights) for Monte Carlo or None, one result?)."""
    arr = real_array(returns, "returns", "an array of returns")
    if arr.ndim == 1:
        if weights is not None:
            raise refuse("weights", "None for a single series of returns", "weights")
        arr = arr[:, None]
    ret = returns_matrix(arr, min_obs=2)
    r = ret.values
    if weights is None:
        return r, None, arr.shape[1] == 1 and np.ndim(returns) == 1
    w = real_array(weights, "weights", "one number per asset")
    if w.shape != (r.shape[1],) or not np.isfinite(w).all():
        raise refuse("weights", f"{r.shape[1]} finite numbers (one per column)", weights)
    return (r @ w)[:, None], (r, w), True


def _historical(x: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    var = -np.percentile(x, 100.0 * tail, axis=0)
    k = int((x.shape[0] - 1) * tail)
    worst = np.partition(x, k, axis=0)[: k + 1]
    return var, -worst.mean(axis=0)


def _cornish_fisher_z(p: np.ndarray | float, skew: np.ndarray, kurt: np.ndarray) -> Any:
    from scipy.stats import norm

    z = norm.ppf(p)
    return (
        z
        + (z * z - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * kurt / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew * skew / 36.0
    )


def _measure(
    returns: Any,
    alpha: Any,
    method: str,
    weights: Any,
    n_sims: Any,
    seed: Any,
    dist: str,
    dof: Any,
) -> tuple[Any, Any]:
    from scipy.stats import norm

    a = check_float(alpha, "alpha", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    tail = 1.0 - a
    check_choice(method, "method", METHODS)
    x, assets, single = _series(returns, weights)
    if method == "historical":
        var, cvar = _historical(x, tail)
    elif method == "normal":
        mu, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
        z = norm.ppf(tail)
        var = -(mu + sd * z)
        cvar = -(mu - sd * norm.pdf(z) / tail)
    elif method == "cornish_fisher":
        mu, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
        c = x - mu
        m2 = (c * c).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = np.where(m2 > 0, (c**3).mean(axis=0) / m2**1.5, 0.0)
            kurt = np.where(m2 > 0, (c**4).mean(axis=0) / (m2 * m2) - 3.0, 0.0)
        var = -(mu + sd * _cornish_fisher_z(tail, skew, kurt))
        # the quantile is a cubic in z = Phi^-1(p): its mean over p < tail is closed-form,
        # from the normal's partial moments below c = Phi^-1(tail)
        c0 = norm.ppf(tail)
        pdf = norm.pdf(c0)
        moments = (tail, -pdf, tail - c0 * pdf, -(c0 * c0 + 2.0) * pdf)
        coef = (
            -skew / 6.0,
            1.0 - kurt / 8.0 + 5.0 * skew * skew / 36.0,
            skew / 6.0,
            kurt / 24.0 - skew * skew / 18.0,
        )
        mean_z = sum(a * m for a, m in zip(coef, moments, strict=True)) / tail
        cvar = -(mu + sd * mean_z)
    else:
        sims = check_int(n_sims, "n_sims", lo=100, hi=100_000_000, expected="an integer >= 100")
        rng_seed = check_int(seed, "seed", lo=0, hi=2**63 - 1, expected="a non-negative integer")
        x = _simulate(x, assets, sims, rng_seed, dist, dof)
        var, cvar = _historical(x, tail)
    if single:
        return float(var[0]), float(cvar[0])
    return var, cvar


def _simulate(x: np.ndarray, assets: Any, n: int, seed: int, dist: str, dof: Any) -> np.ndarray:
    check_choice(dist, "dist", ("normal", "t"))
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        if assets is not None:
            r = assets[0]
            mu = r.mean(axis=0)
            cov = np.atleast_2d(np.cov(r, rowvar=False, ddof=1))
        else:
            mu = x.mean(axis=0)
            cov = np.diag(x.var(axis=0, ddof=1))
    if not (np.isfinite(cov).all() and np.isfinite(mu).all()):
        raise refuse("returns", "returns whose covariance fits a float (|r| < 1e150)", "overflow")
    # a factor L with L L' = cov that survives a singular covariance
    vals, vecs = np.linalg.eigh(cov)
    factor = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = rng.standard_normal((n, cov.shape[0])) @ factor.T
    if dist == "t":
        nu = check_float(dof, "dof", lo=2.0, hi=1e6, lo_open=True)
        chi = rng.chisquare(nu, size=(n, 1))
        z *= np.sqrt((nu - 2.0) / chi)
    sims = mu + z
    if assets is not None:
        return (sims @ assets[1])[:, None]
    return sims


def value_at_risk(
    returns: Any,
    alpha: float = 0.95,
    *,
    method: str = "historical",
    weights: Sequence[float] | None = None,
    n_sims: int = 100_000,
    seed: int = 0,
    dist: str = "normal",
    dof: float = 5.0,
) -> Any:
    """Return the one-period value at risk (a positive loss fraction) at ``alpha``.

    A float for a series or a weighted portfolio; an array (one per column) for a matrix
    without ``weights``. See the module notes for the methods.
    """
    return _measure(returns, alpha, method, weights, n_sims, seed, dist, dof)[0]


def conditional_value_at_risk(
    returns: Any,
    alpha: float = 0.95,
    *,
    method: str = "historical",
    weights: Sequence[float] | None = None,
    n_sims: int = 100_000,
    seed: int = 0,
    dist: str = "normal",
    dof: float = 5.0,
) -> Any:
    """Return the one-period CVaR (expected shortfall, a positive loss fraction) at ``alpha``."""
    return _measure(returns, alpha, method, weights, n_sims, seed, dist, dof)[1]


def portfolio_beta(returns: Any, benchmark: Any, weights: Sequence[float] | None = None) -> Any:
    """Return beta to the benchmark: cov(r, b) / var(b).

    ``returns``: a series, or a (time x assets) matrix (a beta per column, or the weighted
    portfolio's beta with ``weights``; portfolio beta is also the weighted sum of the asset
    betas). Same figure as vectorbt's ``beta``.
    """
    x, _, single = _series(returns, weights)
    b = real_array(benchmark, "benchmark", "a 1-D array of returns")
    if b.ndim != 1:
        raise refuse("benchmark", "a 1-D array of returns", f"shape {b.shape}")
    bench = returns_matrix(b.reshape(-1, 1), field="benchmark")
    b = bench.values[:, 0]
    if b.shape[0] != x.shape[0]:
        raise refuse("benchmark", f"{x.shape[0]} returns (as many as `returns`)", b.shape[0])
    bc = b - b.mean()
    vb = float(bc @ bc)
    if vb <= 0.0:
        raise refuse("benchmark", "returns that vary", "a constant series")
    beta = (x - x.mean(axis=0)).T @ bc / vb
    return float(beta[0]) if single else beta


@dataclass(frozen=True, slots=True)
class StressReport:
    """Losses of each position under each scenario, in the units of the position values.

    ``losses[i, j]`` is what position ``symbols[j]`` loses under ``scenarios[i]`` (negative:
    a gain); ``total`` sums each scenario's row.
    """

    scenarios: tuple[str, ...]
    symbols: tuple[str, ...]
    losses: np.ndarray = field(repr=False)

    @property
    def total(self) -> np.ndarray:
        """Loss of the whole portfolio per scenario."""
        return self.losses.sum(axis=1)

    @property
    def worst(self) -> str:
        """The scenario with the largest total loss."""
        return self.scenarios[int(np.argmax(self.total))]

    def loss(self, scenario: str) -> dict[str, float]:
        """Return ``{symbol: loss}`` for one scenario."""
        try:
            i = self.scenarios.index(scenario)
        except ValueError:
            raise refuse("scenario", f"one of {list(self.scenarios)}", scenario) from None
        return {s: float(v) for s, v in zip(self.symbols, self.losses[i], strict=True)}

    def to_frame(self) -> Any:
        """Return a pandas DataFrame: scenarios x symbols, plus a ``total`` column."""
        import pandas as pd

        frame = pd.DataFrame(self.losses, index=list(self.scenarios), columns=list(self.symbols))
        frame["total"] = self.total
        return frame


def stress_test(
    positions: Mapping[str, float], scenarios: Mapping[str, Mapping[str, float]]
) -> StressReport:
    """Apply named scenario shocks to a portfolio; report the loss of every position.

    ``positions``: ``{symbol: market value}`` (money, e.g. int cents; short positions
    negative). ``scenarios``: ``{name: {symbol: shock}}``, a shock being the scenario's
    fractional price move (-0.3 for a 30% fall, at least -1). The key ``"*"`` gives the
    move of every symbol the scenario does not name; otherwise unnamed symbols do not move.
    Symbols a scenario names but the portfolio does not hold are ignored. The loss of a
    position is ``-value * shock``.
    """
    if not isinstance(positions, Mapping) or not positions:
        raise refuse("positions", "a non-empty mapping of symbol to market value", positions)
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise refuse("scenarios", "a non-empty mapping of name to shocks", scenarios)
    symbols = tuple(str(s) for s in positions)
    values = np.array(
        [check_float(v, f"positions[{s}]") for s, v in positions.items()], dtype=np.float64
    )
    names = tuple(str(s) for s in scenarios)
    losses = np.empty((len(names), len(symbols)))
    for i, (name, shocks) in enumerate(scenarios.items()):
        if not isinstance(shocks, Mapping):
            raise refuse(f"scenarios[{name}]", "a mapping of symbol to shock", shocks)
        checked = {
            str(s): check_float(v, f"scenarios[{name}][{s}]", lo=-1.0, hi=1e6)
            for s, v in shocks.items()
        }
        default = checked.get("*", 0.0)
        moves = np.array([checked.get(s, default) for s in symbols])
        losses[i] = -values * moves
    losses[losses == 0.0] = 0.0  # no negative zeros in reports
    return StressReport(names, symbols, losses)
