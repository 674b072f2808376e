"""Indicators against TA-Lib on real daily prices, panels, pandas, and refused input."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

import tickbook.analytics as A
from tickbook.core import ValidationError

TOL = 1e-9


def assert_matches(mine, ref, scale=None):
    """NaN exactly where TA-Lib has none; elsewhere within 1e-9 (relative above 1)."""
    mine, ref = np.asarray(mine, dtype=float), np.asarray(ref, dtype=float)
    assert mine.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(ref))
    ok = ~np.isnan(ref)
    size = np.maximum(1.0, np.abs(ref[ok])) if scale is None else scale
    err = np.abs(mine[ok] - ref[ok]) / size
    assert err.max(initial=0.0) <= TOL, f"max scaled error {err.max():.3g}"


def ad_scale(d):
    # A/D values are sums of volumes (~1e9): compare at 1e-9 of that size
    return np.abs(talib.AD(d.high, d.low, d.close, d.volume)).max()


# (id, tickbook, TA-Lib, error scale) for every indicator and a spread of parameters
CASES = [
    ("sma-1", lambda d: A.sma(d.close, 1), lambda d: talib.SMA(d.close, 1), None),
    ("sma-20", lambda d: A.sma(d.close, 20), lambda d: talib.SMA(d.close, 20), None),
    ("sma-200", lambda d: A.sma(d.close, 200), lambda d: talib.SMA(d.close, 200), None),
    ("ema-2", lambda d: A.ema(d.close, 2), lambda d: talib.EMA(d.close, 2), None),
    ("ema-30", lambda d: A.ema(d.close), lambda d: talib.EMA(d.close, 30), None),
    ("ema-100", lambda d: A.ema(d.close, 100), lambda d: talib.EMA(d.close, 100), None),
    ("wma-1", lambda d: A.wma(d.close, 1), lambda d: talib.WMA(d.close, 1), None),
    ("wma-10", lambda d: A.wma(d.close, 10), lambda d: talib.WMA(d.close, 10), None),
    ("wma-30", lambda d: A.wma(d.close), lambda d: talib.WMA(d.close, 30), None),
    ("rsi-2", lambda d: A.rsi(d.close, 2), lambda d: talib.RSI(d.close, 2), None),
    ("rsi-14", lambda d: A.rsi(d.close), lambda d: talib.RSI(d.close, 14), None),
    ("rsi-50", lambda d: A.rsi(d.close, 50), lambda d: talib.RSI(d.close, 50), None),
    ("macd", lambda d: A.macd(d.close), lambda d: talib.MACD(d.close), None),
    ("macd-5-35-5", lambda d: A.macd(d.close, 5, 35, 5),
     lambda d: talib.MACD(d.close, 5, 35, 5), None),
    ("macd-1sig", lambda d: A.macd(d.close, 3, 10, 1),
     lambda d: talib.MACD(d.close, 3, 10, 1), None),
    ("stoch", lambda d: A.stoch(d.high, d.low, d.close),
     lambda d: talib.STOCH(d.high, d.low, d.close), None),
    ("stoch-14-3-5", lambda d: A.stoch(d.high, d.low, d.close, 14, 3, 5),
     lambda d: talib.STOCH(d.high, d.low, d.close, 14, 3, 0, 5, 0), None),
    ("stoch-1-1-1", lambda d: A.stoch(d.high, d.low, d.close, 1, 1, 1),
     lambda d: talib.STOCH(d.high, d.low, d.close, 1, 1, 0, 1, 0), None),
    ("stochf", lambda d: A.stochf(d.high, d.low, d.close),
     lambda d: talib.STOCHF(d.high, d.low, d.close), None),
    ("stochf-21-4", lambda d: A.stochf(d.high, d.low, d.close, 21, 4),
     lambda d: talib.STOCHF(d.high, d.low, d.close, 21, 4, 0), None),
    ("stochrsi", lambda d: A.stochrsi(d.close), lambda d: talib.STOCHRSI(d.close), None),
    ("stochrsi-14-14-3", lambda d: A.stochrsi(d.close, 14, 14, 3),
     lambda d: talib.STOCHRSI(d.close, 14, 14, 3, 0), None),
    ("trange", lambda d: A.trange(d.high, d.low, d.close),
     lambda d: talib.TRANGE(d.high, d.low, d.close), None),
    ("atr-1", lambda d: A.atr(d.high, d.low, d.close, 1),
     lambda d: talib.ATR(d.high, d.low, d.close, 1), None),
    ("atr-14", lambda d: A.atr(d.high, d.low, d.close),
     lambda d: talib.ATR(d.high, d.low, d.close, 14), None),
    ("natr-14", lambda d: A.natr(d.high, d.low, d.close),
     lambda d: talib.NATR(d.high, d.low, d.close, 14), None),
    ("natr-30", lambda d: A.natr(d.high, d.low, d.close, 30),
     lambda d: talib.NATR(d.high, d.low, d.close, 30), None),
    ("bbands-20", lambda d: A.bbands(d.close), lambda d: talib.BBANDS(d.close, 20, 2.0, 2.0), None),
    ("bbands-5-1.5-2.5", lambda d: A.bbands(d.close, 5, 1.5, 2.5),
     lambda d: talib.BBANDS(d.close, 5, 1.5, 2.5), None),
    ("bbands-2-1-1", lambda d: A.bbands(d.close, 2, 1.0, 1.0),
     lambda d: talib.BBANDS(d.close, 2, 1.0, 1.0), None),
    ("obv", lambda d: A.obv(d.close, d.volume), lambda d: talib.OBV(d.close, d.volume), None),
    ("adx-14", lambda d: A.adx(d.high, d.low, d.close),
     lambda d: talib.ADX(d.high, d.low, d.close, 14), None),
    ("adx-5", lambda d: A.adx(d.high, d.low, d.close, 5),
     lambda d: talib.ADX(d.high, d.low, d.close, 5), None),
    ("dx-14", lambda d: A.dx(d.high, d.low, d.close),
     lambda d: talib.DX(d.high, d.low, d.close, 14), None),
    ("plus_di", lambda d: A.plus_di(d.high, d.low, d.close),
     lambda d: talib.PLUS_DI(d.high, d.low, d.close, 14), None),
    ("minus_di", lambda d: A.minus_di(d.high, d.low, d.close, 9),
     lambda d: talib.MINUS_DI(d.high, d.low, d.close, 9), None),
    ("cci-14", lambda d: A.cci(d.high, d.low, d.close),
     lambda d: talib.CCI(d.high, d.low, d.close, 14), None),
    ("cci-40", lambda d: A.cci(d.high, d.low, d.close, 40),
     lambda d: talib.CCI(d.high, d.low, d.close, 40), None),
    ("roc", lambda d: A.roc(d.close), lambda d: talib.ROC(d.close, 10), None),
    ("rocp-1", lambda d: A.rocp(d.close, 1), lambda d: talib.ROCP(d.close, 1), None),
    ("rocr-25", lambda d: A.rocr(d.close, 25), lambda d: talib.ROCR(d.close, 25), None),
    ("mom", lambda d: A.mom(d.close), lambda d: talib.MOM(d.close, 10), None),
    ("willr-14", lambda d: A.willr(d.high, d.low, d.close),
     lambda d: talib.WILLR(d.high, d.low, d.close, 14), None),
    ("willr-2", lambda d: A.willr(d.high, d.low, d.close, 2),
     lambda d: talib.WILLR(d.high, d.low, d.close, 2), None),
    ("ultosc", lambda d: A.ultosc(d.high, d.low, d.close),
     lambda d: talib.ULTOSC(d.high, d.low, d.close), None),
    ("ultosc-3-3-40", lambda d: A.ultosc(d.high, d.low, d.close, 3, 3, 40),
     lambda d: talib.ULTOSC(d.high, d.low, d.close, 3, 3, 40), None),
    ("ad", lambda d: A.ad(d.high, d.low, d.close, d.volume),
     lambda d: talib.AD(d.high, d.low, d.close, d.volume), ad_scale),
    ("adosc", lambda d: A.adosc(d.high, d.low, d.close, d.volume),
     lambda d: talib.ADOSC(d.high, d.low, d.close, d.volume), ad_scale),
    ("adosc-10-3", lambda d: A.adosc(d.high, d.low, d.close, d.volume, 10, 3),
     lambda d: talib.ADOSC(d.high, d.low, d.close, d.volume, 10, 3), ad_scale),
]  # fmt: skip


def _parts(x):
    return list(x) if isinstance(x, tuple) else [x]


@pytest.mark.parametrize(
    ("mine", "ref", "scale"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_equals_talib_on_real_prices(orcl, mine, ref, scale):
    got, want = _parts(mine(orcl)), _parts(ref(orcl))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert_matches(g, w, None if scale is None else scale(orcl))


@pytest.mark.parametrize(
    ("mine", "ref", "scale"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_panel_columns_equal_talib_per_symbol(ohlcv_panel, mine, ref, scale):
    got = _parts(mine(ohlcv_panel))
    for j in range(ohlcv_panel.close.shape[1]):
        col = type(ohlcv_panel)(
            **{k: np.ascontiguousarray(getattr(ohlcv_panel, k)[:, j]) for k in
               ("open", "high", "low", "close", "volume")}
        )  # fmt: skip
        for g, w in zip(got, _parts(ref(col)), strict=True):
            assert g.shape == ohlcv_panel.close.shape
            assert_matches(g[:, j], w, None if scale is None else scale(col))


@pytest.mark.parametrize("mine", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_a_symbols_numbers_do_not_depend_on_its_neighbours(ohlcv_panel, mine):
    """Column 0 of a panel whose column 2 lists late equals column 0 alone, bit for bit."""
    panel = type(ohlcv_panel)(
        **{k: getattr(ohlcv_panel, k)[:400].copy() for k in
           ("open", "high", "low", "close", "volume")}
    )  # fmt: skip
    alone = type(ohlcv_panel)(
        **{k: np.ascontiguousarray(getattr(panel, k)[:, 0]) for k in
           ("open", "high", "low", "close", "volume")}
    )  # fmt: skip
    for k in ("open", "high", "low", "close", "volume"):
        getattr(panel, k)[:150, 2] = np.nan
    for g, w in zip(_parts(mine(panel)), _parts(mine(alone)), strict=True):
        np.testing.assert_array_equal(g[:, 0], w)


def test_panel_symbol_listed_late_starts_its_warm_up_there(ohlcv_panel):
    close = ohlcv_panel.close.copy()
    high, low = ohlcv_panel.high.copy(), ohlcv_panel.low.copy()
    for a in (close, high, low):
        a[:300, 1] = np.nan
    got = A.adx(high, low, close, 14)
    ref = talib.ADX(high[300:, 1].copy(), low[300:, 1].copy(), close[300:, 1].copy(), 14)
    assert np.isnan(got[:300, 1]).all()
    assert_matches(got[300:, 1], ref)
    assert_matches(got[:, 0], talib.ADX(high[:, 0].copy(), low[:, 0].copy(), close[:, 0].copy()))
    macd = A.macd(close)
    assert_matches(macd.signal[300:, 1], talib.MACD(close[300:, 1].copy())[1])


def test_pandas_in_gives_pandas_out(orcl):
    close = orcl.frame["Close"]
    out = A.rsi(close)
    assert isinstance(out, pd.Series)
    assert out.index.equals(close.index)
    assert out.name == "Close"
    assert_matches(out.to_numpy(), talib.RSI(orcl.close))
    frame = orcl.frame[["Open", "Close"]]
    bands = A.bbands(frame)
    assert isinstance(bands.upper, pd.DataFrame)
    assert list(bands.upper.columns) == ["Open", "Close"]
    assert bands.upper.index.equals(frame.index)
    assert_matches(bands.lower["Close"].to_numpy(), talib.BBANDS(orcl.close, 20)[2])


def test_lists_and_integer_volumes_are_accepted(orcl):
    close = orcl.close[:60].tolist()
    assert_matches(A.sma(close, 5), talib.SMA(orcl.close[:60], 5))
    volume = orcl.volume[:60].astype(np.int64)
    assert_matches(A.obv(close, volume), talib.OBV(orcl.close[:60], orcl.volume[:60]))


def test_window_longer_than_the_data_gives_no_value(orcl):
    out = A.sma(orcl.close[:10], 50)
    assert out.shape == (10,)
    assert np.isnan(out).all()
    assert np.isnan(A.adx(orcl.high[:20], orcl.low[:20], orcl.close[:20], 14)).all()


def test_empty_series_gives_empty_result():
    assert A.ema(np.array([]), 5).shape == (0,)
    assert A.rsi(np.empty((0, 3))).shape == (0, 3)


def test_flat_prices_follow_talibs_zero_guards():
    flat = np.full(40, 10.0)
    assert_matches(A.rsi(flat), talib.RSI(flat))
    assert_matches(A.willr(flat, flat, flat), talib.WILLR(flat, flat, flat))
    assert_matches(A.stoch(flat, flat, flat).k, talib.STOCH(flat, flat, flat)[0])
    assert_matches(A.cci(flat, flat, flat), talib.CCI(flat, flat, flat))
    assert_matches(A.bbands(flat).upper, talib.BBANDS(flat, 20)[0])
    assert_matches(A.dx(flat, flat, flat), talib.DX(flat, flat, flat))


def test_rolling_volatility_and_sharpe_match_pandas(orcl):
    r = pd.Series(orcl.close).pct_change().iloc[1:].to_numpy()
    s = pd.Series(r)
    vol = s.rolling(20).std().to_numpy() * math.sqrt(252)
    assert_matches(A.rolling_volatility(r, 20), vol)
    sharpe = (s.rolling(63).mean() / s.rolling(63).std()).to_numpy() * math.sqrt(252)
    assert_matches(A.rolling_sharpe(r, 63), sharpe)
    assert_matches(
        A.rolling_volatility(r, 10, periods_per_year=12), s.rolling(10).std() * math.sqrt(12)
    )


def test_rolling_volatility_matches_nanobook(orcl):
    nanobook = pytest.importorskip("nanobook")
    r = np.diff(orcl.close) / orcl.close[:-1]
    assert_matches(
        A.rolling_volatility(r, 21), np.array(nanobook.py_rolling_volatility(r, 21, 252))
    )
    assert_matches(A.rolling_sharpe(r, 21), np.array(nanobook.py_rolling_sharpe(r, 21, 252)))


def test_rolling_sharpe_takes_a_risk_free_rate_per_period(orcl):
    r = np.diff(np.log(orcl.close))
    rf = 1e-4
    s = pd.Series(r - rf)
    sharpe = (s.rolling(63).mean() / s.rolling(63).std()).to_numpy() * math.sqrt(252)
    assert_matches(A.rolling_sharpe(r, 63, risk_free=rf), sharpe)
    labelled = A.rolling_sharpe(pd.Series(r), 63, risk_free=rf)
    assert isinstance(labelled, pd.Series)
    with pytest.raises(ValidationError) as info:
        A.rolling_sharpe(r, 63, risk_free=float("nan"))
    assert info.value.field == "risk_free"
    with pytest.raises(ValidationError):
        A.rolling_sharpe([0.1, 0.2], 1)


def test_vwap_matches_the_rolling_sum_definition(orcl):
    tp = (orcl.high + orcl.low + orcl.close) / 3.0
    pv = pd.Series(tp * orcl.volume)
    v = pd.Series(orcl.volume)
    rolling = (pv.rolling(20).sum() / v.rolling(20).sum()).to_numpy()
    assert_matches(A.vwap(orcl.high, orcl.low, orcl.close, orcl.volume, 20), rolling)
    cumulative = (pv.cumsum() / v.cumsum()).to_numpy()
    assert_matches(A.vwap(orcl.high, orcl.low, orcl.close, orcl.volume), cumulative)


# -- refused input -------------------------------------------------------------------------

bad_periods = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=100_001),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)


@given(period=bad_periods)
@settings(max_examples=60, deadline=None)
def test_bad_periods_are_refused_with_field_and_value(period):
    close = np.linspace(10.0, 20.0, 50)
    for fn in (A.sma, A.ema, A.rsi, A.roc):
        with pytest.raises(ValidationError) as err:
            fn(close, period)
        assert err.value.field == "period"
        assert err.value.value is period or err.value.value == period or period != period


@given(
    n=st.integers(min_value=30, max_value=80),
    at=st.integers(min_value=1, max_value=29),
    bad=st.sampled_from([math.nan, math.inf, -math.inf]),
)
@settings(max_examples=40, deadline=None)
def test_an_infinity_or_a_nan_on_some_inputs_is_refused(n, at, bad):
    close = np.linspace(10.0, 20.0, n)
    close[at] = math.inf if bad != bad else bad  # NaN on the only input is a gap
    with pytest.raises(ValidationError) as err:
        A.ema(close, 5)
    assert err.value.field == "close"
    assert f"row {at}" in str(err.value)
    fine = np.linspace(10.0, 20.0, n)
    low = fine - 1.0
    low[at] = bad
    with pytest.raises(ValidationError) as err:
        A.atr(fine + 1.0, low, fine)
    assert err.value.field == "low"
    assert f"row {at}" in str(err.value)


@pytest.mark.parametrize(
    ("name", "fn", "ref"),
    [
        ("sma", lambda c: A.sma(c, 10), lambda c: talib.SMA(c, 10)),
        ("ema", lambda c: A.ema(c, 10), lambda c: talib.EMA(c, 10)),
        ("rsi", lambda c: A.rsi(c, 14), lambda c: talib.RSI(c, 14)),
        ("macd", lambda c: A.macd(c).hist, lambda c: talib.MACD(c)[2]),
    ],
)
def test_a_gap_restarts_the_indicator_as_a_new_listing(orcl, name, fn, ref):
    # a stock suspended for 5 bars: NaN through the gap, then the warm-up again, then
    # TA-Lib's values of the stretch after the gap (nothing from before it leaks in)
    close = orcl.close[:300].copy()
    close[120:125] = np.nan
    got = fn(close)
    assert np.isnan(got[120:125]).all()
    np.testing.assert_allclose(got[:120], ref(orcl.close[:120]), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got[125:], ref(close[125:]), rtol=1e-12, equal_nan=True)
    panel = np.column_stack([close, orcl.close[:300]])
    both = fn(panel)
    np.testing.assert_array_equal(both[:, 0], got)  # the gap restarts its symbol only
    np.testing.assert_allclose(both[:, 1], ref(orcl.close[:300]), rtol=1e-12, equal_nan=True)


def test_a_gap_on_every_input_of_hlc_restarts_and_on_some_is_refused(orcl):
    h, lo, c = orcl.high[:200].copy(), orcl.low[:200].copy(), orcl.close[:200].copy()
    for a in (h, lo, c):
        a[80:83] = np.nan
    got = A.atr(h, lo, c, 14)
    assert np.isnan(got[80 : 83 + 14]).all()
    np.testing.assert_allclose(got[83:], talib.ATR(h[83:], lo[83:], c[83:], 14), equal_nan=True)
    h[150] = np.nan  # only the high: not a gap
    with pytest.raises(ValidationError) as err:
        A.atr(h, lo, c, 14)
    assert err.value.field == "high" and "row 150" in str(err.value)


def test_nan_on_only_some_inputs_of_a_bar_is_refused():
    close = np.linspace(10.0, 20.0, 30)
    high = close + 1.0
    high[0] = np.nan  # the bar is half there: not "not listed yet"
    with pytest.raises(ValidationError) as err:
        A.trange(high, close - 1.0, close)
    assert err.value.field == "high"


@pytest.mark.parametrize(
    "value",
    [np.zeros((3, 3, 3)), 5.0, np.array(["a", "b"]), [object(), object()], np.array([1 + 2j])],
)
def test_wrong_shapes_and_kinds_are_refused(value):
    with pytest.raises(ValidationError) as err:
        A.sma(value, 2)
    assert err.value.field == "close"


def test_misaligned_inputs_are_refused(orcl):
    with pytest.raises(ValidationError) as err:
        A.atr(orcl.high, orcl.low[:-1], orcl.close)
    assert err.value.field == "low"
    frame = orcl.frame
    with pytest.raises(ValidationError) as err:
        A.trange(frame["High"], frame["Low"].reset_index(drop=True), frame["Close"])
    assert err.value.field == "low"


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda c: A.macd(c, 20, 10), "fast", 20),
        (lambda c: A.macd(c, 1, 10), "fast", 1),
        (lambda c: A.rsi(c, 1), "period", 1),
        (lambda c: A.bbands(c, 20, math.nan), "nbdev_up", math.nan),
        (lambda c: A.ultosc(c, c, c, 7, 5, 28), "period2", 5),
        (lambda c: A.ultosc(c, c, c, 7, 14, 10), "period3", 10),
        (lambda c: A.rolling_volatility(c, 1), "window", 1),
        (lambda c: A.rolling_sharpe(c, 5, periods_per_year=0), "periods_per_year", 0),
        (lambda c: A.adx(c, c, c, 1), "period", 1),
    ],
)
def test_bad_parameters_name_their_field(call, field, value):
    with pytest.raises(ValidationError) as err:
        call(np.linspace(1.0, 2.0, 40))
    assert err.value.field == field
    assert err.value.value == value or value != value


@pytest.mark.parametrize("mine", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_every_indicator_gives_pandas_for_pandas(orcl, ohlcv_panel, mine):
    """Series in: Series out on the same index; DataFrame in: DataFrame out; same numbers."""
    f = orcl.frame
    series = SimpleNamespace(
        high=f["High"], low=f["Low"], close=f["Close"], volume=f["Volume"].astype(float)
    )
    for got, want in zip(_parts(mine(series)), _parts(mine(orcl)), strict=True):
        assert isinstance(got, pd.Series)
        assert got.index.equals(f.index)
        np.testing.assert_array_equal(got.to_numpy(), want)
    index = pd.RangeIndex(ohlcv_panel.close.shape[0], name="bar")
    frames = SimpleNamespace(
        **{k: pd.DataFrame(getattr(ohlcv_panel, k), index=index, columns=ohlcv_panel.symbols)
           for k in ("high", "low", "close", "volume")}
    )  # fmt: skip
    for got, want in zip(_parts(mine(frames)), _parts(mine(ohlcv_panel)), strict=True):
        assert isinstance(got, pd.DataFrame)
        assert list(got.columns) == list(ohlcv_panel.symbols)
        assert got.index.equals(index)
        np.testing.assert_array_equal(got.to_numpy(), want)
