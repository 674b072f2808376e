"""VaR, CVaR, beta, correlation and stress tests on real returns."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import tickbook.analytics as A
from tickbook.core import ValidationError


@pytest.fixture(scope="module")
def data(stock_returns):
    r = stock_returns.to_numpy()
    w = np.full(r.shape[1], 1.0 / r.shape[1])
    return r, w, r @ w


@pytest.mark.parametrize("alpha", [0.9, 0.95, 0.99])
def test_historical_matches_vectorbt(data, alpha):
    nb = pytest.importorskip("vectorbt.returns.nb")
    r, w, p = data
    assert A.value_at_risk(p, alpha) == pytest.approx(-nb.value_at_risk_1d_nb(p, 1 - alpha))
    cvar = -nb.cond_value_at_risk_1d_nb(p, 1 - alpha)
    assert A.conditional_value_at_risk(p, alpha) == pytest.approx(cvar, rel=1e-12)
    assert A.value_at_risk(r, alpha, weights=w) == pytest.approx(A.value_at_risk(p, alpha))
    per_asset = A.value_at_risk(r, alpha)
    np.testing.assert_allclose(per_asset, -nb.value_at_risk_nb(r, 1 - alpha), rtol=1e-12)


def test_parametric_normal_is_the_closed_form(data):
    _, _, p = data
    mu, sd = p.mean(), p.std(ddof=1)
    z = stats.norm.ppf(0.05)
    assert A.value_at_risk(p, method="normal") == pytest.approx(-(mu + sd * z), rel=1e-12)
    es = -(mu - sd * stats.norm.pdf(z) / 0.05)
    assert A.conditional_value_at_risk(p, method="normal") == pytest.approx(es, rel=1e-12)


def test_cornish_fisher_quantile_and_its_tail_mean(data):
    _, _, p = data
    mu, sd = p.mean(), p.std(ddof=1)
    s, k = stats.skew(p), stats.kurtosis(p)

    def q(prob):
        z = stats.norm.ppf(prob)
        zcf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
        return mu + sd * zcf

    assert A.value_at_risk(p, 0.99, method="cornish_fisher") == pytest.approx(-q(0.01), rel=1e-12)
    tail, _ = integrate.quad(q, 0.0, 0.01, limit=200)
    got = A.conditional_value_at_risk(p, 0.99, method="cornish_fisher")
    assert got == pytest.approx(-tail / 0.01, rel=1e-6)


def test_monte_carlo_normal_is_seeded_and_converges(data):
    r, w, _ = data
    kw = {"method": "monte_carlo", "weights": w, "n_sims": 200_000}
    first = A.value_at_risk(r, seed=7, **kw)
    assert first == A.value_at_risk(r, seed=7, **kw)
    assert first != A.value_at_risk(r, seed=8, **kw)
    mu = r.mean(axis=0) @ w
    sd = math.sqrt(w @ np.cov(r, rowvar=False) @ w)
    exact = -(mu + sd * stats.norm.ppf(0.05))
    assert first == pytest.approx(exact, rel=0.01)
    es = -(mu - sd * stats.norm.pdf(stats.norm.ppf(0.05)) / 0.05)
    assert A.conditional_value_at_risk(r, seed=7, **kw) == pytest.approx(es, rel=0.01)


def test_monte_carlo_student_t_matches_the_t_quantile(data):
    r, w, _ = data
    nu = 4.0
    got = A.value_at_risk(r, 0.99, method="monte_carlo", weights=w, dist="t", dof=nu,
                          n_sims=400_000, seed=3)  # fmt: skip
    mu = r.mean(axis=0) @ w
    sd = math.sqrt(w @ np.cov(r, rowvar=False) @ w)
    exact = -(mu + sd * math.sqrt((nu - 2) / nu) * stats.t.ppf(0.01, nu))
    assert got == pytest.approx(exact, rel=0.02)
    normal = A.value_at_risk(r, 0.99, method="monte_carlo", weights=w, n_sims=400_000, seed=3)
    assert got > normal  # fatter tails, larger far-tail loss


def test_portfolio_beta_matches_vectorbt(stock_returns, index_prices, data):
    nb = pytest.importorskip("vectorbt.returns.nb")
    r, w, p = data
    bench = index_prices.pct_change().loc[stock_returns.index].to_numpy()
    beta = A.portfolio_beta(r, bench, w)
    assert beta == pytest.approx(nb.beta_1d_nb(p, bench), rel=1e-12)
    per_asset = A.portfolio_beta(stock_returns, bench)
    assert per_asset @ w == pytest.approx(beta, rel=1e-12)
    assert A.portfolio_beta(bench, bench) == pytest.approx(1.0)


def test_correlation_matches_pandas(stock_returns):
    for method in ("pearson", "spearman"):
        got = A.correlation_matrix(stock_returns, method)
        pd.testing.assert_frame_equal(got, stock_returns.corr(method=method), atol=1e-12)
    plain = A.correlation_matrix(stock_returns.to_numpy())
    assert isinstance(plain, np.ndarray)
    np.testing.assert_allclose(np.diag(plain), 1.0)


def test_stress_test_reports_loss_per_position():
    positions = {"AAPL": 100_000_00, "XOM": 50_000_00, "SPY": -20_000_00}
    scenarios = {
        "crash": {"*": -0.30, "XOM": -0.10},
        "oil spike": {"XOM": 0.20, "UNHELD": -0.5},
    }
    report = A.stress_test(positions, scenarios)
    assert report.loss("crash") == {"AAPL": 30_000_00, "XOM": 5_000_00, "SPY": -6_000_00}
    assert report.loss("oil spike") == {"AAPL": 0.0, "XOM": -10_000_00, "SPY": 0.0}
    np.testing.assert_array_equal(report.total, [29_000_00, -10_000_00])
    assert report.worst == "crash"
    frame = report.to_frame()
    assert list(frame.columns) == ["AAPL", "XOM", "SPY", "total"]
    assert frame.loc["crash", "total"] == 29_000_00


@pytest.mark.parametrize(
    ("positions", "scenarios", "field"),
    [
        ({}, {"a": {"X": -0.1}}, "positions"),
        ({"X": 1.0}, {}, "scenarios"),
        ({"X": float("nan")}, {"a": {"X": -0.1}}, "positions[X]"),
        ({"X": 1.0}, {"a": {"X": -1.5}}, "scenarios[a][X]"),
        ({"X": 1.0}, {"a": -0.1}, "scenarios[a]"),
    ],
)
def test_bad_stress_input_is_refused(positions, scenarios, field):
    with pytest.raises(ValidationError) as err:
        A.stress_test(positions, scenarios)
    assert err.value.field == field
    report = A.stress_test({"X": 1.0}, {"a": {"X": -0.1}})
    with pytest.raises(ValidationError):
        report.loss("b")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": 0.0}, "alpha"),
        ({"method": "garch"}, "method"),
        ({"method": "monte_carlo", "n_sims": 10}, "n_sims"),
        ({"method": "monte_carlo", "seed": -1}, "seed"),
        ({"method": "monte_carlo", "dist": "t", "dof": 2.0}, "dof"),
        ({"method": "monte_carlo", "dist": "cauchy"}, "dist"),
        ({"weights": [1.0, 2.0]}, "weights"),
    ],
)
def test_bad_risk_arguments_are_refused(data, kwargs, field):
    r, _, _ = data
    with pytest.raises(ValidationError) as err:
        A.value_at_risk(r, **kwargs)
    assert err.value.field == field


def test_nan_returns_are_refused(data):
    _, _, p = data
    bad = p.copy()
    bad[5] = np.nan
    with pytest.raises(ValidationError) as err:
        A.conditional_value_at_risk(bad)
    assert err.value.field == "returns"
    with pytest.raises(ValidationError) as err:
        A.portfolio_beta(p, p[:-1])
    assert err.value.field == "benchmark"
