"""An interior-point method for the linear programs of minimum CVaR and CDaR.

Those programs have a few hundred "dense" variables (the weights, the VaR level) that meet the
return matrix, and thousands of "sparse" ones (one or two per period: excess losses,
drawdowns) that each touch a couple of rows. ``solve_block_lp`` solves

    min c'x  s.t.  Ax = b,  Gx <= h,      x = (x_d, x_s),  G = G_s + (rows ``dense_rows``: [D 0])

by Mehrotra's predictor-corrector method, as ``_qp.solve_qp`` does, but factors the Newton
matrix ``H = G' diag(z/s) G`` by blocks: the sparse-sparse block is banded (periods couple only
to their neighbours), so a banded Cholesky ``L`` of it and ``X = L^-1 H_sd`` leave a small dense
Schur complement ``H_dd - X'X`` for the dense variables. One iteration costs about
``(periods) x (dense variables)^2`` flops in BLAS, where a general sparse solver meets the
dense return block as fill.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from tickbook.analytics._qp import QPResult, advance, converged, predictor_corrector

__all__ = ["solve_block_lp"]


class _Rows:
    """The constraint matrix G: a sparse part plus a dense block on some rows."""

    def __init__(self, G_s: Any, D: np.ndarray, dense_rows: np.ndarray, nd: int, ns: int) -> None:
        from scipy.sparse import csr_matrix

        self.G = csr_matrix(G_s)
        self.Gt = self.G.T.tocsr()
        self.D = np.ascontiguousarray(D)
        self.Dt = np.ascontiguousarray(D.T)
        self.rows = dense_rows
        self.nd, self.ns = nd, ns
        self.m, self.nv = self.G.shape
        self.G_rows_t = self.G[dense_rows][:, nd : nd + ns].T.tocsr()
        pattern = (abs(self.Gt) @ abs(self.G)).tocsr()
        k = nd + ns
        if pattern[k:, k:].count_nonzero() != self.nv - k or self.G[dense_rows][:, k:].nnz:
            raise ValueError("the last variables must be diagonal and off the dense rows")
        block = pattern[nd:k, nd:k].tocoo()
        self.band = int(np.max(block.row - block.col)) if block.nnz else 0

    def dot(self, x: np.ndarray) -> np.ndarray:
        out = self.G @ x
        out[self.rows] += self.D @ x[: self.nd]
        return out

    def tdot(self, z: np.ndarray) -> np.ndarray:
        out = self.Gt @ z
        out[: self.nd] += self.Dt @ z[self.rows]
        return out


class _Newton:
    """Factors of ``H = G' diag(d) G + reg I`` by blocks; ``solve`` applies H^-1.

    The diagonal variables go first (a division each), then the banded block (Cholesky
    ``L``), leaving the dense Schur complement ``H_dd - X'X``, ``X = L^-1 H_sd``.
    """

    def __init__(self, g: _Rows, d: np.ndarray, reg: float) -> None:
        from scipy.linalg import LinAlgError, cho_factor
        from scipy.linalg.blas import dsyrk
        from scipy.linalg.lapack import dpbtrf, dtbtrs
        from scipy.sparse import diags

        nd, ns, band = g.nd, g.ns, g.band
        k = nd + ns
        hs = (g.Gt @ diags(d) @ g.G).tocsr()
        he = hs.diagonal()[k:] + reg
        b = hs[:k, k:]
        hk = (hs[:k, :k] - b @ diags(1.0 / he) @ b.T).tocsr()
        # banded block: lower storage ab[i - j, j] = H[i, j]
        hss = hk[nd:, nd:].tocoo()
        keep = hss.row >= hss.col
        ab = np.zeros((band + 1, ns))
        ab[hss.row[keep] - hss.col[keep], hss.col[keep]] = hss.data[keep]
        ab[0] += reg
        chol, info = dpbtrf(ab, lower=1)
        if info != 0:
            raise LinAlgError("banded block not positive definite")
        dr = d[g.rows]
        h_sd = hk[nd:, :nd].toarray(order="F") + (g.G_rows_t @ diags(dr)) @ g.D
        x, info = dtbtrs(chol, np.asfortranarray(h_sd), uplo="L", overwrite_b=1)
        if info != 0:
            raise LinAlgError("banded solve failed")
        root = g.Dt * np.sqrt(dr)  # (dense variables, dense rows): Fortran order for syrk
        h_dd = dsyrk(1.0, root.T, beta=1.0, c=hk[:nd, :nd].toarray(order="F"), trans=1, lower=1)
        h_dd = dsyrk(-1.0, x, beta=1.0, c=h_dd, trans=1, lower=1, overwrite_c=1)
        h_dd[np.diag_indices(nd)] += reg
        try:
            self.cf = cho_factor(h_dd, lower=True, overwrite_a=True, check_finite=False)
        except LinAlgError:  # nearly singular: lean harder on the diagonal
            h_dd[np.diag_indices(nd)] += 1e4 * reg
            self.cf = cho_factor(h_dd, lower=True, overwrite_a=True, check_finite=False)
        self.chol, self.x, self.he, self.b, self.k = chol, x, he, b.tocsr(), k
        self.bt = self.b.T.tocsr()
        self.nd, self.dtbtrs = nd, dtbtrs

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Return H^-1 rhs for a vector or a matrix of right-hand sides."""
        from scipy.linalg import cho_solve

        r = rhs.reshape(rhs.shape[0], -1)
        nd, k = self.nd, self.k
        re = r[k:] / self.he[:, None]
        rk = r[:k] - self.b @ re
        y, _ = self.dtbtrs(self.chol, np.asfortranarray(rk[nd:]), uplo="L")
        xd = cho_solve(self.cf, rk[:nd] - self.x.T @ y, check_finite=False)
        xs, _ = self.dtbtrs(self.chol, y - self.x @ xd, uplo="L", trans="T")
        xe = re - (self.bt @ np.concatenate([xd, xs])) / self.he[:, None]
        return np.concatenate([xd, xs, xe]).reshape(rhs.shape)


