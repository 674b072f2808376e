import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference.weights_model import simulate
from tickbook.backtest import BacktestResult, StopConfig, backtest_weights
from tickbook.core import ValidationError
from tickbook.portfolio import CostModel, Portfolio

DATA = Path(__file__).resolve().parents[2] / "data" / "daily"


def _panel(seed, n_bars, n, missing=0.03, ohlc=False):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.025, (n_bars, n)), axis=0))
    out = {"close": close}
    if ohlc:
        out["open"] = close * np.exp(rng.normal(0, 0.01, close.shape))
        out["high"] = np.maximum(out["open"], close) * np.exp(abs(rng.normal(0, 0.01, close.shape)))
        out["low"] = np.minimum(out["open"], close) * np.exp(-abs(rng.normal(0, 0.01, close.shape)))
    gone = rng.random(close.shape) < missing
    for arr in out.values():
        arr[gone] = np.nan
    return out, rng


def _weights(rng, n_bars, n, shorts=False):
    w = rng.random((n_bars, n))
    w[rng.random((n_bars, n)) < 0.3] = 0.0
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    if shorts:
        w -= rng.random((n_bars, n)) * 0.1
    w[rng.random(n_bars) < 0.4] = np.nan  # bars without a rebalance
    return w


def test_reference_example_runs_with_rows():
    result = backtest_weights(
        weight_schedule=[[("AAPL", 0.5), ("MSFT", 0.5)], [("AAPL", 0.3), ("NVDA", 0.7)]],
        price_schedule=[
            [("AAPL", 185_00), ("MSFT", 370_00)],
            [("AAPL", 190_00), ("MSFT", 380_00), ("NVDA", 600_00)],
        ],
        initial_cash=1_000_000_00,
        cost_bps=15,
        stop_cfg={"trailing_stop_pct": 0.05},
    )
    assert isinstance(result, BacktestResult)
    assert set(result.keys()) >= {"returns", "equity_curve", "metrics", "holdings", "stop_events"}
    assert result["metrics"].num_periods == 2
    assert result.symbols == ("AAPL", "MSFT", "NVDA")
    assert result.holdings[-1, 1] == 0.0  # MSFT left the targets: closed
    assert result.holdings[-1, 2] == pytest.approx(0.7, abs=2e-3)  # the largest buy pays fees
    assert result["stop_events"] == ()
    assert np.isnan(result.symbol_returns[0]).all()
    assert result.symbol_returns[1, 0] == pytest.approx(190 / 185 - 1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    timing=st.sampled_from(["close", "next_open"]),
    step=st.sampled_from([0.0, 1.0, 0.01]),
    stops=st.sampled_from([(0, 0), (0.05, 0), (0, 0.08), (0.04, 0.07)]),
    ohlc=st.booleans(),
    shorts=st.booleans(),
    fee_bps=st.sampled_from([0.0, 10.0]),
)
def test_agrees_with_the_reference_model(seed, timing, step, stops, ohlc, shorts, fee_bps):
    prices, rng = _panel(seed, 60, 6, ohlc=ohlc or timing == "next_open")
    if timing == "next_open" and not ohlc:
        prices = {"close": prices["close"], "open": prices["open"]}
    w = _weights(rng, 60, 6, shorts)
    fixed, trailing = stops
    result = backtest_weights(
        w, prices, 1_000_000_00, fee_bps,
        stop_cfg={"fixed_stop_pct": fixed or None, "trailing_stop_pct": trailing or None},
        fill=timing, quantity_step=step, tick_size=1.0,
    )  # fmt: skip
    equity, cash, qty, events, _ = simulate(
        w, prices["close"], 1_000_000_00, fee_bps / 1e4, step, timing,
        prices.get("open"), prices.get("high"), prices.get("low"), fixed, trailing,
    )  # fmt: skip
    np.testing.assert_allclose(result.equity_curve, equity, rtol=1e-9)
    np.testing.assert_allclose(result.final_quantities, qty, rtol=1e-9, atol=1e-9)
    assert result.final_cash == pytest.approx(cash, rel=1e-9, abs=1e-3)
    got = [
        (e.period, int(e.symbol), e.trigger_price, e.exit_price, e.reason)
        for e in result.stop_events
    ]
    assert [g[:2] for g in got] == [e[:2] for e in events]
    assert [g[4] for g in got] == [{1: "fixed", 2: "trailing"}[e[4]] for e in events]
    np.testing.assert_allclose([g[2:4] for g in got], [e[2:4] for e in events], rtol=1e-12)


