"""GARCH(1,1) by maximum likelihood, with multi-step variance forecasts.

nanobook's ``garch_ewma_forecast`` plugs in fixed, EWMA-like parameters; here they are
estimated. The model and likelihood follow the ``arch`` package (``arch_model(..., vol="GARCH",
p=1, q=1)``): returns ``y[t] = mu + e[t]`` (or ``mu = 0``), ``s2[t] = omega + alpha e[t-1]^2 +
beta s2[t-1]``, the recursion started from arch's backcast (an exponentially weighted mean of
the first 75 squared residuals), normal or standardised Student-t errors.

The fit works on returns scaled to unit variance (results are scaled back), with the analytic
gradient of the likelihood (``_kernels_garch.garch_loglik``) and L-BFGS-B over a box:
alpha = p s, beta = p (1 - s) with persistence p in [0, 1) and share s in [0, 1], so
alpha + beta < 1 holds throughout. Several starting points; the best optimum wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tickbook.analytics._inputs import check_choice, check_float, check_period, real_array
from tickbook.core import DataError
from tickbook.core._checks import refuse

__all__ = ["GarchResult", "ewma_volatility", "fit_garch", "garch_forecast"]

MIN_OBS = 30  # fewer returns than this cannot pin down four parameters
_NU_BOUNDS = (2.05, 500.0)
_MAX_PERSISTENCE = 1.0 - 1e-8


@dataclass(frozen=True, slots=True)
class GarchResult:
    """A fitted GARCH(1,1): parameters, fit statistics and what forecasts need.

    Parameters are in the units of the returns given (``omega`` in squared return units).
    ``nu`` is None for normal errors. ``conditional_volatility[t]`` is the model's standard
    deviation of return ``t`` given the returns before it.
    """

    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float | None
    dist: str
    mean: str
    loglikelihood: float
    nobs: int
    conditional_volatility: np.ndarray = field(repr=False)
    last_residual: float = field(repr=False)

    @property
    def persistence(self) -> float:
        """Alpha + beta: how slowly a variance shock decays (below 1)."""
        return self.alpha + self.beta

    @property
    def unconditional_variance(self) -> float:
        """Long-run variance omega / (1 - alpha - beta)."""
        return self.omega / (1.0 - self.persistence)

    def forecast(self, horizon: int = 1) -> np.ndarray:
        """Return the variance forecasts for the next ``horizon`` periods (h = 1..horizon).

        h = 1 uses the last return and variance; beyond that each step is
        ``omega + (alpha + beta) * previous`` (the analytic forecast arch gives).
        """
        h = check_period(horizon, "horizon", hi=1_000_000)
        s2 = float(self.conditional_volatility[-1]) ** 2
        out = np.empty(h)
        out[0] = self.omega + self.alpha * self.last_residual**2 + self.beta * s2
        p = self.persistence
        for i in range(1, h):
            out[i] = self.omega + p * out[i - 1]
        return out


def _returns(returns: Any, field_name: str = "returns", min_obs: int = MIN_OBS) -> np.ndarray:
    if type(returns).__module__.partition(".")[0] == "pandas":
        returns = returns.to_numpy()
    y = real_array(returns, field_name, "a 1-D array of returns")
    if y.ndim != 1:
        raise refuse(field_name, "a 1-D array of returns", f"shape {y.shape}")
    if y.shape[0] < min_obs:
        raise refuse(field_name, f"at least {min_obs} returns", y.shape[0])
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.argmax(bad))
        raise refuse(field_name, f"finite returns (row {i})", float(y[i]))
    return np.ascontiguousarray(y)


def backcast(resid: np.ndarray) -> float:
    """Arch's starting variance: 0.94-weighted mean of the first 75 squared residuals."""
    tau = min(75, resid.shape[0])
    w = 0.94 ** np.arange(tau)
    w /= w.sum()
    return float(np.sum(resid[:tau] ** 2 * w))


def _digamma(x: float) -> float:
    # recurrence up to x >= 6, then the asymptotic series (error below 1e-15 there)
    acc = 0.0
    while x < 6.0:
        acc -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
    return acc + math.log(x) - 0.5 / x - series


def _t_const(nu: float) -> tuple[float, float]:
    const = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(math.pi * (nu - 2))
    dconst = 0.5 * _digamma((nu + 1) / 2) - 0.5 * _digamma(nu / 2) - 0.5 / (nu - 2)
    return const, dconst


