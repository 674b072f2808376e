"""GARCH(1,1) maximum likelihood against the arch package on real S&P 500 returns."""

import math

import numpy as np
import pytest

import tickbook.analytics as A
from tickbook.core import DataError, ValidationError


@pytest.fixture(scope="module")
def arch():
    """The peer arch: only the tests that compare with it skip without it."""
    return pytest.importorskip("arch")


@pytest.fixture(scope="module")
def returns(index_prices):
    """S&P 500 daily log returns in percent, 2013-2022 (2,520 days)."""
    return 100.0 * np.diff(np.log(index_prices.to_numpy()))[-2520:]


@pytest.mark.parametrize("dist", ["normal", "t"])
@pytest.mark.parametrize("mean", ["constant", "zero"])
def test_parameters_and_forecasts_match_arch(returns, dist, mean, arch):
    fit = A.fit_garch(returns, dist=dist, mean=mean)
    model = arch.arch_model(
        returns, mean="Constant" if mean == "constant" else "Zero", vol="GARCH", p=1, q=1,
        dist="normal" if dist == "normal" else "t",
    )  # fmt: skip
    ref = model.fit(disp="off")
    names = (["mu"] if mean == "constant" else []) + ["omega", "alpha[1]", "beta[1]"]
    mine = [fit.mu, fit.omega, fit.alpha, fit.beta][4 - len(names) :]
    if dist == "t":
        names.append("nu")
        mine.append(fit.nu)
    for name, value in zip(names, mine, strict=True):
        assert abs(value - ref.params[name]) < 1e-3, name
    assert fit.loglikelihood == pytest.approx(ref.loglikelihood, abs=1e-4)
    want = ref.forecast(horizon=20, reindex=False).variance.to_numpy()[-1]
    np.testing.assert_allclose(fit.forecast(20), want, rtol=0.01)
    np.testing.assert_allclose(fit.conditional_volatility, ref.conditional_volatility, rtol=0.01)


def test_scale_of_the_returns_does_not_matter(returns):
    pct = A.fit_garch(returns)
    frac = A.fit_garch(returns / 100.0)
    assert frac.alpha == pytest.approx(pct.alpha, abs=1e-6)
    assert frac.beta == pytest.approx(pct.beta, abs=1e-6)
    assert frac.omega == pytest.approx(pct.omega / 1e4, rel=1e-4)
    assert frac.mu == pytest.approx(pct.mu / 100.0, rel=1e-4)
    np.testing.assert_allclose(frac.forecast(5), pct.forecast(5) / 1e4, rtol=1e-4)


def test_forecast_converges_to_the_long_run_variance(returns):
    fit = A.fit_garch(returns)
    far = fit.forecast(5000)
    assert 0 < fit.persistence < 1
    assert far[-1] == pytest.approx(fit.unconditional_variance, rel=1e-6)
    steps = np.diff(far)
    assert (np.sign(steps) * np.sign(steps[0]) >= 0).all()  # a monotone approach
    np.testing.assert_allclose(A.garch_forecast(returns, 3), fit.forecast(3), rtol=1e-12)


def test_student_t_fits_fat_tails_better(returns):
    normal = A.fit_garch(returns)
    student = A.fit_garch(returns, dist="t")
    assert student.loglikelihood > normal.loglikelihood
    assert 2.05 < student.nu < 30
    assert normal.nu is None


@pytest.mark.parametrize(
    ("returns", "kwargs", "field"),
    [
        (np.zeros(10), {}, "returns"),
        (np.r_[np.ones(50), np.nan], {}, "returns"),
        (np.ones((40, 2)), {}, "returns"),
        (np.linspace(-1, 1, 100), {"dist": "cauchy"}, "dist"),
        (np.linspace(-1, 1, 100), {"mean": "ar"}, "mean"),
    ],
)
def test_bad_input_is_refused(returns, kwargs, field):
    with pytest.raises(ValidationError) as err:
        A.fit_garch(returns, **kwargs)
    assert err.value.field == field


def test_constant_returns_are_a_data_error():
    with pytest.raises(DataError):
        A.fit_garch(np.full(100, 0.5))


def test_bad_horizon_is_refused(returns):
    fit = A.fit_garch(returns[:200])
    for h in (0, -1, 1.5, "2"):
        with pytest.raises(ValidationError) as err:
            fit.forecast(h)
        assert err.value.field == "horizon"
    assert math.isfinite(fit.forecast(1)[0])
