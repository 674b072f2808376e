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
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tickbook" / "_sample"


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
    frame = pd.read_csv(SAMPLE / "sp500_20_stocks_1990_2022.csv.gz", index_col=0, parse_dates=True)
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


def test_more_than_eight_buys_waiting_for_cash_are_cut_largest_first():
    # 40 buys worth 3x the cash: far more than 8 must wait, so the kernel's sort branch
    # picks the ones to set aside; smallest first, the reference model fills the same book
    rng = np.random.default_rng(5)
    n = 40
    close = np.round(rng.uniform(20_00, 400_00, (3, n)))
    w = rng.uniform(0.2, 1.8, (3, n))
    w *= 3.0 / w.sum(axis=1, keepdims=True)
    result = backtest_weights(w, close, 1_000_000_00, 10, quantity_step=1.0)
    equity, cash, qty, _, _ = simulate(w, close, 1_000_000_00, 1e-3, 1.0)
    np.testing.assert_allclose(result.final_quantities, qty, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.equity_curve, equity, rtol=1e-12)
    assert result.final_cash == pytest.approx(cash, abs=1e-3)
    wanted = np.floor(w[0] * 1_000_000_00 / close[0])
    first = backtest_weights(w[:1], close[:1], 1_000_000_00, 10, quantity_step=1.0)
    full = first.final_quantities == wanted
    assert 9 < (~full).sum() < n - 9  # many were set aside, many were bought in full
    # the ones bought in full are the smallest orders
    assert (w[0] * 1e8)[full].max() <= (w[0] * 1e8)[~full].min()


def test_ohlc_bars_in_rows_are_used_like_ohlc_arrays():
    class Bar:  # nanobook's BarPrices shape: attributes
        def __init__(self, o, h, lo, c):
            self.open, self.high, self.low, self.close = o, h, lo, c

    prices, rng = _panel(8, 50, 3, missing=0.0, ohlc=True)
    cents = {k: np.round(v) for k, v in prices.items()}
    cents["high"] = np.maximum.reduce([cents["high"], cents["open"], cents["close"]])
    cents["low"] = np.minimum.reduce([cents["low"], cents["open"], cents["close"]])
    w = rng.uniform(0.1, 0.3, (50, 3))
    names = ["A", "B", "C"]
    cols = [cents[k] for k in ("open", "high", "low", "close")]
    as_tuples = [
        [(s, tuple(int(c[t, j]) for c in cols)) for j, s in enumerate(names)] for t in range(50)
    ]
    as_bars = [[(s, Bar(*bar)) for s, bar in row] for row in as_tuples]
    rows_w = [list(zip(names, r, strict=True)) for r in w.tolist()]
    cfg = {"trailing_stop_pct": 0.03}
    arrays = backtest_weights(
        w, cents, 1_000_000_00, 5, stop_cfg=cfg, fill="next_open", symbols=names
    )
    for rows_p in (as_tuples, as_bars):
        rows = backtest_weights(rows_w, rows_p, 1_000_000_00, 5, stop_cfg=cfg, fill="next_open")
        np.testing.assert_array_equal(rows.equity_curve, arrays.equity_curve)
        assert rows.stop_events == arrays.stop_events
    assert len(arrays.stop_events) > 3  # the lows reach the stops: the OHLC is used
    closes_only = backtest_weights(rows_w, [[(s, b[3]) for s, b in r] for r in as_tuples])
    assert not np.array_equal(closes_only.equity_curve, arrays.equity_curve)


