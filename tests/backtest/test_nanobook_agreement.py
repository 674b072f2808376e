"""tickbook's bridge against nanobook 0.19's, through the adapter for its changed API."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.backtest.nanobook_adapter import nanobook_equity, rows_from_arrays, run_nanobook
from tests.reference.weights_model import simulate
from tickbook.backtest import backtest_weights

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tickbook" / "_sample"


def test_two_asset_swap_nanobook_sits_in_cash_for_a_bar():
    # Hold B, then switch to A, the row listing A before B. nanobook runs the row's orders in
    # that order without selling first: the buy of A finds no cash and is cut to nothing,
    # then B is sold; the book sits in cash for a bar and misses A's 10% rise. tickbook
    # sells B first and holds A from bar 1.
    weights = [[("B", 1.0)]] + [[("A", 1.0), ("B", 0.0)]] * 3
    prices = [
        [("A", 100_00), ("B", 100_00)],
        [("A", 100_00), ("B", 100_00)],
        [("A", 110_00), ("B", 100_00)],
        [("A", 121_00), ("B", 100_00)],
    ]
    ours = backtest_weights(weights, prices, 1_000_000_00, 0)
    theirs = run_nanobook(weights, prices, 1_000_000_00, 0)
    assert theirs["holdings"][1] == []  # all cash after the swap bar
    assert ours.holdings[1].tolist() == [1.0, 0.0]
    eq_theirs = nanobook_equity(theirs)
    # the curves agree until the bar after the swap, then part by A's move
    np.testing.assert_array_equal(ours.equity_curve[:2], eq_theirs[:2])
    assert ours.equity_curve[2] == 110_000_000 and eq_theirs[2] == 100_000_000
    assert ours.equity_curve[3] / eq_theirs[3] == pytest.approx(1.1, rel=1e-3)
    # listing B first hides the problem: nanobook then sells before it buys
    swapped = [[("B", 1.0)]] + [[("B", 0.0), ("A", 1.0)]] * 3
    np.testing.assert_array_equal(
        nanobook_equity(run_nanobook(swapped, prices, 1_000_000_00, 0)), ours.equity_curve
    )


def _real(start, end):
    frame = pd.read_csv(SAMPLE / "sp500_20_stocks_1990_2022.csv.gz", index_col=0, parse_dates=True)
    return np.round(frame.loc[start:end].to_numpy() * 100), list(frame.columns)


@pytest.mark.parametrize(("ours_step", "their_step"), [(1.0, None), (0.0, 1)])
def test_agree_within_1bp_where_no_buy_needs_a_sale(ours_step, their_step):
    # 90% invested, rebalanced daily on real prices: the cash buffer pays for every buy, so
    # the order of execution does not matter and the two engines must agree
    close, names = _real("2010", "2019")
    rng = np.random.default_rng(11)
    w = np.tile(rng.uniform(0.5, 1.5, close.shape[1]), (len(close), 1))
    w *= 0.9 / w.sum(axis=1, keepdims=True)
    _, _, _, _, log = simulate(w, close, 1_000_000_00, 15e-4, ours_step)
    assert all(buys * (1 + 15e-4) <= cash for cash, buys in log)  # the precondition holds
    weight_rows, price_rows = rows_from_arrays(w, close, names)
    ours = backtest_weights(weight_rows, price_rows, 1_000_000_00, 15, quantity_step=ours_step)
    theirs = nanobook_equity(run_nanobook(weight_rows, price_rows, 1_000_000_00, 15, their_step))
    assert np.max(np.abs(ours.equity_curve / theirs - 1)) < 1e-4


def test_fully_invested_daily_rebalance_parts_nanobook_from_vectorbt():
    # Fully invested, every rebalance needs the proceeds of its sales. nanobook cuts the buys
    # listed before those sales; tickbook, vectorbt and the numpy model do not.
    vbt = pytest.importorskip("vectorbt")
    rng = np.random.default_rng(5)
    n_bars, n = 252, 50
    close = np.round(100_00 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_bars, n)), axis=0)))
    w = rng.random((n_bars, n))
    w /= w.sum(axis=1, keepdims=True)
    names = [f"S{i:03d}" for i in range(n)]
    weight_rows, price_rows = rows_from_arrays(w, close, names)
    ours = backtest_weights(w, close, 1_000_000_00, 15, quantity_step=0).equity_curve
    theirs = nanobook_equity(run_nanobook(weight_rows, price_rows, 1_000_000_00, 15, 1))
    vec = vbt.Portfolio.from_orders(
        pd.DataFrame(close), pd.DataFrame(w), size_type="targetpercent", group_by=True,
        cash_sharing=True, call_seq="auto", fees=15e-4, init_cash=1_000_000_00,
    ).value().to_numpy()  # fmt: skip
    assert np.max(np.abs(ours / vec - 1)) < 1e-9
    assert abs(theirs[-1] / vec[-1] - 1) > 1e-3  # nanobook leaves cash idle every bar
    assert theirs[-1] < vec[-1]


def test_stop_events_match_nanobooks_on_closes():
    bars = [
        {"A": 100_00, "B": 100_00}, {"A": 97_00, "B": 101_00}, {"A": 94_00, "B": 102_00},
        {"A": 93_00, "B": 85_00}, {"A": 100_00, "B": 100_00}, {"A": 100_00, "B": 100_00},
    ]  # fmt: skip
    prices = [list(b.items()) for b in bars]
    weights = [[("A", 0.45), ("B", 0.45)]] * 6  # a cash buffer: no buy waits for a sale
    cfg = {"trailing_stop_pct": 0.05}
    ours = backtest_weights(weights, prices, 1_000_000_00, 0, stop_cfg=cfg)
    theirs = run_nanobook(weights, prices, 1_000_000_00, 0, stop_cfg=cfg)
    assert [
        (e.period, e.symbol, round(e.trigger_price), e.exit_price, e.reason)
        for e in ours.stop_events
    ] == [
        (e["period_index"], e["symbol"], e["trigger_price"], e["exit_price"], e["reason"])
        for e in theirs["stop_events"]
    ]
    np.testing.assert_allclose(ours.equity_curve, nanobook_equity(theirs), rtol=1e-5)


def test_fixed_stop_entry_price_is_a_named_difference():
    # tickbook's fixed stop sits below the VWAP of the fills that built the position;
    # nanobook's stays below the first fill's price when the position is added to
    bars = [{"A": 100_00, "B": 100_00}, {"A": 97_00, "B": 101_00}, {"A": 94_00, "B": 102_00}]
    prices = [list(b.items()) for b in bars]
    weights = [[("A", 0.45), ("B", 0.45)]] * 3
    cfg = {"fixed_stop_pct": 0.05}
    ours = backtest_weights(weights, prices, 1_000_000_00, 0, stop_cfg=cfg).stop_events
    theirs = run_nanobook(weights, prices, 1_000_000_00, 0, stop_cfg=cfg)["stop_events"]
    # bar 0 buys 4,500 A at $100; bar 1's rebalance after the fall tops it up at $97
    equity = 10_000_000 + 4500 * (97_00 + 101_00)
    top_up = int(0.45 * equity / 97_00) - 4500
    vwap = (4500 * 100_00 + top_up * 97_00) / (4500 + top_up)
    assert ours[0].trigger_price == pytest.approx(0.95 * vwap)
    assert theirs[0]["trigger_price"] == 95_00
    assert (ours[0].period, ours[0].exit_price) == (
        theirs[0]["period_index"],
        theirs[0]["exit_price"],
    )
