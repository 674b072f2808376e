from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tickbook.backtest import (
    CrossSectionalMomentum,
    EqualWeight,
    backtest_weights,
    grid_search,
    load_panel,
    optuna_search,
    walk_forward,
)
from tickbook.core import ValidationError

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tickbook" / "_sample"


@pytest.fixture(scope="module")
def cents():
    # load_panel's frames say they are in ticks (cents, fractions kept)
    return load_panel(SAMPLE / "sp500_20_stocks_1990_2022.csv.gz", start="2008", end="2019")


GRID = {"lookback": [63, 126, 252], "top": [3, 5]}


def test_grid_search_ranks_by_the_objective(cents):
    found = grid_search(CrossSectionalMomentum, GRID, cents, "sharpe", workers=0, cost_bps=10)
    assert len(found) == 6
    assert found["score"].is_monotonic_decreasing
    assert (found["score"] == found["sharpe"]).all()
    best = found.iloc[0]
    again = backtest_weights(
        CrossSectionalMomentum(lookback=int(best.lookback), top=int(best.top)).weights(cents),
        cents, cost_bps=10,
    ).metrics  # fmt: skip
    assert again.sharpe == pytest.approx(best.sharpe)
    by_dd = grid_search(CrossSectionalMomentum, GRID, cents, "max_drawdown", workers=0)
    assert (by_dd["score"] == -by_dd["max_drawdown"]).all()


def test_grid_search_on_a_process_pool_matches(cents):
    serial = grid_search(CrossSectionalMomentum, GRID, cents, "calmar", workers=0)
    pooled = grid_search(CrossSectionalMomentum, GRID, cents, "calmar", workers=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_walk_forward_tiles_the_test_windows(cents):
    result = walk_forward(
        CrossSectionalMomentum, GRID, cents, train=504, test=252, objective="sortino", cost_bps=5
    )
    windows = result.windows
    assert list(windows["test_start"]) == list(range(504, len(cents) - 251, 252))
    assert (windows["test_end"] - windows["test_start"] == 252).all()
    assert len(result.returns) == 252 * len(windows)
    assert result.index[0] == cents.index[504]
    assert result.metrics.num_periods == len(result.returns)
    # each window's out-of-sample score is the objective of its own stretch of returns
    from tickbook.portfolio import compute_metrics

    for k, row in windows.iterrows():
        piece = result.returns[252 * k : 252 * (k + 1)]
        assert row["out_of_sample_score"] == pytest.approx(compute_metrics(piece).sortino)


def test_walk_forward_starts_each_window_invested():
    # a schedule that rebalances once a year still holds its book in every test window
    close = pd.DataFrame(
        100.0 * np.exp(np.cumsum(np.full((400, 2), 0.001), axis=0)), columns=["A", "B"]
    )
    result = walk_forward(
        EqualWeight, {"rebalance_every": [250]}, close, train=100, test=100, quantity_step=0,
        tick_size=1.0,
    )  # fmt: skip
    per_window = result.returns.reshape(3, 100)
    assert (per_window[:, 0] == 0).all()  # bought at the first test bar's close
    assert (per_window[:, 1:] > 0).all()  # then held through a rising market


def test_optuna_search_is_seeded(cents):
    space = {"lookback": (20, 252), "top": [2, 4, 6]}
    a = optuna_search(CrossSectionalMomentum, space, cents, n_trials=8, seed=3)
    b = optuna_search(CrossSectionalMomentum, space, cents, n_trials=8, seed=3)
    assert a[:2] == b[:2]
    assert set(a[0]) == {"lookback", "top"} and 20 <= a[0]["lookback"] <= 252
    assert len(a[2].trials) == 8


def test_bad_objectives_and_windows_are_refused(cents):
    with pytest.raises(ValidationError) as info:
        grid_search(CrossSectionalMomentum, GRID, cents, "luck")
    assert info.value.field == "objective"
    with pytest.raises(ValidationError) as info:
        walk_forward(CrossSectionalMomentum, GRID, cents, train=len(cents), test=10)
    assert info.value.field == "train"
    with pytest.raises(ValidationError) as info:
        optuna_search(CrossSectionalMomentum, {"lookback": 5}, cents)
    assert info.value.field == "space['lookback']"


def test_a_bad_grid_is_refused_by_name(cents):
    for grid in (5, "lookback", {"nope": [1]}):
        with pytest.raises(ValidationError) as info:
            grid_search(CrossSectionalMomentum, grid, cents, workers=0)
        assert info.value.field.startswith("grid")
    with pytest.raises(ValidationError) as info:
        load_panel(5)
    assert info.value.field == "path"