def _vectorbt_value(close, weights, fee, cash=1e8):
    vbt = pytest.importorskip("vectorbt")
    pf = vbt.Portfolio.from_orders(
        pd.DataFrame(close), pd.DataFrame(weights), size_type="targetpercent", group_by=True,
        cash_sharing=True, call_seq="auto", fees=fee, init_cash=cash,
    )  # fmt: skip
    return pf.value().to_numpy()


@pytest.mark.parametrize(
    ("seed", "n_bars", "n", "fee_bps"), [(1, 252, 50, 15.0), (2, 300, 20, 0.0)]
)
def test_fractional_close_fills_equal_vectorbt(seed, n_bars, n, fee_bps):
    prices, rng = _panel(seed, n_bars, n)
    w = _weights(rng, n_bars, n)
    ours = backtest_weights(
        w, prices["close"], 100_000_000, fee_bps, quantity_step=0, tick_size=1.0
    )
    theirs = _vectorbt_value(prices["close"], w, fee_bps / 1e4)
    assert np.max(np.abs(ours.equity_curve / theirs - 1)) < 1e-9


def _sp500(start="2005", end="2022"):
    frame = pd.read_csv(DATA / "sp500_20_stocks_1990_2022.csv.gz", index_col=0, parse_dates=True)
    return frame.loc[start:end] * 100  # dollars to cents


def test_real_panel_momentum_equals_vectorbt_and_the_numpy_model():
    close = _sp500()
    momentum = close.pct_change(126)
    rank = momentum.rank(axis=1, ascending=False)
    w = (rank <= 5).astype(float) / 5.0
    w[momentum.isna().all(axis=1)] = np.nan
    month_end = close.index.to_series().dt.month.diff().shift(-1).fillna(1) != 0
    w[~month_end.to_numpy()] = np.nan
    ours = backtest_weights(w, close, 1_000_000_00, 10, quantity_step=0, tick_size=1.0)
    theirs = _vectorbt_value(close.to_numpy(), w.to_numpy(), 0.001)
    assert np.max(np.abs(ours.equity_curve / theirs - 1)) < 1e-9
    equity, *_ = simulate(w.to_numpy(), close.to_numpy(), 1_000_000_00, 0.001)
    np.testing.assert_allclose(ours.equity_curve, equity, rtol=1e-9)
    assert ours.index.equals(close.index) and ours.symbols == tuple(close.columns)


def test_rows_arrays_and_frames_give_the_same_backtest():
    prices, rng = _panel(3, 40, 4, missing=0.0)
    cents = np.round(prices["close"])
    w = rng.random((40, 4))
    w /= w.sum(axis=1, keepdims=True)
    names = ["A", "B", "C", "D"]
    rows_w = [list(zip(names, r, strict=True)) for r in w.tolist()]
    rows_p = [[(s, int(p)) for s, p in zip(names, r, strict=True)] for r in cents.tolist()]
    dates = pd.date_range("2020-01-01", periods=40, freq="B")
    a = backtest_weights(rows_w, rows_p, 10_000_000, 5)
    b = backtest_weights(w, cents, 10_000_000, 5, symbols=names)
    c = backtest_weights(
        pd.DataFrame(w, dates, names), pd.DataFrame(cents, dates, names), 10_000_000, 5
    )
    for other in (b, c):
        np.testing.assert_array_equal(a.equity_curve, other.equity_curve)
        np.testing.assert_array_equal(a.holdings, other.holdings)
    assert c.to_frame().index.equals(dates)
    assert list(c.holdings_frame().columns) == names


def test_a_monthly_weight_frame_on_daily_prices_rebalances_monthly():
    close = _sp500("2020", "2021")
    monthly = close.resample("ME").last().index
    dates = [close.index[close.index <= d][-1] for d in monthly]
    w = pd.DataFrame(1 / 20, index=dates, columns=close.columns)
    result = backtest_weights(w, close, 1_000_000_00, 10, tick_size=1.0)
    traded_bars = np.flatnonzero(result.traded_value > 0)
    assert set(close.index[traded_bars]) <= set(dates)
    assert len(traded_bars) == len(dates)


def test_rows_close_what_a_row_leaves_out_and_an_empty_row_goes_to_cash():
    prices = [[("A", 100_00), ("B", 100_00)]] * 3
    result = backtest_weights([[("A", 0.5), ("B", 0.5)], [("A", 1.0)], []], prices, 1_000_000)
    assert result.holdings[1].tolist() == [1.0, 0.0]
    assert result.holdings[2].tolist() == [0.0, 0.0]
    assert result.final_cash == 1_000_000


