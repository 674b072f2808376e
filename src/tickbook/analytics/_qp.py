"""Solvers for the small quadratic programs of the optimizers.

``solve_box_qp``: equality rows and per-variable bounds only, by the primal-dual active-set
method (Hintermueller, Ito and Kunisch): guess which bounds bind, solve the equality-constrained
problem on the free variables exactly, move the variables whose bound or multiplier has the
wrong sign, repeat until nothing moves (a handful of rounds; each solve involves only the free
variables). It answers the exact KKT point, or None when it does not settle.

``solve_qp``: the general case, a dense primal-dual interior-point method:

Solves ``min 1/2 x'Px + q'x  s.t.  Ax = b, Gx <= h`` with P dense (positive semidefinite),
A a few dense rows and G sparse (bounds and a few dense rows), by Mehrotra's
predictor-corrector method. Each iteration factors ``P + G' diag(z/s) G`` once (Cholesky) and
handles the equality rows by their Schur complement. It stops at relative residuals and gap
below ``tol`` (1e-9 by default, residuals relative to the size of their terms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

__all__ = ["QPResult", "solve_box_qp", "solve_qp"]


@dataclass(frozen=True, slots=True)
class QPResult:
    """Primal solution, multipliers and whether the method converged."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    converged: bool
    iterations: int


def _max_step(v: np.ndarray, dv: np.ndarray) -> float:
    # largest step keeping v + step * dv >= 0 (inf when dv never decreases)
    neg = dv < 0.0
    if not neg.any():
        return np.inf
    return float(np.min(-v[neg] / dv[neg]))


def converged(
    residuals: tuple[float, float, float],
    scales: tuple[float, float, float],
    gap: float,
    obj: float,
    tol: float,
) -> bool:
    """Whether dual, primal and inequality residuals and the duality gap are all within tol."""
    return (
        residuals[0] <= tol * scales[0]
        and residuals[1] <= tol * scales[1]
        and residuals[2] <= tol * scales[2]
        and gap <= tol * (1.0 + abs(obj))
    )


def predictor_corrector(
    direction: Callable[[np.ndarray], tuple[np.ndarray, ...]],
    s: np.ndarray,
    z: np.ndarray,
    mu: float,
) -> tuple[float, tuple[np.ndarray, ...]]:
    """Mehrotra's step: an affine-scaling predictor, then the centred corrector.

    ``direction(rc)`` answers (dx, dy, dz, ds) for the complementarity right-hand side ``rc``;
    the answer is the step length (0.99 of the way to the boundary, at most 1) and the
    corrected direction.
    """
    _, _, dz, ds = direction(s * z)
    a_aff = min(1.0, _max_step(s, ds), _max_step(z, dz))
    mu_aff = float((s + a_aff * ds) @ (z + a_aff * dz)) / s.shape[0]
    sigma = (mu_aff / mu) ** 3 if mu > 0.0 else 0.0
    step = direction(s * z + ds * dz - sigma * mu)
    return min(1.0, 0.99 * min(_max_step(s, step[3]), _max_step(z, step[2]))), step


def advance(
    alpha: float, point: tuple[np.ndarray, ...], step: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...] | None:
    """Move (x, y, z, s) by ``alpha`` along (dx, dy, dz, ds); None once it stops being finite."""
    x, y, z, s = (v + alpha * dv for v, dv in zip(point, step, strict=True))
    if not (np.isfinite(x).all() and np.isfinite(z).all()):
        return None
    return x, y, z, s


