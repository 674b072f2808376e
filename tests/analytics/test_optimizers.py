"""Optimizers against cvxpy (convex problems) and PyPortfolioOpt (HRP) on real returns."""

import numpy as np
import pandas as pd
import pytest

import tickbook.analytics as A
from tickbook.core import ValidationError


@pytest.fixture(scope="module")
def cp():
    """The peer cvxpy: only the tests that compare with it skip without it."""
    return pytest.importorskip("cvxpy")


WEIGHT_TOL = 1e-4


def solve(problem):
    """Solve with Clarabel at tight tolerances: the reference must be more precise than us."""
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    assert problem.status == "optimal"


@pytest.fixture(scope="module")
def data(stock_returns):
    r = stock_returns.to_numpy()
    return r, np.cov(r, rowvar=False), r.mean(axis=0)


@pytest.mark.parametrize(
    ("bounds", "leverage"), [((0.0, 1.0), None), ((0.0, 0.15), None), ((-0.2, 0.3), 1.5)]
)
def test_min_variance_matches_cvxpy(data, bounds, leverage, cp):
    r, cov, _ = data
    w = cp.Variable(r.shape[1])
    cons = [cp.sum(w) == 1, w >= bounds[0], w <= bounds[1]]
    if leverage is not None:
        cons.append(cp.norm1(w) <= leverage)
    solve(cp.Problem(cp.Minimize(cp.quad_form(w, cov)), cons))
    got = A.optimize_min_variance(r, bounds=bounds, leverage=leverage)
    np.testing.assert_allclose(got, w.value, atol=WEIGHT_TOL)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    assert (got >= bounds[0] - 1e-12).all() and (got <= bounds[1] + 1e-12).all()
    if leverage is not None:
        assert np.abs(got).sum() <= leverage + 1e-9


def test_min_variance_per_asset_bounds_and_shrinkage(data, stock_returns, cp):
    r, _, _ = data
    n = r.shape[1]
    lo = np.zeros(n)
    hi = np.full(n, 0.2)
    hi[0] = 0.01
    cov = A.covariance_matrix(r, "ledoit_wolf")
    w = cp.Variable(n)
    solve(cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1, w >= lo, w <= hi]))
    got = A.optimize_min_variance(
        stock_returns, bounds=np.column_stack([lo, hi]), covariance="ledoit_wolf"
    )
    assert isinstance(got, pd.Series)
    assert list(got.index) == list(stock_returns.columns)
    np.testing.assert_allclose(got.to_numpy(), w.value, atol=WEIGHT_TOL)


@pytest.mark.parametrize(
    ("rf", "bounds", "leverage"),
    [(0.0, (0.0, 1.0), None), (2e-4, (0.0, 0.25), None), (1e-4, (-0.1, 0.25), 1.6)],
)
def test_max_sharpe_matches_cvxpy(data, rf, bounds, leverage, cp):
    r, cov, mu = data
    n = r.shape[1]
    y, k = cp.Variable(n), cp.Variable()
    cons = [(mu - rf) @ y == 1, cp.sum(y) == k, y >= bounds[0] * k, y <= bounds[1] * k, k >= 0]
    if leverage is not None:
        cons.append(cp.norm1(y) <= leverage * k)
    solve(cp.Problem(cp.Minimize(cp.quad_form(y, cov)), cons))
    got = A.optimize_max_sharpe(r, risk_free_rate=rf, bounds=bounds, leverage=leverage)
    np.testing.assert_allclose(got, y.value / k.value, atol=WEIGHT_TOL)
    sharpe = lambda w: (mu @ w - rf) / np.sqrt(w @ cov @ w)  # noqa: E731
    assert sharpe(got) >= sharpe(np.full(n, 1.0 / n))


def test_weights_as_dict_when_symbols_are_given(data, stock_returns):
    r, _, _ = data
    symbols = list(stock_returns.columns)
    got = A.optimize_max_sharpe(r, symbols)
    assert isinstance(got, dict)
    assert list(got) == symbols
    np.testing.assert_allclose(list(got.values()), A.optimize_max_sharpe(r), atol=1e-12)


