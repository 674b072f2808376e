from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tickbook.backtest import (
    CrossSectionalMomentum,
    EqualWeight,
    Strategy,
    backtest_weights,
    run_backtest,
)
from tickbook.core import ValidationError
from tickbook.portfolio import CostModel

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tickbook" / "_sample"


def _cents(start="2015", end="2022"):
    frame = pd.read_csv(SAMPLE / "sp500_20_stocks_1990_2022.csv.gz", index_col=0, parse_dates=True)
    return (frame.loc[start:end] * 100).round()


def test_a_lambda_strategy_as_in_the_reference():
    result = run_backtest(
        strategy=lambda bar, prices, portfolio: [("AAPL", 0.5), ("GOOG", 0.5)],
        price_series=[{"AAPL": 150_00, "GOOG": 280_00}] * 252,
        initial_cash=1_000_000_00,
        cost_model=CostModel.zero(),
    )
    assert result.metrics.num_periods == 252
    assert result.metrics.total_return == 0.0
    assert result.portfolio.position("AAPL").quantity == 3333
    assert result.rebalances == 252
    assert len(result.equity_curve) == 253


def test_matches_nanobooks_run_backtest_when_no_buy_waits_for_a_sale():
    nanobook = pytest.importorskip("nanobook")
    cents = _cents("2020", "2021").astype(int)
    bars = [{str(k): int(v) for k, v in row.items()} for _, row in cents.iterrows()]

    def strategy(bar, prices, portfolio):
        return [(s, 0.9 / len(prices)) for s in sorted(prices)]

    ours = run_backtest(strategy, bars, 1_000_000_00, CostModel(commission_bps=10))
    theirs = nanobook.run_backtest(
        strategy, bars, 1_000_000_00, nanobook.CostModel(commission_bps=10)
    )
    theirs_equity = np.array(theirs.portfolio.equity_curve(), float)
    assert np.max(np.abs(ours.equity_curve / theirs_equity - 1)) < 1e-4


def test_momentum_bar_by_bar_equals_its_schedule_through_the_bridge():
    cents = _cents()
    strategy = CrossSectionalMomentum(lookback=126, top=5, rebalance_every=21)
    bridge = backtest_weights(strategy.weights(cents), cents, 1_000_000_00, 10)
    runner = run_backtest(strategy, cents, 1_000_000_00, CostModel(commission_bps=10))
    # the bridge keeps fees in fractions of a cent; the portfolio rounds each to a cent
    np.testing.assert_allclose(bridge.equity_curve, runner.equity_curve[1:], rtol=1e-6)
    assert runner.rebalances == np.isfinite(strategy.weights(cents).to_numpy()).any(axis=1).sum()


def test_equal_weight_follows_the_universe():
    close = np.array([[10.0, np.nan], [11.0, 20.0], [np.nan, 21.0]])
    w = EqualWeight().weights(close)
    np.testing.assert_array_equal(w, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    assert np.isnan(EqualWeight(rebalance_every=2).weights(close)[1]).all()
    assert isinstance(EqualWeight(), Strategy)
    bars = [{"A": 10_00}, {"A": 11_00, "B": 20_00}, {"B": 21_00}]
    result = run_backtest(EqualWeight(), bars, 100_000_00)
    assert result.portfolio.position("B").quantity > 0
    # A has no price in the last bar: it cannot be sold, and is valued at its last price
    assert result.portfolio.position("A").quantity > 0


def test_momentum_picks_the_best_past_returns():
    close = np.array([[10.0, 10.0, 10.0], [11.0, 9.0, 12.0], [12.0, 8.0, 11.0]])
    w = CrossSectionalMomentum(lookback=1, top=2, rebalance_every=1).weights(close)
    assert np.isnan(w[0]).all()
    np.testing.assert_array_equal(w[1], [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(w[2], [0.5, 0.0, 0.5])  # +9.1%, -11.1%, -8.3%
    frame = pd.DataFrame(close, columns=["A", "B", "C"])
    assert CrossSectionalMomentum(1, 2, 0, 1).weights(frame).columns.tolist() == ["A", "B", "C"]


def test_none_holds_and_empty_goes_to_cash():
    bars = [{"A": 100_00}] * 3 + [{"A": 110_00}]
    answers = [[("A", 1.0)], None, [], None]
    result = run_backtest(lambda t, p, pf: answers[t], bars, 1_000_000)
    assert result.rebalances == 2
    assert result.portfolio.position("A").is_flat
    assert result.portfolio.cash == 1_000_000


def test_bad_input_is_refused():
    with pytest.raises(ValidationError) as info:
        run_backtest(42, [{"A": 1}])
    assert info.value.field == "strategy"
    with pytest.raises(ValidationError) as info:
        run_backtest(EqualWeight(), [{"A": 1.5}])
    assert info.value.field == "price_series[0][A]"
    with pytest.raises(ValidationError) as info:
        CrossSectionalMomentum(lookback=0)
    assert info.value.field == "lookback"


def test_unknown_portfolio_options_are_refused_by_name():
    from tickbook.backtest import run_backtest
    from tickbook.core import ValidationError

    with pytest.raises(ValidationError) as info:
        run_backtest(lambda bar, prices, pf: [("A", 0.5)], [{"A": 100_00}] * 3, nope=1)
    assert info.value.field == "portfolio_options" and info.value.value == ["nope"]