def solve_box_qp(
    P: np.ndarray,
    q: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    max_iter: int = 50,
) -> np.ndarray | None:
    """Solve ``min 1/2 x'Px + q'x  s.t.  Ax = b, lo <= x <= hi`` for positive definite P.

    Returns the solution, or None if the active set does not settle (the caller then uses
    ``solve_qp``).
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n = q.shape[0]
    state = np.zeros(n, dtype=np.int8)  # 0 free, -1 at lo, +1 at hi
    for _ in range(max_iter):
        free = state == 0
        if not free.any():
            return None
        fixed = ~free
        x = np.where(state < 0, lo, np.where(state > 0, hi, 0.0))
        af = A[:, free]
        try:
            cf = cho_factor(P[np.ix_(free, free)], lower=True, check_finite=False)
            x0 = cho_solve(cf, -q[free] - P[np.ix_(free, fixed)] @ x[fixed], check_finite=False)
            y = cho_solve(cf, af.T, check_finite=False)
            lam = np.linalg.solve(af @ y, af @ x0 - (b - A[:, fixed] @ x[fixed]))
        except (LinAlgError, ValueError):
            return None
        x[free] = x0 - y @ lam
        grad = P @ x + q + A.T @ lam  # bound multipliers where fixed, zero where free
        new = state.copy()
        new[free & (x < lo)] = -1
        new[free & (x > hi)] = 1
        new[(state < 0) & (grad < 0.0)] = 0
        new[(state > 0) & (grad > 0.0)] = 0
        if (new == state).all():
            return x if np.isfinite(x).all() else None
        state = new
    return None


def _direction(state: tuple, rc: np.ndarray) -> tuple[np.ndarray, ...]:
    """Newton step for the current residuals, with complementarity target ``rc``."""
    G, Gt, kkt, cf, d, z, s, rd, rp, ri = state
    u = (z * ri - rc) / s
    dx, dy = kkt(cf, -rd - Gt @ u, rp)
    return dx, dy, u + d * (G @ dx), -ri - G @ dx


def solve_qp(
    P: np.ndarray,
    q: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    G: object,
    h: np.ndarray,
    *,
    tol: float = 1e-9,
    max_iter: int = 100,
) -> QPResult:
    """Solve the QP; ``G`` is a scipy.sparse matrix (any format), ``A`` a dense (p, n) array."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve
    from scipy.sparse import csr_matrix, diags

    G = csr_matrix(G)
    Gt = G.T.tocsr()
    n = q.shape[0]
    m = h.shape[0]
    p = b.shape[0]

    reg = 1e-13 * (1.0 + float(np.abs(P).max()))

    def factor(d: np.ndarray) -> tuple:
        H = P + (Gt @ diags(d) @ G).toarray()
        H[np.diag_indices(n)] += reg
        try:
            return cho_factor(H, lower=True, check_finite=False)
        except LinAlgError:  # nearly singular: lean harder on the diagonal
            H[np.diag_indices(n)] += 1e4 * reg
            return cho_factor(H, lower=True, check_finite=False)

    def kkt(cf: tuple, g: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # H dx + A'dy = g, A dx = -rp
        hg = cho_solve(cf, g, check_finite=False)
        if p == 0:
            return hg, np.zeros(0)
        ha = cho_solve(cf, A.T, check_finite=False)
        S = A @ ha
        dy = np.linalg.solve(S, A @ hg + rp)
        return hg - ha @ dy, dy

    # starting point: the equality-constrained least-squares point, slacks shifted positive
    cf = factor(np.ones(m))
    x, y = kkt(cf, -q + Gt @ h, -b)
    s = h - G @ x
    shift = max(0.0, 1.0 - float(s.min())) if m else 0.0
    s = s + shift
    z = np.ones(m)
    scale_q = 1.0 + float(np.linalg.norm(q))
    scale_b = 1.0 + np.linalg.norm(b)
    scale_h = 1.0 + np.linalg.norm(h)
    for it in range(1, max_iter + 1):
        px, ay, gz = P @ x, A.T @ y, Gt @ z
        rd = px + q + ay + gz
        rp = A @ x - b
        ri = G @ x + s - h
        mu = float(s @ z) / m if m else 0.0
        obj = 0.5 * float(x @ px) + float(q @ x)
        scale_d = max(scale_q, np.linalg.norm(px), np.linalg.norm(ay), np.linalg.norm(gz))
        norms = (np.linalg.norm(rd), np.linalg.norm(rp), np.linalg.norm(ri))
        if converged(norms, (scale_d, scale_b, scale_h), mu * m, obj, tol):
            return QPResult(x, y, z, True, it)
        d = z / s
        cf = factor(d)
        state = (G, Gt, kkt, cf, d, z, s, rd, rp, ri)
        alpha, step = predictor_corrector(partial(_direction, state), s, z, mu)
        point = advance(alpha, (x, y, z, s), step)
        if point is None:
            break
        x, y, z, s = point
    return QPResult(x, y, z, False, max_iter)
