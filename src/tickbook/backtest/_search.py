"""Research at scale: grid search, walk-forward analysis and Optuna search over a strategy.

A *strategy factory* is anything that builds a strategy from keyword parameters and whose
strategies compute a whole weight schedule with ``weights(close)`` (``EqualWeight`` and
``CrossSectionalMomentum`` are such classes). Every evaluation runs ``backtest_weights`` on
the factory's schedule and scores the result by an *objective*: a ``Metrics`` field, higher
is better (``max_drawdown`` is negated so that smaller drawdowns score higher).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.backtest._bridge import backtest_weights
from tickbook.backtest._sweep import Progress, param_grid, sweep
from tickbook.core._checks import check_int, refuse
from tickbook.portfolio import Metrics, compute_metrics

__all__ = [
    "OBJECTIVES",
    "WalkForwardResult",
    "evaluate",
    "grid_search",
    "optuna_search",
    "score",
    "walk_forward",
]

#: Objective name -> sign (1: higher is better; -1: lower is better, so it is negated).
OBJECTIVES = {
    "sharpe": 1,
    "sortino": 1,
    "calmar": 1,
    "cagr": 1,
    "total_return": 1,
    "deflated_sharpe": 1,
    "win_rate": 1,
    "profit_factor": 1,
    "max_drawdown": -1,
    "volatility": -1,
}


def score(metrics: Metrics | None, objective: str) -> float:
    """Return the objective's score (higher is better; NaN or no metrics: -inf)."""
    sign = OBJECTIVES.get(objective)
    if sign is None:
        raise refuse("objective", f"one of {sorted(OBJECTIVES)}", objective)
    if metrics is None:
        return -math.inf
    value = float(getattr(metrics, objective))
    return -math.inf if math.isnan(value) else sign * value


def evaluate(
    factory: Callable[..., Any], prices: Any, backtest: Mapping[str, Any], **params
) -> Metrics | None:
    """Backtest ``factory(**params)``'s schedule on ``prices``; return the metrics."""
    import inspect

    try:
        inspect.signature(factory).bind(**params)
    except TypeError:
        raise refuse("grid", f"parameters that {factory!r} takes", sorted(params)) from None
    except ValueError:  # no signature to check: let the call speak
        pass
    strategy = factory(**params)
    return backtest_weights(strategy.weights(prices), prices, **backtest).metrics


def grid_search(
    factory: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    prices: Any,
    objective: str = "sharpe",
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Progress = False,
    **backtest: Any,
) -> Any:
    """Evaluate every point of ``grid``; return a DataFrame sorted best first.

    The columns are the parameters, ``score`` and every ``Metrics`` field. ``backtest``
    keywords go to ``backtest_weights`` (``initial_cash``, ``cost_bps``, ``fill``, ...).
    """
    import pandas as pd

    score(None, objective)  # check the name before any work
    fn = functools.partial(evaluate, factory, prices, backtest)
    rows = []
    for point, metrics in sweep(fn, grid, scheduler=scheduler, workers=workers, progress=progress):
        row = dict(point)
        row["score"] = score(metrics, objective)
        if metrics is not None:
            row.update(metrics.to_dict())
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True, slots=True, eq=False)
class WalkForwardResult:
    """Out-of-sample returns stitched from every test window, and each window's choice.

    ``windows`` is a DataFrame: train and test bounds (row positions, end exclusive), the
    chosen parameters, their in-sample score and their out-of-sample score.
    """

    windows: Any
    returns: np.ndarray
    index: Any
    metrics: Metrics | None


def _slice(prices: Any, lo: int, hi: int) -> Any:
    if type(prices).__name__ == "DataFrame":
        return prices.iloc[lo:hi]
    if isinstance(prices, Mapping):
        return {k: _slice(v, lo, hi) for k, v in prices.items()}
    return prices[lo:hi]


def _close(prices: Any) -> Any:
    return prices["close"] if isinstance(prices, Mapping) else prices


