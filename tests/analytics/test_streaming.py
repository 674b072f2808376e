"""Streams give the batch functions' numbers bar by bar, and refuse bad bars untouched."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tickbook.analytics as A
from tickbook.core import ValidationError

C, HLC, HLCV, CV, R = "close", "hlc", "hlcv", "cv", "returns"

# (stream class, parameters, batch function, inputs)
STREAMS = [
    (A.SMAStream, {"period": 7}, A.sma, C),
    (A.EMAStream, {"period": 9}, A.ema, C),
    (A.WMAStream, {"period": 6}, A.wma, C),
    (A.RSIStream, {"period": 5}, A.rsi, C),
    (A.MACDStream, {"fast": 4, "slow": 9, "signal": 3}, A.macd, C),
    (A.BBANDSStream, {"period": 6, "nbdev_up": 1.5, "nbdev_dn": 2.0}, A.bbands, C),
    (A.STOCHRSIStream, {"period": 5, "fastk_period": 4, "fastd_period": 2}, A.stochrsi, C),
    (A.MOMStream, {"period": 3}, A.mom, C),
    (A.ROCStream, {"period": 4}, A.roc, C),
    (A.ROCPStream, {"period": 2}, A.rocp, C),
    (A.ROCRStream, {"period": 3}, A.rocr, C),
    (A.STOCHStream, {"fastk_period": 5, "slowk_period": 3, "slowd_period": 2}, A.stoch, HLC),
    (A.STOCHFStream, {"fastk_period": 4, "fastd_period": 3}, A.stochf, HLC),
    (A.TRANGEStream, {}, A.trange, HLC),
    (A.ATRStream, {"period": 5}, A.atr, HLC),
    (A.NATRStream, {"period": 4}, A.natr, HLC),
    (A.ADXStream, {"period": 4}, A.adx, HLC),
    (A.DXStream, {"period": 4}, A.dx, HLC),
    (A.PLUSDIStream, {"period": 5}, A.plus_di, HLC),
    (A.MINUSDIStream, {"period": 5}, A.minus_di, HLC),
    (A.CCIStream, {"period": 5}, A.cci, HLC),
    (A.WILLRStream, {"period": 6}, A.willr, HLC),
    (A.ULTOSCStream, {"period1": 2, "period2": 4, "period3": 7}, A.ultosc, HLC),
    (A.OBVStream, {}, A.obv, CV),
    (A.ADStream, {}, A.ad, HLCV),
    (A.ADOSCStream, {"fast": 3, "slow": 6}, A.adosc, HLCV),
    (A.VWAPStream, {"period": 5}, A.vwap, HLCV),
    (A.VWAPStream, {}, A.vwap, HLCV),
    (A.RollingVolatilityStream, {"window": 5}, A.rolling_volatility, R),
    (A.RollingSharpeStream, {"window": 6, "periods_per_year": 12}, A.rolling_sharpe, R),
]
IDS = [f"{s[0].__name__}-{i}" for i, s in enumerate(STREAMS)]


def _inputs(kind, d):
    if kind == C:
        return (d["close"],)
    if kind == HLC:
        return (d["high"], d["low"], d["close"])
    if kind == HLCV:
        return (d["high"], d["low"], d["close"], d["volume"])
    if kind == CV:
        return (d["close"], d["volume"])
    return (d["returns"],)


def _bars(orcl, n):
    close = orcl.close[:n]
    return {
        "high": orcl.high[:n],
        "low": orcl.low[:n],
        "close": close,
        "volume": orcl.volume[:n],
        "returns": np.concatenate([[0.0], np.diff(close) / close[:-1]]),
    }


def _stack(results):
    """Per-bar results (floats, arrays or named tuples) -> arrays like the batch output."""
    first = results[0]
    if isinstance(first, tuple):
        return type(first)(*(np.array([r[i] for r in results]) for i in range(len(first))))
    return np.array(results)


def _equal(got, want):
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("cls", "params", "batch", "kind"), STREAMS, ids=IDS)
def test_stream_equals_batch_bit_for_bit(orcl, cls, params, batch, kind):
    d = _bars(orcl, 250)
    inputs = _inputs(kind, d)
    stream = cls(**params)
    got = _stack([stream.update(*bar) for bar in zip(*inputs, strict=True)])
    _equal(got, batch(*inputs, **params))


@pytest.mark.parametrize(("cls", "params", "batch", "kind"), STREAMS, ids=IDS)
def test_panel_stream_with_late_listing_equals_batch(ohlcv_panel, cls, params, batch, kind):
    n = 120
    d = {k: getattr(ohlcv_panel, k)[:n].copy() for k in ("high", "low", "close", "volume")}
    close = d["close"]
    d["returns"] = np.vstack([np.zeros((1, 3)), np.diff(close, axis=0) / close[:-1]])
    for v in d.values():
        v[:40, 2] = np.nan  # the third symbol lists on bar 40
    inputs = _inputs(kind, d)
    stream = cls(**params)
    got = _stack([stream.update(*bar) for bar in zip(*inputs, strict=True)])
    _equal(got, batch(*inputs, **params))


@pytest.mark.parametrize(("cls", "params", "batch", "kind"), STREAMS, ids=IDS)
def test_primed_from_history_then_live_equals_batch(orcl, cls, params, batch, kind):
    d = _bars(orcl, 200)
    inputs = _inputs(kind, d)
    stream = cls(**params)
    head = stream.extend(*(x[:150] for x in inputs))
    tail = _stack([stream.update(*bar) for bar in zip(*(x[150:] for x in inputs), strict=True)])
    want = batch(*inputs, **params)
    if isinstance(want, tuple):
        want_head = type(want)(*(w[:150] for w in want))
        want_tail = type(want)(*(w[150:] for w in want))
    else:
        want_head, want_tail = want[:150], want[150:]
    _equal(head, want_head)
    _equal(tail, want_tail)


prices = st.lists(
    st.floats(min_value=1.0, max_value=1000.0, allow_nan=False), min_size=1, max_size=60
)


@given(close=prices, period=st.integers(min_value=1, max_value=12), split=st.integers(0, 60))
@settings(max_examples=60, deadline=None)
def test_random_series_stream_equals_batch(close, period, split):
    close = np.array(close)
    high = close * 1.01
    low = close * 0.99
    volume = np.round(close * 7.0)
    p2 = max(period, 2)
    for stream, want, inputs in (
        (A.SMAStream(period), A.sma(close, period), (close,)),
        (A.EMAStream(period), A.ema(close, period), (close,)),
        (A.RSIStream(p2), A.rsi(close, p2), (close,)),
        (A.ADXStream(p2), A.adx(high, low, close, p2), (high, low, close)),
        (A.CCIStream(p2), A.cci(high, low, close, p2), (high, low, close)),
        (
            A.ADOSCStream(2, p2),
            A.adosc(high, low, close, volume, 2, p2),
            (high, low, close, volume),
        ),
    ):
        k = min(split, close.shape[0])
        head = stream.extend(*(x[:k] for x in inputs))
        rest = [stream.update(*bar) for bar in zip(*(x[k:] for x in inputs), strict=True)]
        np.testing.assert_array_equal(np.concatenate([head, np.array(rest)]), want)


@given(
    close=prices,
    fastk=st.integers(1, 8),
    slowk=st.integers(1, 4),
    slowd=st.integers(1, 4),
)
@settings(max_examples=40, deadline=None)
def test_random_series_multi_output_streams_equal_batch(close, fastk, slowk, slowd):
    close = np.array(close)
    high, low = close + 0.5, close - 0.5
    stream = A.STOCHStream(fastk, slowk, slowd)
    got = _stack([stream.update(*bar) for bar in zip(high, low, close, strict=True)])
    _equal(got, A.stoch(high, low, close, fastk, slowk, slowd))
    stream = A.MACDStream(2, 2 + slowk, slowd)
    got = _stack([stream.update(x) for x in close])
    _equal(got, A.macd(close, 2, 2 + slowk, slowd))
    stream = A.BBANDSStream(max(fastk, 2), 2.0, 1.0)
    got = _stack([stream.update(x) for x in close])
    _equal(got, A.bbands(close, max(fastk, 2), 2.0, 1.0))


def test_refused_bar_leaves_the_stream_unchanged(orcl):
    close = orcl.close[:60]
    stream = A.RSIStream(14)
    out = [stream.update(x) for x in close[:30]]
    for bad in (math.inf, "abc", [1.0, 2.0]):  # (a NaN is a gap: see below)
        with pytest.raises(ValidationError) as err:
            stream.update(bad)
        assert err.value.field == "close"
    out += [stream.update(x) for x in close[30:]]
    np.testing.assert_array_equal(np.array(out), A.rsi(close, 14))


def test_history_with_a_gap_restarts_like_the_batch_and_a_bad_one_moves_nothing(orcl):
    close = orcl.close[:50].copy()
    stream = A.SMAStream(5)
    stream.extend(close[:20])
    bad = close[20:].copy()
    bad[10] = np.inf
    with pytest.raises(ValidationError):
        stream.extend(bad)
    gap = close.copy()
    gap[30] = np.nan
    rest = stream.extend(gap[20:])
    np.testing.assert_array_equal(rest, A.sma(gap, 5)[20:])
    assert np.isnan(rest[10:15]).all() and np.isfinite(rest[15:]).all()


def test_symbol_count_is_fixed_by_the_first_bar_until_reset():
    stream = A.ATRStream(3)
    stream.update([10.0, 20.0], [9.0, 19.0], [9.5, 19.5])
    with pytest.raises(ValidationError) as err:
        stream.update([10.0, 20.0, 30.0], [9.0, 19.0, 29.0], [9.5, 19.5, 29.5])
    assert err.value.field == "high"
    with pytest.raises(ValidationError):
        stream.update([10.0, 20.0], [9.0], [9.5, 19.5])
    stream.reset()
    assert math.isnan(stream.update(10.0, 9.0, 9.5))


def test_nan_before_a_symbols_first_bar_waits_and_after_it_is_a_gap():
    stream = A.EMAStream(2)
    assert np.isnan(stream.update([np.nan, 1.0])).all()
    stream.update([2.0, 2.0])
    assert np.isnan(stream.update([np.nan, 3.0])[0])  # a gap: symbol 0 restarts
    assert np.isnan(stream.update([4.0, 4.0])[0])  # its warm-up again (2 bars)
    assert stream.update([5.0, 5.0])[0] == 4.5
    with pytest.raises(ValidationError) as err:
        stream.update([np.inf, 3.0])
    assert "symbol 0" in str(err.value)


def test_streams_report_name_and_lookback():
    stream = A.MACDStream(12, 26, 9)
    assert stream.name == "macd"
    assert stream.lookback == 33
    assert "MACDStream" in repr(stream)
    assert A.ADXStream(14).lookback == 27
    assert A.RSIStream(14).lookback == 14


def test_bad_stream_parameters_are_refused():
    with pytest.raises(ValidationError) as err:
        A.SMAStream(0)
    assert err.value.field == "period"
    with pytest.raises(ValidationError) as err:
        A.MACDStream(fast=30, slow=10)
    assert err.value.field == "fast"


def test_a_gap_restarts_the_stream_like_the_batch_function():
    rng = np.random.default_rng(9)
    close = 50 + np.cumsum(rng.normal(0, 1, (60, 2)), axis=0)
    close[:5, 1] = np.nan  # listed late
    close[20:24, 0] = np.nan  # suspended for four bars
    close[40, 1] = np.nan  # and a one-bar gap
    want = A.ema(close, 5)
    one = A.EMAStream(5)
    got = np.vstack([one.update(row) for row in close])
    np.testing.assert_array_equal(got, want)
    many = A.EMAStream(5)
    np.testing.assert_array_equal(many.extend(close), want)
    single = A.SMAStream(4)
    got = [single.update(x) for x in close[:, 0]]
    np.testing.assert_array_equal(got, A.sma(close[:, 0], 4))