def test_risk_parity_equalises_contributions_and_matches_cvxpy(data, cp):
    r, cov, _ = data
    n = r.shape[1]
    w = A.optimize_risk_parity(r)
    rc = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(rc, 1.0 / n, atol=1e-6)
    y = cp.Variable(n)
    solve(cp.Problem(cp.Minimize(0.5 * cp.quad_form(y, cov) - cp.sum(cp.log(y)) / n)))
    np.testing.assert_allclose(w, y.value / y.value.sum(), atol=WEIGHT_TOL)


def test_risk_budgets_set_the_contributions(data):
    r, cov, _ = data
    budgets = np.arange(1, r.shape[1] + 1, dtype=float)
    w = A.optimize_risk_parity(r, budgets=budgets)
    rc = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(rc, budgets / budgets.sum(), atol=1e-6)


@pytest.mark.parametrize("linkage", ["single", "complete", "average", "ward"])
def test_hrp_matches_pypfopt(stock_returns, linkage):
    pypfopt = pytest.importorskip("pypfopt")
    ref = pypfopt.HRPOpt(stock_returns).optimize(linkage_method=linkage)
    got = A.optimize_hrp(stock_returns.to_numpy(), list(stock_returns.columns), linkage=linkage)
    assert set(got) == set(ref)
    for s in ref:
        assert got[s] == pytest.approx(ref[s], abs=1e-12)


@pytest.mark.parametrize("alpha", [0.9, 0.95])
@pytest.mark.parametrize(("bounds", "leverage"), [((0.0, 1.0), None), ((-0.2, 0.4), 1.4)])
def test_min_cvar_matches_cvxpy(data, alpha, bounds, leverage, cp):
    r, _, _ = data
    t, n = r.shape
    w, zeta, u = cp.Variable(n), cp.Variable(), cp.Variable(t)
    cons = [u >= -r @ w - zeta, u >= 0, cp.sum(w) == 1, w >= bounds[0], w <= bounds[1]]
    if leverage is not None:
        cons.append(cp.norm1(w) <= leverage)
    solve(cp.Problem(cp.Minimize(zeta + cp.sum(u) / ((1 - alpha) * t)), cons))
    got = A.optimize_cvar(r, alpha=alpha, bounds=bounds, leverage=leverage)
    np.testing.assert_allclose(got, w.value, atol=WEIGHT_TOL)


@pytest.mark.parametrize("alpha", [0.9, 0.95])
def test_min_cdar_matches_cvxpy(data, alpha, cp):
    r, _, _ = data
    t, n = r.shape
    w, zeta, u, z = cp.Variable(n), cp.Variable(), cp.Variable(t + 1), cp.Variable(t)
    cons = [
        z >= u[1:] - zeta, z >= 0, u[1:] >= u[:-1] - r @ w, u[0] == 0, u[1:] >= 0,
        cp.sum(w) == 1, w >= 0,
    ]  # fmt: skip
    solve(cp.Problem(cp.Minimize(zeta + cp.sum(z) / ((1 - alpha) * t)), cons))
    got = A.optimize_cdar(r, alpha=alpha)
    np.testing.assert_allclose(got, w.value, atol=WEIGHT_TOL)


@pytest.mark.parametrize("drawdown", [False, True])
def test_highs_fallback_gives_the_same_weights(data, monkeypatch, drawdown):
    # when the block interior point does not converge, HiGHS solves the same program
    import tickbook.analytics._lp as lp

    r, _, _ = data
    optimize = A.optimize_cdar if drawdown else A.optimize_cvar
    kwargs = {} if drawdown else {"bounds": (-0.2, 0.6), "leverage": 1.6}
    expected = optimize(r, alpha=0.95, **kwargs)
    real = lp.solve_block_lp
    calls = []

    def one_step(*args, **options):
        calls.append(1)
        return real(*args, **{**options, "max_iter": 1})

    monkeypatch.setattr(lp, "solve_block_lp", one_step)
    got = optimize(r, alpha=0.95, **kwargs)
    assert calls, "the block solver was not tried first"
    np.testing.assert_allclose(got, expected, atol=WEIGHT_TOL)


