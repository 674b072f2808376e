import math

import numpy as np
import pytest

from tickbook.core import ValidationError
from tickbook.portfolio import (
    compute_metrics,
    deflated_sharpe_ratio,
    drawdown_series,
)


@pytest.fixture(scope="module")
def nanobook():
    """The peer nanobook: only the tests that compare with it skip without it."""
    return pytest.importorskip("nanobook")


SHARED = [
    "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
    "num_periods", "winning_periods", "losing_periods", "win_rate", "profit_factor", "cvar_95",
]  # fmt: skip


def _returns(seed, n, mu=0.0004, sigma=0.012):
    rng = np.random.default_rng(seed)
    r = rng.normal(mu, sigma, n)
    r[rng.random(n) < 0.02] = 0.0  # flat periods count as neither wins nor losses
    return r


@pytest.mark.parametrize(
    ("seed", "n", "ppy", "rf"),
    [(1, 500, 252.0, 0.0), (2, 101, 12.0, 0.001), (3, 2520, 252.0, 0.0001), (4, 37, 52.0, -0.0002)],
)
def test_metrics_agree_with_nanobook_to_1e9(seed, n, ppy, rf, nanobook):
    r = _returns(seed, n)
    ours = compute_metrics(r, ppy, rf)
    theirs = nanobook.py_compute_metrics(r.tolist(), ppy, rf)
    for name in SHARED:
        assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-9, abs=1e-12), (
            name
        )


def test_metrics_definitions_by_hand():
    r = np.array([0.1, -0.05, 0.02, 0.0, -0.01])
    m = compute_metrics(r, 12.0, 0.0)
    equity = np.cumprod(1 + r)
    assert m.total_return == pytest.approx(equity[-1] - 1)
    assert m.cagr == pytest.approx(equity[-1] ** (12 / 5) - 1)
    assert m.volatility == pytest.approx(r.std(ddof=1) * math.sqrt(12))
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(12))
    assert m.sortino == pytest.approx(
        r.mean() / math.sqrt((np.minimum(r, 0) ** 2).mean()) * math.sqrt(12)
    )
    assert m.max_drawdown == pytest.approx(1 - equity[1] / equity[0])  # 1.10 -> 1.045
    assert (m.winning_periods, m.losing_periods, m.win_rate) == (2, 2, 0.4)
    assert m.profit_factor == pytest.approx(0.12 / 0.06)
    assert m.var_95 == m.cvar_95 == -0.05  # ceil(0.05 * 5) = 1 worst return
    d = r - r.mean()
    assert m.skew == pytest.approx((d**3).mean() / (d**2).mean() ** 1.5)
    assert m.kurtosis == pytest.approx((d**4).mean() / (d**2).mean() ** 2 - 3)


def test_var_and_cvar_use_the_worst_five_percent():
    r = np.linspace(-0.05, 0.05, 101)  # ceil(5.05) = 6 worst
    m = compute_metrics(r)
    assert m.var_95 == pytest.approx(r[5])
    assert m.cvar_95 == pytest.approx(r[:6].mean())


def test_different_definitions_are_named(nanobook):
    # Each case where tickbook and nanobook differ, on purpose:
    # 1. a ratio whose denominator is zero: tickbook inf or nan, nanobook 0.0
    up = [0.01, 0.02, 0.03]
    ours, theirs = compute_metrics(up), nanobook.py_compute_metrics(up, 252.0, 0.0)
    assert ours.sortino == math.inf and theirs.sortino == 0.0  # no downside
    assert ours.calmar == math.inf and theirs.calmar == 0.0  # no drawdown
    assert ours.profit_factor == theirs.profit_factor == math.inf
    flat = [0.0, 0.0]
    ours, theirs = compute_metrics(flat), nanobook.py_compute_metrics(flat, 252.0, 0.0)
    assert math.isnan(ours.sharpe) and theirs.sharpe == 0.0  # no volatility
    assert math.isnan(ours.profit_factor) and theirs.profit_factor == 0.0
    # 2. one period: the sample volatility is undefined (nanobook 0.0)
    ours, theirs = compute_metrics([0.01]), nanobook.py_compute_metrics([0.01], 252.0, 0.0)
    assert math.isnan(ours.volatility) and theirs.volatility == 0.0
    # 3. deflated Sharpe: tickbook's is a probability that uses the sample length; nanobook's
    #    takes no length and returns the Sharpe ratio itself for one trial
    assert nanobook.py_deflated_sharpe(1.5, 1, 0.0, 3.0) == 1.5
    assert 0.0 <= compute_metrics(_returns(1, 500)).deflated_sharpe <= 1.0
    # 4. nanobook's payoff_ratio and kelly are not part of tickbook's Metrics; tickbook adds
    #    var_95, skew, kurtosis and deflated_sharpe
    assert not hasattr(ours, "kelly")


def test_deflated_sharpe_follows_bailey_and_lopez_de_prado():
    from statistics import NormalDist

    r = _returns(7, 1000, mu=0.001)
    x = r - r.mean()
    sr = r.mean() / r.std(ddof=1)
    g3 = (x**3).mean() / (x**2).mean() ** 1.5
    g4 = (x**4).mean() / (x**2).mean() ** 2
    var = (1 - g3 * sr + (g4 - 1) / 4 * sr**2) / (len(r) - 1)
    psr = NormalDist().cdf(sr / math.sqrt(var))
    assert deflated_sharpe_ratio(r) == pytest.approx(psr)
    assert compute_metrics(r).deflated_sharpe == pytest.approx(psr)
    n = 50
    gamma = 0.5772156649015329
    z = NormalDist().inv_cdf
    sr0 = math.sqrt(var) * ((1 - gamma) * z(1 - 1 / n) + gamma * z(1 - 1 / (n * math.e)))
    expected = NormalDist().cdf((sr - sr0) / math.sqrt(var))
    assert deflated_sharpe_ratio(r, n_trials=n) == pytest.approx(expected)
    assert deflated_sharpe_ratio(r, n_trials=n) < deflated_sharpe_ratio(r)
    assert math.isnan(deflated_sharpe_ratio([0.01, 0.02]))


def test_drawdown_series():
    dd = drawdown_series([0.1, -0.5, 0.2, 1.0])
    assert dd == pytest.approx([0.0, -0.5, -0.4, 0.0])


def test_empty_returns_give_none_and_bad_input_is_refused():
    assert compute_metrics([]) is None
    for args, field in [
        (([0.1, float("nan")],), "returns"),
        (([[0.1]],), "returns"),
        (([0.1], 0), "periods_per_year"),
        (([0.1], 252, float("inf")), "risk_free"),
    ]:
        with pytest.raises(ValidationError) as info:
            compute_metrics(*args)
        assert info.value.field == field
