"""Volatility kernels: the GARCH(1,1) likelihood with its gradient, and EWMA variance.

Plain functions over arrays and scalars (``cache=True``); the Python wrappers validate.
"""

import math

import numpy as np
from numba import njit

__all__ = ["ewma_variance", "garch_loglik", "garch_variance"]

LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, nogil=True)
def garch_variance(resid, omega, alpha, beta, backcast, out):
    """Write GARCH(1,1) conditional variances: s2[t] = w + a r[t-1]^2 + b s2[t-1].

    Before the sample, both r^2 and s2 are taken as ``backcast`` (arch's convention).
    """
    prev_r2 = backcast
    prev_s2 = backcast
    for t in range(resid.shape[0]):
        s2 = omega + alpha * prev_r2 + beta * prev_s2
        out[t] = s2
        prev_r2 = resid[t] * resid[t]
        prev_s2 = s2


@njit(cache=True, nogil=True)
def garch_loglik(y, mu, omega, alpha, beta, nu, student, const, dconst, backcast, grad):
    """Return the GARCH(1,1) log-likelihood of ``y`` and write its gradient.

    ``grad`` gets d/d(mu, omega, alpha, beta, nu). Normal errors, or standardised Student-t
    with ``nu`` degrees of freedom when ``student`` (``const`` is its log normaliser and
    ``dconst`` that constant's derivative in ``nu``, computed by the caller). A non-positive
    variance (never for valid parameters) gives -inf.
    """
    n = y.shape[0]
    ll = 0.0
    g_mu = 0.0
    g_w = 0.0
    g_a = 0.0
    g_b = 0.0
    g_nu = 0.0
    # variance and its derivatives at t - 1 (before the sample: the backcast)
    prev_r = 0.0
    prev_r2 = backcast
    prev_s2 = backcast
    ds_mu = 0.0
    ds_w = 0.0
    ds_a = 0.0
    ds_b = 0.0
    for t in range(n):
        s2 = omega + alpha * prev_r2 + beta * prev_s2
        # derivatives of s2 (the backcast is held fixed)
        if t == 0:
            ds_mu, ds_w, ds_a, ds_b = 0.0, 1.0, backcast, backcast
        else:
            ds_mu = -2.0 * alpha * prev_r + beta * ds_mu
            ds_w = 1.0 + beta * ds_w
            ds_a = prev_r2 + beta * ds_a
            ds_b = prev_s2 + beta * ds_b
        if not s2 > 0.0:
            return -np.inf
        r = y[t] - mu
        r2 = r * r
        if student:
            scale = s2 * (nu - 2.0)
            z = r2 / scale
            lz = math.log1p(z)
            ll += const - 0.5 * math.log(s2) - 0.5 * (nu + 1.0) * lz
            dl_ds = -0.5 / s2 + 0.5 * (nu + 1.0) * z / (1.0 + z) / s2
            dl_dr = -(nu + 1.0) * r / scale / (1.0 + z)
            g_nu += dconst - 0.5 * lz + 0.5 * (nu + 1.0) * z / (nu - 2.0) / (1.0 + z)
        else:
            ll += -0.5 * (LOG_2PI + math.log(s2) + r2 / s2)
            dl_ds = -0.5 / s2 + 0.5 * r2 / (s2 * s2)
            dl_dr = -r / s2
        g_mu += -dl_dr + dl_ds * ds_mu
        g_w += dl_ds * ds_w
        g_a += dl_ds * ds_a
        g_b += dl_ds * ds_b
        prev_r = r
        prev_r2 = r2
        prev_s2 = s2
    grad[0] = g_mu
    grad[1] = g_w
    grad[2] = g_a
    grad[3] = g_b
    grad[4] = g_nu
    return ll


@njit(cache=True, nogil=True)
def ewma_variance(r, lam, init, out):
    """RiskMetrics variance per column: s2[0] = init, s2[t] = lam s2[t-1] + (1-lam) r[t-1]^2."""
    nrow, ncol = r.shape
    one = 1.0 - lam
    for j in range(ncol):
        out[0, j] = init[j]
    for t in range(1, nrow):
        for j in range(ncol):
            x = r[t - 1, j]
            out[t, j] = lam * out[t - 1, j] + one * x * x