def walk_forward(
    factory: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    prices: Any,
    train: int,
    test: int,
    objective: str = "sharpe",
    *,
    step: int | None = None,
    periods_per_year: float = 252.0,
    workers: int | None = 0,
    scheduler: Any = None,
    progress: Progress = False,
    **backtest: Any,
) -> WalkForwardResult:
    """Roll train and test windows over ``prices``: choose on each train, score on its test.

    Windows start every ``step`` bars (``test`` by default, so the tests tile the data).
    On each train window every grid point is backtested and the best by ``objective`` is
    kept; its schedule is then computed over train and test together (so lookbacks are
    warm) and backtested on the test window alone, from cash. The test windows' returns,
    chained, are the out-of-sample record.
    """
    import pandas as pd

    score(None, objective)
    n = len(_close(prices))
    train = check_int(train, "train", lo=2, hi=1 << 31, expected="an integer >= 2")
    test = check_int(test, "test", lo=1, hi=1 << 31, expected="an integer >= 1")
    step = (
        test if step is None else check_int(step, "step", lo=1, hi=1 << 31, expected="an int >= 1")
    )
    if train + test > n:
        raise refuse("train", f"train + test <= the {n} bars", train + test)
    points = param_grid(grid)
    kwargs = {"periods_per_year": periods_per_year, **backtest}
    rows, pieces = [], []
    starts = range(0, n - train - test + 1, step)
    for start in starts:
        in_sample = _slice(prices, start, start + train)
        found = grid_search(
            factory, points, in_sample, objective, workers=workers, scheduler=scheduler, **kwargs
        )
        best = {k: _plain(found.loc[0, k]) for k in points[0]}
        both = _slice(prices, start, start + train + test)
        weights = _carry_in(factory(**best).weights(_close(both)), train, test)
        result = backtest_weights(weights, _slice(both, train, train + test), **kwargs)
        pieces.append(result.returns)
        rows.append(
            {
                "train_start": start,
                "train_end": start + train,
                "test_start": start + train,
                "test_end": start + train + test,
                **best,
                "in_sample_score": float(found.loc[0, "score"]),
                "out_of_sample_score": score(result.metrics, objective),
            }
        )
        if callable(progress):
            progress(len(rows), len(starts))
    returns = np.concatenate(pieces) if pieces else np.empty(0)
    index = None
    close = _close(prices)
    if type(close).__name__ == "DataFrame" and step == test:
        index = close.index[train : train + len(returns)]
    return WalkForwardResult(
        windows=pd.DataFrame(rows),
        returns=returns,
        index=index,
        metrics=compute_metrics(returns, periods_per_year, backtest.get("risk_free", 0.0)),
    )


def _carry_in(schedule: Any, train: int, test: int) -> Any:
    """The test rows of ``schedule``, starting from the holdings its last decision chose.

    Without this a test window that opens between two rebalances would sit in cash until
    the next one.
    """
    weights = _slice(schedule, train, train + test)
    arr = np.asarray(schedule, dtype=np.float64)
    if not np.isnan(arr[train]).all():
        return weights
    active = np.flatnonzero(~np.isnan(arr[:train]).all(axis=1))
    if not len(active):
        return weights
    weights = weights.copy()
    first = arr[active[-1]]
    if type(weights).__name__ == "DataFrame":
        weights.iloc[0] = first
    else:
        weights[0] = first
    return weights


def _plain(value: Any) -> Any:
    """Numpy scalars back to Python ones (so parameters print and compare plainly)."""
    return value.item() if hasattr(value, "item") else value


def optuna_search(
    factory: Callable[..., Any],
    space: Mapping[str, Any],
    prices: Any,
    n_trials: int = 50,
    objective: str = "sharpe",
    *,
    seed: int = 0,
    **backtest: Any,
) -> tuple[dict[str, Any], float, Any]:
    """Search ``space`` with Optuna's TPE sampler (seeded); return (best params, score, study).

    ``space`` maps each parameter to ``(low, high)`` (ints: an integer range, floats: a float
    range, both inclusive) or to a list of choices.
    """
    try:
        import optuna
    except ImportError:
        raise ImportError("optuna_search needs Optuna: pip install 'tickbook[optuna]'") from None

    score(None, objective)
    n_trials = check_int(n_trials, "n_trials", lo=1, hi=1 << 31, expected="an integer >= 1")
    for name, spec in space.items():
        ok = (isinstance(spec, tuple) and len(spec) == 2) or (isinstance(spec, list) and spec)
        if not ok:
            raise refuse(f"space[{name!r}]", "(low, high) or a list of choices", spec)

    def trial_score(trial: Any) -> float:
        params = {}
        for name, spec in space.items():
            if isinstance(spec, list):
                params[name] = trial.suggest_categorical(name, spec)
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in spec):
                params[name] = trial.suggest_int(name, spec[0], spec[1])
            else:
                params[name] = trial.suggest_float(name, float(spec[0]), float(spec[1]))
        value = score(evaluate(factory, prices, backtest, **params), objective)
        return value if math.isfinite(value) else -1e300

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(trial_score, n_trials=n_trials)
    return dict(study.best_params), float(study.best_value), study