def fit_garch(
    returns: Any,
    *,
    dist: Literal["normal", "t"] = "normal",
    mean: Literal["constant", "zero"] = "constant",
) -> GarchResult:
    """Fit a GARCH(1,1) to a 1-D series of returns by maximum likelihood.

    Args:
        returns: at least 30 finite returns (any scale; percent returns fit as well as
            fractions).
        dist: ``"normal"`` or ``"t"`` (standardised Student-t, degrees of freedom estimated).
        mean: ``"constant"`` (estimate mu, arch's default) or ``"zero"``.

    Raises:
        ValidationError: bad returns or options.
        DataError: a constant series, or the optimiser found no finite likelihood.
    """
    from scipy.optimize import minimize

    from tickbook.analytics._kernels_garch import garch_loglik

    check_choice(dist, "dist", ("normal", "t"))
    check_choice(mean, "mean", ("constant", "zero"))
    y = _returns(returns)
    with np.errstate(over="ignore"):
        scale = float(np.sqrt(np.mean(y**2)))
    if not math.isfinite(scale) or scale > 1e150:  # its square must not overflow
        raise refuse("returns", "returns whose squares fit a float (|r| < 1e150)", scale)
    if not scale > 0.0 or float(np.std(y)) <= 1e-12 * scale:
        raise DataError(
            f"invalid `returns`: expected a series that varies, got a constant one ({scale!r})",
            field="returns",
            value=scale,
        )
    ys = y / scale
    student = dist == "t"
    has_mu = mean == "constant"
    mu0 = float(ys.mean()) if has_mu else 0.0
    bc = backcast(ys - mu0)
    var = float(np.var(ys))
    grad = np.zeros(5)

    # x = (mu, omega, persistence, share, nu)
    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        mu, w, p, s, nu = x
        a, b = p * s, p * (1.0 - s)
        const, dconst = _t_const(nu) if student else (0.0, 0.0)
        ll = garch_loglik(ys, mu, w, a, b, nu, student, const, dconst, bc, grad)
        if not math.isfinite(ll):
            return 1e10, np.zeros(5)
        g = np.array([
            grad[0] if has_mu else 0.0,
            grad[1],
            grad[2] * s + grad[3] * (1.0 - s),
            (grad[2] - grad[3]) * p,
            grad[4] if student else 0.0,
        ])  # fmt: skip
        n = ys.shape[0]
        return -ll / n, -g / n

    mu_lim = 10.0 * max(abs(mu0), 1.0)
    bounds = [
        (-mu_lim, mu_lim) if has_mu else (0.0, 0.0),
        (1e-8 * var, 10.0 * var),
        (0.0, _MAX_PERSISTENCE),
        (0.0, 1.0),
        _NU_BOUNDS if student else (8.0, 8.0),
    ]
    # start from the best point of a small grid (as arch does), then one descent
    starts = [
        np.array([mu0, var * (1.0 - p0), p0, s0, nu0])
        for p0 in (0.9, 0.95, 0.98, 0.995)
        for s0 in (0.05, 0.1, 0.2)
        for nu0 in ((5.0, 10.0) if student else (8.0,))
    ]
    x0 = min(starts, key=lambda x: objective(x)[0])
    best = minimize(
        objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000},
    )  # fmt: skip
    if not best.fun < 1e10:
        raise DataError("GARCH fit failed: no finite likelihood", field="returns", value=None)
    mu, w, p, s, nu = (float(v) for v in best.x)
    a, b = p * s, p * (1.0 - s)
    const, dconst = _t_const(nu) if student else (0.0, 0.0)
    ll = garch_loglik(ys, mu, w, a, b, nu, student, const, dconst, bc, grad)
    n = ys.shape[0]
    from tickbook.analytics._kernels_garch import garch_variance

    s2 = np.empty(n)
    resid = ys - mu
    garch_variance(resid, w, a, b, bc, s2)
    return GarchResult(
        mu=mu * scale,
        omega=w * scale**2,
        alpha=a,
        beta=b,
        nu=nu if student else None,
        dist=dist,
        mean=mean,
        loglikelihood=float(ll) - n * math.log(scale),
        nobs=n,
        conditional_volatility=np.sqrt(s2) * scale,
        last_residual=float(resid[-1]) * scale,
    )


def garch_forecast(
    returns: Any,
    horizon: int = 1,
    *,
    dist: Literal["normal", "t"] = "normal",
    mean: Literal["constant", "zero"] = "constant",
) -> np.ndarray:
    """Fit a GARCH(1,1) and return the variance forecasts for h = 1..``horizon``."""
    check_period(horizon, "horizon", hi=1_000_000)
    return fit_garch(returns, dist=dist, mean=mean).forecast(horizon)


def ewma_volatility(returns: Any, lam: float = 0.94) -> Any:
    """RiskMetrics EWMA volatility: s2[t] = lam s2[t-1] + (1 - lam) r[t-1]^2.

    Returns the conditional volatility of each period given the returns before it (arch's
    ``EWMAVariance`` with zero mean, started from arch's backcast of the first 75 returns),
    for a 1-D series or per column of a (time x symbols) panel. The next period's volatility
    is ``sqrt(lam * vol[-1]**2 + (1 - lam) * returns[-1]**2)``.
    """
    from tickbook.analytics._inputs import panel
    from tickbook.analytics._kernels_garch import ewma_variance

    lam = check_float(lam, "lam", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    r, shape = panel(returns, "returns")
    if r.shape[0] < 1:
        raise refuse("returns", "at least 1 return", 0)
    bad = ~np.isfinite(r)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise refuse("returns", f"finite returns (row {t}, column {j})", float(r[t, j]))
    init = np.array([backcast(r[:, j]) for j in range(r.shape[1])])
    out = np.empty_like(r)
    ewma_variance(r, lam, init, out)
    return shape.wrap(np.sqrt(out))