def _ohlcv_panel():
    frames = {}
    for name in ("nvda-1999-2014", "orcl-1995-2014", "yhoo-1996-2014"):
        frame = pd.read_csv(DATA / f"{name}.txt.gz", index_col=0, parse_dates=True)
        frames[name[:4].upper()] = frame
    fields = {
        f.lower(): pd.DataFrame({s: f_[f] for s, f_ in frames.items()}) * 100
        for f in ("Open", "High", "Low", "Close")
    }
    return {k: v.sort_index() for k, v in fields.items()}


def test_symbols_entering_late_on_real_ohlcv_data():
    prices = _ohlcv_panel()
    close = prices["close"]
    assert close["NVDA"].first_valid_index() > close["ORCL"].first_valid_index()
    w = close.notna().astype(float).div(close.notna().sum(axis=1), axis=0)
    w[close.index.day_of_week != 4] = np.nan  # rebalance on Fridays
    result = backtest_weights(
        w,
        prices,
        1_000_000_00,
        5,
        stop_cfg={"trailing_stop_pct": 0.15},
        fill="next_open",
        tick_size=1.0,
    )
    before = close.index < close["NVDA"].first_valid_index()
    assert (result.holdings[before, list(close.columns).index("NVDA")] == 0).all()
    equity, _, _, events, _ = simulate(
        w.to_numpy(), close.to_numpy(), 1_000_000_00, 5e-4, 1.0, "next_open",
        prices["open"].to_numpy(), prices["high"].to_numpy(), prices["low"].to_numpy(), 0.0, 0.15,
    )  # fmt: skip
    np.testing.assert_allclose(result.equity_curve, equity, rtol=1e-9)
    assert len(result.stop_events) == len(events) > 10
    assert {e.reason for e in result.stop_events} == {"trailing"}


def test_a_symbol_leaving_the_universe_is_held_at_its_last_price():
    close = np.array([[100.0, 50.0], [110.0, 55.0], [np.nan, 60.0], [np.nan, 65.0]])
    w = np.array([[0.5, 0.5], [np.nan] * 2, [0.0, 1.0], [np.nan] * 2])
    result = backtest_weights(w, close, 1_000_000, 0, quantity_step=0)
    # bar 2: A has no price, so it cannot be sold; it stays at 110 while B is bought
    assert result.final_quantities[0] == pytest.approx(5000)
    assert result.equity_curve[3] == pytest.approx(
        result.final_cash + 5000 * 110 + result.final_quantities[1] * 65
    )


def test_stops_fire_like_nanobook_on_closes():
    # the same schedule through nanobook 0.19 gives these two events
    bars = [
        {"A": 100_00, "B": 100_00}, {"A": 97_00, "B": 101_00}, {"A": 94_00, "B": 102_00},
        {"A": 93_00, "B": 85_00}, {"A": 100_00, "B": 100_00}, {"A": 100_00, "B": 100_00},
    ]  # fmt: skip
    prices = [list(b.items()) for b in bars]
    weights = [[("A", 0.5), ("B", 0.5)]] * 6
    result = backtest_weights(
        weights, prices, 1_000_000_00, 0, stop_cfg={"trailing_stop_pct": 0.05}
    )
    assert [
        (e.period, e.symbol, e.trigger_price, e.exit_price, e.reason) for e in result.stop_events
    ] == [
        (2, "A", pytest.approx(95_00), 94_00, "trailing"),
        (3, "B", pytest.approx(96_90), 85_00, "trailing"),
    ]
    assert result.holdings[2, 0] == 0.0 and result.holdings[3, 0] > 0  # back in the next bar
    cfg = StopConfig(fixed_stop_pct=0.05, cooldown=2)
    result = backtest_weights(weights, prices, 1_000_000_00, 0, stop_cfg=cfg)
    assert [e.reason for e in result.stop_events] == ["fixed", "fixed"]
    assert result.holdings[3:5, 0].tolist() == [0.0, 0.0] and result.holdings[5, 0] > 0


