"""Portfolio optimizers: minimum variance, maximum Sharpe, risk parity, HRP, minimum CVaR/CDaR.

Names and call shape follow the reference (nanobook): ``optimize_*(returns, symbols)`` with a
(time x assets) matrix of per-period returns; with ``symbols`` the weights come back as a
``{symbol: weight}`` dict (as nanobook answers), a DataFrame gives a Series, an array an array.
Weights always sum to 1.

Constraints: ``bounds`` per asset (default long-only, 0 <= w <= 1) and ``leverage``, a cap on
gross exposure sum(|w|) (it binds only when bounds allow short positions). ``covariance``:
``"sample"`` or ``"ledoit_wolf"`` shrinkage.

Solvers: the quadratic programs (minimum variance, maximum Sharpe in the homogenised form of
Cornuejols and Tutuncu) go through ``_qp.solve_box_qp``, an exact active-set method, when
only bounds constrain them, else ``_qp.solve_qp``, an interior-point method; CVaR
(Rockafellar-Uryasev) and CDaR (Chekhlov-Uryasev-Zabarankin, as PyPortfolioOpt writes it) are
linear programs solved by ``_lp.solve_block_lp``, an interior point that factors the dense
weight block apart from the per-period variables (HiGHS through ``scipy.optimize.linprog`` if
it stalls); risk parity is Newton's
method on Spinu's convex form; HRP follows Lopez de Prado as PyPortfolioOpt implements it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

import numpy as np

from tickbook.analytics._covariance import Returns, _cov, returns_matrix
from tickbook.analytics._inputs import check_choice, check_float, real_array
from tickbook.core import DataError
from tickbook.core._checks import refuse

__all__ = [
    "optimize_cdar",
    "optimize_cvar",
    "optimize_hrp",
    "optimize_max_sharpe",
    "optimize_min_variance",
    "optimize_risk_parity",
]

Bounds = tuple[float, float] | Sequence[tuple[float, float]]
_COVARIANCES = ("sample", "ledoit_wolf")
F = TypeVar("F", bound=Callable[..., Any])


def _one_blas_thread(fn: F) -> F:
    """Run ``fn`` with BLAS/LAPACK on one thread (through threadpoolctl, when installed).

    The dense algebra here (a few hundred assets) gains little from threads, and on a busy
    machine BLAS threads that spin against each other turn a 3 ms factorisation into 300 ms.
    The caller's thread settings are restored on return.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional
            limit: Any = nullcontext()
        else:
            limit = threadpool_limits(limits=1, user_api="blas")
        with limit:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _limits(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return per-asset (lo, hi) arrays from one pair or one pair per asset."""
    arr = real_array(bounds, "bounds", "a (lo, hi) pair or one pair per asset")
    if arr.shape == (2,):
        lo, hi = np.full(n, arr[0]), np.full(n, arr[1])
    elif arr.shape == (n, 2):
        lo, hi = arr[:, 0].copy(), arr[:, 1].copy()
    else:
        raise refuse("bounds", f"a (lo, hi) pair or {n} pairs", f"shape {arr.shape}")
    if np.isnan(arr).any() or (lo > hi).any() or np.isposinf(lo).any() or np.isneginf(hi).any():
        raise refuse("bounds", "pairs with lo <= hi", bounds)
    if lo.sum() > 1.0 + 1e-12 or hi.sum() < 1.0 - 1e-12:
        raise refuse("bounds", "limits that allow weights summing to 1", bounds)
    return lo, hi


def _leverage(leverage: Any, lo: np.ndarray) -> float | None:
    if leverage is None:
        return None
    lev = check_float(leverage, "leverage", lo=1.0, hi=1e6)
    if (lo >= 0.0).all():
        return None  # long-only: sum(|w|) = sum(w) = 1 already
    return lev


def _covariance(ret: Returns, method: str) -> np.ndarray:
    check_choice(method, "covariance", _COVARIANCES)
    t, n = ret.values.shape
    if method == "sample" and t <= n:
        raise refuse(
            "returns",
            f"more observations than assets for a sample covariance ({n} assets; "
            'or use covariance="ledoit_wolf")',
            t,
        )
    cov = _cov(ret.values, method)
    d = np.sqrt(np.diag(cov))
    if (d <= 0.0).any():
        j = int(np.argmax(d <= 0.0))
        raise refuse("returns", f"assets whose returns vary (asset {_name(ret, j)} is flat)", j)
    if _singular(cov / np.outer(d, d)):
        raise refuse(
            "returns",
            "a non-singular covariance (some assets are linear combinations of others; "
            'drop them or use covariance="ledoit_wolf")',
            "singular covariance",
        )
    return cov


def _singular(corr: np.ndarray) -> bool:
    """True when some asset is (nearly) a linear combination of the others.

    The Cholesky pivots of a correlation matrix are each asset's variance left unexplained by
    the assets before it: a pivot below 1e-10 means collinear columns.
    """
    from scipy.linalg import LinAlgError, cholesky

    try:
        piv = np.diag(cholesky(corr, lower=True, check_finite=False))
    except LinAlgError:
        return True
    return bool(np.min(piv) ** 2 <= 1e-10)


def _name(ret: Returns, j: int) -> str:
    return ret.symbols[j] if ret.symbols is not None else str(j)


def _constraint_rows(
    n: int, lo: np.ndarray, hi: np.ndarray, lev: float | None, kappa: bool
) -> tuple[Any, np.ndarray, int]:
    """Inequalities G x <= h over x = (w, [t], [kappa]) for bounds and leverage.

    With ``kappa`` (the homogenised max-Sharpe problem) the bounds scale with kappa:
    lo kappa <= y <= hi kappa. Returns (G, h, number of variables).
    """
    from scipy.sparse import coo_matrix

    nv = n + (n if lev is not None else 0) + (1 if kappa else 0)
    k = nv - 1  # kappa's column
    rows, cols, vals, h = [], [], [], []

    def add(entries: list[tuple[int, float]], rhs: float) -> None:
        r = len(h)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        h.append(rhs)

    for i in range(n):
        if np.isfinite(hi[i]):
            add([(i, 1.0), (k, -hi[i])] if kappa else [(i, 1.0)], 0.0 if kappa else hi[i])
        if np.isfinite(lo[i]):
            add([(i, -1.0), (k, lo[i])] if kappa else [(i, -1.0)], 0.0 if kappa else -lo[i])
    if lev is not None:
        for i in range(n):
            add([(i, 1.0), (n + i, -1.0)], 0.0)
            add([(i, -1.0), (n + i, -1.0)], 0.0)
        entries = [(n + i, 1.0) for i in range(n)]
        add([*entries, (k, -lev)] if kappa else entries, 0.0 if kappa else lev)
    if kappa:
        add([(k, -1.0)], 0.0)
    G = coo_matrix((vals, (rows, cols)), shape=(len(h), nv))
    return G, np.asarray(h, dtype=np.float64), nv


def _solve(P: np.ndarray, q: np.ndarray, A: np.ndarray, b: np.ndarray, G: Any, h: np.ndarray):
    from tickbook.analytics._qp import solve_qp

    res = solve_qp(P, q, A, b, G, h)
    if not res.converged:
        raise DataError(
            "invalid `returns`: expected a covariance and constraints the optimizer can "
            "solve, got no convergence (the constraints may be infeasible or the covariance "
            "degenerate)",
            field="returns",
            value=None,
        )
    return res.x


@_one_blas_thread
def optimize_min_variance(
    returns: Any,
    symbols: Sequence[str] | None = None,
    *,
    bounds: Bounds = (0.0, 1.0),
    leverage: float | None = None,
    covariance: str = "sample",
) -> Any:
    """Return the fully invested portfolio of least variance: min w'Cw, sum(w) = 1."""
    ret = returns_matrix(returns, symbols)
    n = ret.values.shape[1]
    lo, hi = _limits(bounds, n)
    lev = _leverage(leverage, lo)
    cov = _covariance(ret, covariance)
    c = cov / np.max(np.diag(cov))
    if lev is None:
        from tickbook.analytics._qp import solve_box_qp

        x = solve_box_qp(c, np.zeros(n), np.ones((1, n)), np.ones(1), lo, hi)
        if x is not None:
            return ret.wrap(_clean(x, lo, hi), symbols is not None)
    G, h, nv = _constraint_rows(n, lo, hi, lev, kappa=False)
    P = np.zeros((nv, nv))
    P[:n, :n] = c
    A = np.zeros((1, nv))
    A[0, :n] = 1.0
    x = _solve(P, np.zeros(nv), A, np.ones(1), G, h)
    return ret.wrap(_clean(x[:n], lo, hi), symbols is not None)


@_one_blas_thread
def optimize_max_sharpe(
    returns: Any,
    symbols: Sequence[str] | None = None,
    risk_free_rate: float = 0.0,
    *,
    bounds: Bounds = (0.0, 1.0),
    leverage: float | None = None,
    covariance: str = "sample",
) -> Any:
    """Return the tangency portfolio: max (mu'w - rf) / sqrt(w'Cw), sum(w) = 1.

    ``mu`` is the mean return per period and ``risk_free_rate`` is per period too. Solved as
    min y'Cy with (mu - rf)'y = 1, sum(y) = kappa, the constraints scaled by kappa >= 0,
    then w = y / kappa. Refused when no allowed portfolio beats the risk-free rate.
    """
    ret = returns_matrix(returns, symbols)
    n = ret.values.shape[1]
    rf = check_float(risk_free_rate, "risk_free_rate", lo=-1.0, hi=1.0)
    lo, hi = _limits(bounds, n)
    lev = _leverage(leverage, lo)
    cov = _covariance(ret, covariance)
    excess = ret.values.mean(axis=0) - rf
    if _best_excess(excess, lo, hi, lev) <= 1e-14 * (1.0 + np.abs(excess).max()):
        raise refuse(
            "risk_free_rate", "a rate some allowed portfolio beats (mean returns above it)", rf
        )
    c = cov / np.max(np.diag(cov))
    e = excess / np.abs(excess).max()
    if lev is None and (lo == 0.0).all() and (hi >= 1.0).all():
        # long-only: y >= 0 is the only bound (y_i <= kappa = sum(y) holds by itself)
        from tickbook.analytics._qp import solve_box_qp

        y = solve_box_qp(c, np.zeros(n), e[None, :], np.ones(1), lo, np.full(n, np.inf))
        if y is not None and y.sum() > 0.0:
            return ret.wrap(_clean(y / y.sum(), lo, hi), symbols is not None)
    G, h, nv = _constraint_rows(n, lo, hi, lev, kappa=True)
    P = np.zeros((nv, nv))
    P[:n, :n] = c
    A = np.zeros((2, nv))
    A[0, :n] = e
    A[1, :n] = 1.0
    A[1, nv - 1] = -1.0
    x = _solve(P, np.zeros(nv), A, np.array([1.0, 0.0]), G, h)
    kappa = x[nv - 1]
    return ret.wrap(_clean(x[:n] / kappa, lo, hi), symbols is not None)


def _best_excess(excess: np.ndarray, lo: np.ndarray, hi: np.ndarray, lev: float | None) -> float:
    """Largest mean excess return any allowed portfolio reaches (a small LP)."""
    from scipy.optimize import linprog

    n = excess.shape[0]
    if lev is None:
        res = linprog(
            -excess, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=list(zip(lo, hi, strict=True)),
            method="highs",
        )  # fmt: skip
    else:
        # variables (w, t): |w| <= t, sum(t) <= lev
        c = np.concatenate([-excess, np.zeros(n)])
        eye = np.eye(n)
        a_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, n)), np.ones((1, n))]])
        b_ub = np.concatenate([np.zeros(2 * n), [lev]])
        a_eq = np.concatenate([np.ones(n), np.zeros(n)])[None, :]
        bnds = list(zip(lo, hi, strict=True)) + [(0.0, None)] * n
        res = linprog(c, a_ub, b_ub, a_eq, [1.0], bounds=bnds, method="highs")
    return -float(res.fun) if res.status == 0 else -np.inf