def test_ledoit_wolf_equals_scikit_learn(data, stock_returns):
    sklearn = pytest.importorskip("sklearn.covariance")
    r, _, _ = data
    ref, shrink = sklearn.ledoit_wolf(r)
    got = A.covariance_matrix(r, "ledoit_wolf")
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-18)
    assert A._covariance.ledoit_wolf(r)[1] == pytest.approx(shrink, rel=1e-12)
    frame = A.covariance_matrix(stock_returns)
    pd.testing.assert_frame_equal(frame, stock_returns.cov())


# -- degenerate and infeasible input -------------------------------------------------------


def test_singular_covariance_is_refused(data):
    r, _, _ = data
    twin = np.column_stack([r[:, :5], r[:, 0] + r[:, 1]])
    for optimize in (A.optimize_min_variance, A.optimize_max_sharpe, A.optimize_risk_parity):
        with pytest.raises(ValidationError) as err:
            optimize(twin)
        assert err.value.field == "returns"
        assert "singular" in str(err.value)
    assert A.optimize_min_variance(twin, covariance="ledoit_wolf").sum() == pytest.approx(1.0)


def test_too_few_observations_are_refused(data):
    r, _, _ = data
    with pytest.raises(ValidationError) as err:
        A.optimize_min_variance(r[:15])
    assert err.value.field == "returns"
    assert err.value.value == 15
    with pytest.raises(ValidationError):
        A.optimize_cvar(r[:10], alpha=0.95)
    with pytest.raises(ValidationError):
        A.optimize_hrp(r[:1])


@pytest.mark.parametrize(
    "optimize",
    [
        A.optimize_min_variance, A.optimize_max_sharpe, A.optimize_risk_parity, A.optimize_hrp,
        A.optimize_cvar, A.optimize_cdar,
    ],
)  # fmt: skip
def test_nan_and_bad_shapes_are_refused(data, optimize):
    r, _, _ = data
    bad = r.copy()
    bad[10, 3] = np.nan
    with pytest.raises(ValidationError) as err:
        optimize(bad)
    assert err.value.field == "returns"
    assert "row 10, column 3" in str(err.value)
    with pytest.raises(ValidationError):
        optimize(r[:, 0])
    with pytest.raises(ValidationError) as err:
        optimize(r, ["A", "B"])
    assert err.value.field == "symbols"


def test_flat_asset_is_refused(data):
    r, _, _ = data
    flat = r.copy()
    flat[:, 2] = 0.001
    for optimize in (A.optimize_min_variance, A.optimize_hrp):
        with pytest.raises(ValidationError) as err:
            optimize(flat)
        assert "flat" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bounds": (0.0, 0.01)}, "bounds"),
        ({"bounds": (0.1, 1.0)}, "bounds"),
        ({"bounds": (0.5, 0.2)}, "bounds"),
        ({"bounds": (0.0, 1.0, 2.0)}, "bounds"),
        ({"bounds": (-1.0, 1.0), "leverage": 0.5}, "leverage"),
        ({"covariance": "exotic"}, "covariance"),
    ],
)
def test_infeasible_or_bad_constraints_are_refused(data, kwargs, field):
    r, _, _ = data
    with pytest.raises(ValidationError) as err:
        A.optimize_min_variance(r, **kwargs)
    assert err.value.field == field


def test_max_sharpe_needs_a_portfolio_above_the_risk_free_rate(data):
    r, _, _ = data
    with pytest.raises(ValidationError) as err:
        A.optimize_max_sharpe(r, risk_free_rate=0.01)
    assert err.value.field == "risk_free_rate"


def test_bad_risk_budgets_and_alpha_are_refused(data):
    r, _, _ = data
    with pytest.raises(ValidationError) as err:
        A.optimize_risk_parity(r, budgets=[1.0, -1.0])
    assert err.value.field == "budgets"
    for alpha in (0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(ValidationError) as err:
            A.optimize_cvar(r, alpha=alpha)
        assert err.value.field == "alpha"
    with pytest.raises(ValidationError) as err:
        A.optimize_hrp(r, linkage="nearest")
    assert err.value.field == "linkage"