def solve_block_lp(
    c: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    G_s: Any,
    D: np.ndarray,
    dense_rows: np.ndarray,
    h: np.ndarray,
    n_banded: int,
    *,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> QPResult:
    """Solve the LP; ``A`` is dense (p, n), ``D`` dense (len(dense_rows), dense variables).

    The dense variables are the first ``D.shape[1]``; ``G_s`` (scipy.sparse, any format) must
    not touch them on ``dense_rows``, and the rest of ``G_s`` must couple each sparse variable
    to near neighbours only (the banded block).
    """
    from scipy.linalg import LinAlgError

    g = _Rows(G_s, D, dense_rows, D.shape[1], n_banded)
    m = h.shape[0]
    reg = 1e-13

    def kkt(hs: _Newton, rhs: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # H dx + A'dy = rhs, A dx = -rp
        hg = hs.solve(rhs)
        ha = hs.solve(A.T)
        dy = np.linalg.solve(A @ ha, A @ hg + rp)
        return hg - ha @ dy, dy

    def direction(hs, d, z, s, rd, rp, ri, rc):
        u = (z * ri - rc) / s
        dx, dy = kkt(hs, -rd - g.tdot(u), rp)
        return dx, dy, u + d * g.dot(dx), -ri - g.dot(dx)

    # starting point: the equality-constrained least-squares point, slacks shifted positive
    x, y = kkt(_Newton(g, np.ones(m), reg), -c + g.tdot(h), -b)
    s = h - g.dot(x)
    s = s + max(0.0, 1.0 - float(s.min()))
    z = np.ones(m)
    scale_c = 1.0 + float(np.linalg.norm(c))
    scale_b = 1.0 + float(np.linalg.norm(b))
    scale_h = 1.0 + float(np.linalg.norm(h))
    for it in range(1, max_iter + 1):
        ay, gz = A.T @ y, g.tdot(z)
        rd = c + ay + gz
        rp = A @ x - b
        ri = g.dot(x) + s - h
        mu = float(s @ z) / m
        obj = float(c @ x)
        scale_d = max(scale_c, float(np.linalg.norm(ay)), float(np.linalg.norm(gz)))
        norms = (np.linalg.norm(rd), np.linalg.norm(rp), np.linalg.norm(ri))
        if converged(norms, (scale_d, scale_b, scale_h), mu * m, obj, tol):
            return QPResult(x, y, z, True, it)
        d = z / s
        try:
            hs = _Newton(g, d, reg)
        except LinAlgError:
            break
        alpha, step = predictor_corrector(partial(direction, hs, d, z, s, rd, rp, ri), s, z, mu)
        point = advance(alpha, (x, y, z, s), step)
        if point is None:
            break
        x, y, z, s = point
    return QPResult(x, y, z, False, max_iter)