def test_the_bridge_and_the_portfolio_share_their_rules():
    # caps, bands and minimum values give the same trades bar by bar in both
    prices, rng = _panel(9, 50, 8, missing=0.0)
    cents = np.round(prices["close"]).astype(np.int64)
    w = _weights(rng, 50, 8)
    w[0] = 1 / 8
    options = {
        "no_trade_band_bps": 50.0,
        "max_trades_per_rebalance": 5,
        "min_order_value": 500_00,
        "max_rebalance_notional": 300_000_00,
    }
    result = backtest_weights(w, cents, 1_000_000_00, 0, quantity_step=1.0, **options)
    pf = Portfolio(1_000_000_00, CostModel.zero(), quantity_step=1.0, **options)
    names = [str(i) for i in range(8)]
    for t in range(50):
        bar = dict(zip(names, cents[t].tolist(), strict=True))
        if not np.isnan(w[t]).all():
            pf.rebalance_simple(dict(zip(names, w[t].tolist(), strict=True)), bar)
        pf.record_return(bar)
    np.testing.assert_allclose(result.equity_curve, pf.equity_curve()[1:], rtol=0, atol=0.5)


def test_the_kernel_releases_the_gil():
    from tickbook.backtest import _kernels

    if hasattr(_kernels.simulate, "targetoptions"):  # compiled (not under NUMBA_DISABLE_JIT)
        assert _kernels.simulate.targetoptions["nogil"]
    prices, rng = _panel(4, 200, 30)
    w = _weights(rng, 200, 30)
    out = [None, None]

    def run(k):
        out[k] = backtest_weights(w, prices["close"], 1_000_000_00, 10, tick_size=1).equity_curve

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(out[0], out[1])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weight_schedule": np.ones((3, 3))}, "weight_schedule"),
        ({"price_schedule": np.full((2, 2), -1.0)}, "price_schedule"),
        ({"price_schedule": np.full((2, 2), np.inf)}, "price_schedule"),
        ({"weight_schedule": np.full((2, 2), np.inf)}, "weight_schedule"),
        ({"initial_cash": 0}, "initial_cash"),
        ({"cost_bps": -1}, "cost_bps"),
        ({"stop_cfg": {"trailing": 0.1}}, "stop_cfg"),
        ({"stop_cfg": {"fixed_stop_pct": 1.5}}, "fixed_stop_pct"),
        ({"fill": "tomorrow"}, "fill"),
        ({"fill": "next_open"}, "fill"),
        ({"periods_per_year": 0}, "periods_per_year"),
        ({"quantity_step": -1}, "quantity_step"),
        ({"max_trades_per_rebalance": -2}, "max_trades_per_rebalance"),
        ({"symbols": ["A"]}, "symbols"),
        ({"price_schedule": {"close": np.ones((2, 2)), "volume": 1}}, "price_schedule"),
    ],
)
def test_bad_input_is_refused(kwargs, field):
    args = {"weight_schedule": np.full((2, 2), 0.5), "price_schedule": np.ones((2, 2))} | kwargs
    with pytest.raises(ValidationError) as info:
        backtest_weights(**args)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("weights", "prices", "field"),
    [
        ([[("A", 1.0)]], [[("A", 100.5)]], "price_schedule[0]"),
        ([[("A", 1.0)]], [[("A", 0)]], "price_schedule[0]"),
        ([[("A", float("nan"))]], [[("A", 100)]], "weight_schedule[0]"),
        ([[("A", 1.0)], []], [[("A", 100)]], "weight_schedule"),
        ([[("A", 1.0)]], [[("A", 100), ("A", 101)]], "price_schedule[0]"),
        ([[("not a symbol", 1.0)]], [[("A", 100)]], "weight_schedule[0]"),
        ([[("A",)]], [[("A", 100)]], "weight_schedule[0]"),
    ],
)
def test_bad_rows_are_refused(weights, prices, field):
    with pytest.raises(ValidationError) as info:
        backtest_weights(weights, prices)
    assert info.value.field == field


def test_frames_with_unknown_symbols_or_dates_are_refused():
    dates = pd.date_range("2021-01-01", periods=3)
    close = pd.DataFrame(100.0, dates, ["A", "B"])
    with pytest.raises(ValidationError, match="symbols that have prices"):
        backtest_weights(pd.DataFrame(0.5, dates, ["A", "C"]), close)
    with pytest.raises(ValidationError, match="dates that have prices"):
        backtest_weights(pd.DataFrame(0.5, pd.date_range("2022-01-01", periods=1), ["A"]), close)


def test_empty_schedule():
    result = backtest_weights([], [])
    assert result.metrics is None and len(result.returns) == 0