def test_prices_must_be_whole_ticks_unless_a_tick_size_is_given():
    dollars = np.array([[150.23, 20.5], [151.07, 20.25], [149.9, 21.0]])
    w = np.full((3, 2), 0.5)
    with pytest.raises(ValidationError, match=r"tick_size=0\.01") as info:
        backtest_weights(w, dollars)
    assert info.value.field == "price_schedule"
    in_dollars = backtest_weights(w, dollars, 1_000_000_00, 10, tick_size=0.01)
    in_cents = backtest_weights(w, np.round(dollars * 100), 1_000_000_00, 10)
    np.testing.assert_allclose(in_dollars.equity_curve, in_cents.equity_curve, rtol=1e-12)
    np.testing.assert_array_equal(in_dollars.final_quantities, in_cents.final_quantities)
    rows = [[("A", 150.23)]]
    with pytest.raises(ValidationError, match="tick_size"):
        backtest_weights([[("A", 1.0)]], rows)
    got = backtest_weights([[("A", 1.0)]], rows, 1_000_00, tick_size=0.01)
    assert got.final_quantities.tolist() == [6.0]  # $1,000 buys 6 shares at $150.23
    for bad in (0, -0.01, float("nan"), "0.01", True):
        with pytest.raises(ValidationError) as info:
            backtest_weights(w, dollars, tick_size=bad)
        assert info.value.field == "tick_size"


def test_a_short_that_wipes_out_the_equity_ruins_the_book_and_says_when():
    close = np.array([[100_00, 100_00], [150_00, 100_00], [200_00, 100_00], [90_00, 100_00]])
    w = np.array([[-1.0, 1.0]] + [[np.nan, np.nan]] * 3)  # short once, then hold
    result = backtest_weights(w, close.astype(float), 1_000_000_00)
    assert result.ruined_at == 2  # short A from 100 to 200: the equity goes to 0 there
    assert "ruined_at=2" in repr(result)
    assert (result.final_quantities == 0).all()  # the book was closed
    assert result.returns[2] == pytest.approx(-1.0) and (result.returns[3:] == 0).all()
    assert result.equity_curve[3] == result.equity_curve[2]  # A's fall comes too late
    assert result.metrics.total_return == pytest.approx(-1.0)
    assert result.metrics.max_drawdown == pytest.approx(1.0)
    fine = backtest_weights(w[:2], close[:2].astype(float), 1_000_000_00)
    assert fine.ruined_at is None


def test_huge_numbers_are_refused_by_name_not_by_overflow():
    cases = [
        ([[("A", 10**400)]], [[("A", 100)]], "weight_schedule[0]"),
        ([[("A", 1.0)]], [[("A", 10**400)]], "price_schedule[0]"),
        ([[(["A"], 1.0)]], [[("A", 100)]], "weight_schedule[0]"),
        ([[("A", 1.0)]], [[({"A": 1}, 100)]], "price_schedule[0]"),
        (np.full((2, 1), 2e6), np.full((2, 1), 100.0), "weight_schedule"),
        (np.full((2, 1), 0.5), np.full((2, 1), 1e302), "price_schedule"),
    ]
    for weights, prices, field in cases:
        with pytest.raises(ValidationError) as info:
            backtest_weights(weights, prices)
        assert info.value.field == field


def test_rules_are_one_record_for_the_bridge_and_the_portfolio():
    from tickbook.portfolio import RebalanceRules

    rules = RebalanceRules(quantity_step=1.0, min_order_value=500_00, max_trades_per_rebalance=2)
    assert Portfolio(1_000_00, rules=rules).rules is rules
    close = np.array([[100_00.0, 50_00.0, 20_00.0]] * 2)
    w = np.array([[0.5, 0.3, 0.2]] * 2)
    by_record = backtest_weights(w, close, 1_000_000_00, rules=rules)
    by_fields = backtest_weights(
        w, close, 1_000_000_00, quantity_step=1.0, min_order_value=500_00,
        max_trades_per_rebalance=2,
    )  # fmt: skip
    np.testing.assert_array_equal(by_record.holdings, by_fields.holdings)
    assert by_record.rules == by_fields.rules == rules
    with pytest.raises(ValidationError) as info:
        backtest_weights(w, close, rules=rules, min_order_value=1)
    assert info.value.field == "min_order_value"
    with pytest.raises(ValidationError) as info:
        RebalanceRules(min_order_value=500.5)  # money is integer ticks in both places
    assert info.value.field == "min_order_value"