def _clean(w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    # the interior point stops a hair inside the bounds: snap, then renormalise the budget
    w = np.clip(w, lo, hi)
    w[np.abs(w) < 1e-12] = 0.0
    return w / w.sum()


@_one_blas_thread
def optimize_risk_parity(
    returns: Any,
    symbols: Sequence[str] | None = None,
    *,
    budgets: Sequence[float] | None = None,
    covariance: str = "sample",
) -> Any:
    """Return the long-only portfolio whose assets contribute equal shares of its variance.

    Risk contribution of asset i: w_i (Cw)_i / (w'Cw). With ``budgets`` (positive, any
    scale) the contributions are proportional to them instead. Newton's method on Spinu's
    convex problem min 1/2 y'Cy - sum(b_i log y_i), then w = y / sum(y); contributions
    match the budgets to about 1e-12.
    """
    ret = returns_matrix(returns, symbols)
    n = ret.values.shape[1]
    cov = _covariance(ret, covariance)
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        b = real_array(budgets, "budgets", "positive numbers, one per asset")
        if b.shape != (n,) or not np.isfinite(b).all() or (b <= 0.0).any():
            raise refuse("budgets", f"{n} positive numbers", budgets)
        b = b / b.sum()
    from scipy.linalg import cho_factor, cho_solve

    c = cov / np.max(np.diag(cov))
    y = b / np.sqrt(np.diag(c))
    y *= np.sqrt(1.0 / float(y @ c @ y))
    for _ in range(200):
        cy = c @ y
        g = cy - b / y
        if np.max(np.abs(g * y)) < 1e-15:
            break
        H = c + np.diag(b / (y * y))
        step = cho_solve(cho_factor(H, lower=True, check_finite=False), -g, check_finite=False)
        f0 = 0.5 * float(y @ cy) - float(b @ np.log(y))
        a = 1.0
        neg = step < 0.0
        if neg.any():
            a = min(1.0, 0.99 * float(np.min(-y[neg] / step[neg])))
        while a > 1e-12:
            yn = y + a * step
            if 0.5 * float(yn @ c @ yn) - float(b @ np.log(yn)) <= f0 + 1e-4 * a * float(g @ step):
                break
            a *= 0.5
        y = y + a * step
    w = y / y.sum()
    return ret.wrap(w, symbols is not None)


@_one_blas_thread
def optimize_hrp(
    returns: Any,
    symbols: Sequence[str] | None = None,
    *,
    linkage: str = "single",
    covariance: str = "sample",
) -> Any:
    """Hierarchical risk parity (Lopez de Prado 2016), as PyPortfolioOpt's ``HRPOpt``.

    Clusters assets on the distance sqrt((1 - corr) / 2) (scipy ``linkage``), orders them by
    the tree's leaves, then splits the ordered list in halves recursively, giving each half a
    share inversely proportional to its inverse-variance portfolio's variance. Long-only.
    """
    import scipy.cluster.hierarchy as sch
    from scipy.spatial.distance import squareform

    methods = ("single", "complete", "average", "weighted", "centroid", "median", "ward")
    check_choice(linkage, "linkage", methods)
    check_choice(covariance, "covariance", _COVARIANCES)
    ret = returns_matrix(returns, symbols)
    n = ret.values.shape[1]
    cov = _cov(ret.values, covariance)
    var = np.diag(cov)
    if (var <= 0.0).any():
        j = int(np.argmax(var <= 0.0))
        raise refuse("returns", f"assets whose returns vary (asset {_name(ret, j)} is flat)", j)
    if n == 1:
        return ret.wrap(np.ones(1), symbols is not None)
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    dist = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    tree = sch.linkage(squareform(dist, checks=False), linkage)
    order = sch.to_tree(tree, rd=False).pre_order()
    w = np.ones(n)
    clusters = [order]
    while clusters:
        clusters = [
            c[a:e]
            for c in clusters
            for a, e in ((0, len(c) // 2), (len(c) // 2, len(c)))
            if len(c) > 1
        ]
        for i in range(0, len(clusters), 2):
            left, right = clusters[i], clusters[i + 1]
            v1, v2 = _cluster_var(cov, left), _cluster_var(cov, right)
            share = 1.0 - v1 / (v1 + v2)
            w[left] *= share
            w[right] *= 1.0 - share
    return ret.wrap(w, symbols is not None)


def _cluster_var(cov: np.ndarray, items: list[int]) -> float:
    sub = cov[np.ix_(items, items)]
    iv = 1.0 / np.diag(sub)
    iv /= iv.sum()
    return float(iv @ sub @ iv)


def _lp_weights(
    ret: Returns, alpha: Any, bounds: Bounds, leverage: Any, drawdown: bool
) -> np.ndarray:
    """Solve the CVaR or CDaR linear program; return the weights."""
    from tickbook.analytics._lp import solve_block_lp

    a = check_float(alpha, "alpha", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    r = ret.values
    t, n = r.shape
    if t * (1.0 - a) < 1.0:
        raise refuse("returns", f"at least {int(np.ceil(1.0 / (1.0 - a)))} observations", t)
    lo, hi = _limits(bounds, n)
    lev = _leverage(leverage, lo)
    nt = n if lev is not None else 0
    # scale returns to unit size so the tolerances mean the same for any data
    scale = float(np.abs(r).max()) or 1.0
    rs = r / scale
    # x = (w, [g], zeta, u, [z]): g_i >= |w_i| under a leverage cap; per period u_t (excess
    # loss for CVaR, drawdown for CDaR) and, for CDaR, z_t (drawdown beyond zeta)
    k = n + nt  # zeta's column
    nd = k + 1
    nv = nd + (2 * t if drawdown else t)
    per = np.arange(t)
    iu = nd + per
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def put(row: np.ndarray, col: np.ndarray, value: float) -> None:
        rows.append(row)
        cols.append(col)
        vals.append(np.full(len(col), value))

    D = np.zeros((t, nd))
    D[:, :n] = -rs
    if drawdown:
        # u_t - zeta - z_t <= 0;  u_{t-1} - u_t - r_t w <= 0 (u_0 = 0), the r_t w part dense
        put(per, iu, 1.0)
        put(per, np.full(t, k), -1.0)
        put(per, iu + t, -1.0)
        put(t + per, iu, -1.0)
        put(t + per[1:], iu[:-1], 1.0)
        dense_rows, m = t + per, 2 * t
    else:
        # -r_t w - zeta - u_t <= 0, all but u_t in the dense block
        D[:, k] = -1.0
        put(per, iu, -1.0)
        dense_rows, m = per, t
    h = [np.zeros(m)]
    for bound, sign in ((lo, -1.0), (hi, 1.0)):
        fin = np.flatnonzero(np.isfinite(bound))
        put(m + np.arange(fin.size), fin, sign)
        h.append(sign * bound[fin])
        m += fin.size
    if lev is not None:
        w_i = np.arange(n)
        put(m + w_i, w_i, 1.0)  # w - g <= 0
        put(m + w_i, n + w_i, -1.0)
        put(m + n + w_i, w_i, -1.0)  # -w - g <= 0
        put(m + n + w_i, n + w_i, -1.0)
        put(np.full(n, m + 2 * n), n + w_i, 1.0)  # sum(g) <= lev
        h += [np.zeros(2 * n), np.array([lev])]
        m += 2 * n + 1
    put(m + np.arange(nv - nd), np.arange(nd, nv), -1.0)  # u, z >= 0
    h.append(np.zeros(nv - nd))
    m += nv - nd
    from scipy.sparse import coo_matrix

    G_s = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), (m, nv))
    c = np.zeros(nv)
    c[k] = 1.0
    c[nd + (t if drawdown else 0) :] = 1.0 / ((1.0 - a) * t)
    A = np.zeros((1, nv))
    A[0, :n] = 1.0
    h_all = np.concatenate(h)
    res = solve_block_lp(c, A, np.ones(1), G_s, D, dense_rows, h_all, t)
    if res.converged:
        return _clean(res.x[:n], lo, hi)
    # numerical trouble in the interior point: HiGHS on the same program, slower but sure
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    full = G_s.tolil()
    full[dense_rows, :nd] = D
    out = linprog(c, csr_matrix(full), h_all, A, [1.0], bounds=(None, None), method="highs")
    if out.status != 0:
        raise DataError(
            f"the linear program failed: {out.message}", field="returns", value=out.status
        )
    return _clean(out.x[:n], lo, hi)


@_one_blas_thread
def optimize_cvar(
    returns: Any,
    symbols: Sequence[str] | None = None,
    alpha: float = 0.95,
    *,
    bounds: Bounds = (0.0, 1.0),
    leverage: float | None = None,
) -> Any:
    """Return the portfolio of least conditional value at risk of its per-period loss.

    CVaR at ``alpha``: the mean loss over the worst (1 - alpha) share of the historical
    periods (Rockafellar-Uryasev linear program).
    """
    ret = returns_matrix(returns, symbols)
    return ret.wrap(_lp_weights(ret, alpha, bounds, leverage, False), symbols is not None)


@_one_blas_thread
def optimize_cdar(
    returns: Any,
    symbols: Sequence[str] | None = None,
    alpha: float = 0.95,
    *,
    bounds: Bounds = (0.0, 1.0),
    leverage: float | None = None,
) -> Any:
    """Return the portfolio of least conditional drawdown at risk.

    Drawdowns of the cumulative (uncompounded) portfolio return from its running peak; CDaR
    at ``alpha`` is the mean of the worst (1 - alpha) share of them (Chekhlov, Uryasev and
    Zabarankin's linear program, written as PyPortfolioOpt's ``EfficientCDaR`` does).
    """
    ret = returns_matrix(returns, symbols)
    return ret.wrap(_lp_weights(ret, alpha, bounds, leverage, True), symbols is not None)
