"""Realized volatility estimators and EWMA volatility on real prices."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tickbook.analytics as A
from tickbook.core import ValidationError

METHODS = ("close_to_close", "parkinson", "garman_klass", "yang_zhang")


def _reference(o, h, lo, c, method):
    """The textbook formulas, written out with numpy over one sample."""
    if method == "close_to_close":
        return np.diff(np.log(c)).std(ddof=1)
    hl = np.log(h / lo) ** 2
    if method == "parkinson":
        return math.sqrt(hl.mean() / (4 * math.log(2)))
    if method == "garman_klass":
        co = np.log(c / o) ** 2
        return math.sqrt(np.mean(0.5 * hl - (2 * math.log(2) - 1) * co))
    ov = np.log(o[1:] / c[:-1])
    oc = np.log(c[1:] / o[1:])
    rs = np.log(h[1:] / c[1:]) * np.log(h[1:] / o[1:]) + np.log(lo[1:] / c[1:]) * np.log(
        lo[1:] / o[1:]
    )
    m = ov.shape[0]
    k = 0.34 / (1.34 + (m + 1) / (m - 1))
    return math.sqrt(ov.var(ddof=1) + k * oc.var(ddof=1) + (1 - k) * rs.mean())


@pytest.mark.parametrize("method", METHODS)
def test_whole_sample_matches_nanobook_and_the_formula(orcl, method):
    nanobook = pytest.importorskip("nanobook")
    args = (orcl.open, orcl.high, orcl.low, orcl.close)
    got = A.realized_volatility(*args, method=method)
    assert got == pytest.approx(nanobook.realized_vol(*args, method), rel=1e-12)
    assert got == pytest.approx(_reference(*args, method), rel=1e-12)
    annual = A.realized_volatility(*args, method=method, periods_per_year=252)
    assert annual == pytest.approx(got * math.sqrt(252), rel=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_rolling_value_is_the_estimate_over_its_window(orcl, method):
    args = [a[:400] for a in (orcl.open, orcl.high, orcl.low, orcl.close)]
    out = A.realized_volatility(*args, method=method, window=21)
    assert np.isnan(out[:20]).all()
    for t in (20, 21, 150, 399):
        window = [a[t - 20 : t + 1] for a in args]
        assert out[t] == pytest.approx(_reference(*window, method), rel=1e-10)


def test_panels_and_pandas(ohlcv_panel, orcl):
    args = (ohlcv_panel.open, ohlcv_panel.high, ohlcv_panel.low, ohlcv_panel.close)
    per_symbol = A.realized_volatility(*args, method="parkinson")
    assert per_symbol.shape == (3,)
    for j in range(3):
        col = [np.ascontiguousarray(a[:, j]) for a in args]
        assert per_symbol[j] == pytest.approx(A.realized_volatility(*col, method="parkinson"))
    rolling = A.realized_volatility(*args, window=10)
    assert rolling.shape == ohlcv_panel.close.shape
    f = orcl.frame
    s = A.realized_volatility(f["Open"], f["High"], f["Low"], f["Close"], window=10)
    assert isinstance(s, pd.Series)
    assert s.index.equals(f.index)


def test_bad_bars_are_refused(orcl):
    o, h, lo, c = (a[:50].copy() for a in (orcl.open, orcl.high, orcl.low, orcl.close))
    lo[7] = h[7] + 1.0
    with pytest.raises(ValidationError) as err:
        A.realized_volatility(o, h, lo, c)
    assert err.value.field == "high"
    c2 = c.copy()
    c2[3] = -1.0
    with pytest.raises(ValidationError) as err:
        A.realized_volatility(o, h, h, c2)
    assert err.value.field == "close"
    with pytest.raises(ValidationError) as err:
        A.realized_volatility(o, h, h, c, method="garch")
    assert err.value.field == "method"
    with pytest.raises(ValidationError) as err:
        A.realized_volatility(o, h, h, c, window=2)
    assert err.value.field == "window"
    with pytest.raises(ValidationError):
        A.realized_volatility(o[:2], h[:2], h[:2], c[:2])


def test_ewma_volatility_matches_arch(index_prices):
    arch = pytest.importorskip("arch.univariate")
    r = 100 * np.diff(np.log(index_prices.to_numpy()))[-2000:]
    model = arch.ZeroMean(r)
    model.volatility = arch.EWMAVariance(0.94)
    ref = model.fit(disp="off").conditional_volatility
    np.testing.assert_allclose(A.ewma_volatility(r), ref, rtol=1e-12)
    model.volatility = arch.EWMAVariance(0.97)
    ref = model.fit(disp="off").conditional_volatility
    np.testing.assert_allclose(A.ewma_volatility(r, lam=0.97), ref, rtol=1e-12)


def test_ewma_volatility_per_column(stock_returns):
    panel = A.ewma_volatility(stock_returns)
    assert isinstance(panel, pd.DataFrame)
    one = A.ewma_volatility(stock_returns["AAPL"].to_numpy())
    np.testing.assert_allclose(panel["AAPL"].to_numpy(), one, rtol=1e-15)


@given(lam=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0), st.just(math.nan)))
@settings(max_examples=30, deadline=None)
def test_ewma_refuses_lambdas_outside_zero_one(lam):
    with pytest.raises(ValidationError) as err:
        A.ewma_volatility(np.array([0.01, -0.02, 0.005]), lam=lam)
    assert err.value.field == "lam"
