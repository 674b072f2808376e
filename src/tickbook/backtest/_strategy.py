"""Strategies: the ``Strategy`` protocol, ``run_backtest`` and two built-in strategies.

A strategy answers one question per bar: which weights now? ``run_backtest`` asks it at every
bar, rebalances a ``Portfolio`` at the bar's prices and records the bar's return. The built-in
strategies also compute a whole weight schedule at once (``weights(close)``), which is what
``backtest_weights``, the sweeps and the walk-forward analysis run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from tickbook.core import Symbol
from tickbook.core._checks import check_int, refuse
from tickbook.portfolio import CostModel, Metrics, Portfolio, compute_metrics
from tickbook.portfolio._rules import RULE_FIELDS

__all__ = [
    "CrossSectionalMomentum",
    "EqualWeight",
    "Strategy",
    "StrategyResult",
    "run_backtest",
]

Targets = Iterable[tuple[str, float]] | Mapping[str, float] | None


@runtime_checkable
class Strategy(Protocol):
    """Anything with ``compute_weights``; a plain function of the same arguments works too.

    ``compute_weights(bar_index, prices, portfolio)`` gets the bar's number, its prices
    (symbol -> ticks, only the symbols priced in that bar) and the portfolio (read it, do not
    trade it). It returns (symbol, weight) pairs or a mapping: the whole target book, so an
    empty answer goes to cash. ``None`` means "no rebalance this bar".
    """

    def compute_weights(
        self, bar_index: int, prices: Mapping[Symbol, int], portfolio: Portfolio
    ) -> Targets: ...


@dataclass(frozen=True, slots=True, eq=False)
class StrategyResult:
    """What ``run_backtest`` returns: the final portfolio, its returns and metrics."""

    portfolio: Portfolio
    metrics: Metrics | None
    returns: np.ndarray
    equity_curve: np.ndarray  # cents: the initial cash, then one value per bar
    rebalances: int


def _bars(price_series: Any) -> list[dict[Symbol, int]]:
    """Each bar as {symbol: price in ticks}."""
    if type(price_series).__name__ == "DataFrame":
        columns = [Symbol(str(c)) for c in price_series.columns]
        values = price_series.to_numpy(dtype=np.float64)
        bars = []
        for row in values:
            ok = np.isfinite(row)
            bars.append({columns[j]: round(float(row[j])) for j in np.flatnonzero(ok)})
        return bars
    if isinstance(price_series, str | bytes) or not isinstance(price_series, Sequence):
        raise refuse("price_series", "a sequence of bars or a DataFrame", type(price_series))
    from tickbook.portfolio._inputs import price_map

    return [price_map(bar, f"price_series[{t}]") for t, bar in enumerate(price_series)]


def run_backtest(
    strategy: Strategy | Callable[[int, Mapping[Symbol, int], Portfolio], Targets],
    price_series: Any,
    initial_cash: int = 1_000_000_00,
    cost_model: CostModel | None = None,
    periods_per_year: float = 252.0,
    risk_free: float = 0.0,
    **portfolio_options: Any,
) -> StrategyResult:
    """Ask ``strategy`` for weights at every bar and trade a ``Portfolio`` to them.

    Args:
        strategy: a ``Strategy`` or a function ``(bar_index, prices, portfolio) -> targets``.
        price_series: bars as mappings (or pairs) of symbol to price in ticks, or a DataFrame
            (dates x symbols; NaN: no price; values rounded to whole ticks).
        initial_cash: starting cash in cents.
        cost_model: commission, slippage and minimum fee (none by default).
        periods_per_year: for the metrics.
        risk_free: risk-free return per period.
        **portfolio_options: passed to ``Portfolio`` (``quantity_step``, caps, band, ...).

    Each bar: rebalance at the bar's prices (unless the strategy answers ``None``), then
    record the bar's return at the same prices, so costs show in the bar they are paid.
    """
    decide = getattr(strategy, "compute_weights", None)
    if decide is None:
        if not callable(strategy):
            raise refuse("strategy", "a Strategy or a callable", strategy)
        decide = strategy
    bars = _bars(price_series)
    unknown = sorted(set(portfolio_options) - {"rules", *RULE_FIELDS})
    if unknown:
        raise refuse("portfolio_options", f"options among {['rules', *RULE_FIELDS]}", unknown)
    portfolio = Portfolio(initial_cash, cost_model, **portfolio_options)
    rebalances = 0
    for t, prices in enumerate(bars):
        targets = decide(t, prices, portfolio)
        if targets is not None:
            portfolio.rebalance_simple(targets, prices)
            rebalances += 1
        portfolio.record_return(prices)
    returns = portfolio.returns()
    return StrategyResult(
        portfolio=portfolio,
        metrics=compute_metrics(returns, periods_per_year, risk_free),
        returns=returns,
        equity_curve=portfolio.equity_curve(),
        rebalances=rebalances,
    )


def _close_array(close: Any) -> tuple[np.ndarray, Any]:
    """(float64 array, a function that wraps an array like the input)."""
    if type(close).__name__ == "DataFrame":
        import pandas as pd

        frame = close
        return frame.to_numpy(dtype=np.float64), lambda a: pd.DataFrame(
            a, index=frame.index, columns=frame.columns
        )
    arr = np.asarray(close, dtype=np.float64)
    if arr.ndim != 2:
        raise refuse("close", "a 2-D array or DataFrame (bars x symbols)", arr.shape)
    return arr, lambda a: a


@dataclass(frozen=True, slots=True)
class EqualWeight:
    """Hold every priced symbol at the same weight, rebalanced every ``rebalance_every`` bars.

    Symbols enter when they first have a price and leave when they have none.
    """

    rebalance_every: int = 1

    def __post_init__(self) -> None:
        check_int(self.rebalance_every, "rebalance_every", lo=1, hi=1 << 31, expected="an int >= 1")

    def compute_weights(
        self, bar_index: int, prices: Mapping[Symbol, int], portfolio: Portfolio
    ) -> Targets:
        """Return 1/n for each of the n symbols priced in this bar."""
        if bar_index % self.rebalance_every:
            return None
        if not prices:
            return []
        w = 1.0 / len(prices)
        return [(sym, w) for sym in prices]

    def weights(self, close: Any) -> Any:
        """Return the whole schedule for ``close`` (NaN rows: no rebalance)."""
        arr, wrap = _close_array(close)
        ok = np.isfinite(arr)
        count = ok.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(ok, 1.0 / count, 0.0)
        out[np.arange(len(arr)) % self.rebalance_every != 0] = np.nan
        return wrap(out)


@dataclass(slots=True)
class CrossSectionalMomentum:
    """Hold the ``top`` symbols with the best past return, equally weighted.

    At every ``rebalance_every``-th bar (from the first with enough history), rank the
    symbols by their return over ``lookback`` bars, ending ``skip`` bars ago (the classic
    12-1 momentum skips the last month), and hold the best ``top`` at 1/top each. Symbols
    without a price at either end of the window are not ranked; ties go to the earlier
    column (``weights``) or symbol (``compute_weights``).
    """

    lookback: int = 126
    top: int = 5
    skip: int = 0
    rebalance_every: int = 21
    _history: list[dict[Symbol, int]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_int(self.lookback, "lookback", lo=1, hi=1 << 31, expected="an int >= 1")
        check_int(self.top, "top", lo=1, hi=1 << 31, expected="an int >= 1")
        check_int(self.skip, "skip", lo=0, hi=1 << 31, expected="an int >= 0")
        check_int(self.rebalance_every, "rebalance_every", lo=1, hi=1 << 31, expected="an int >= 1")

    @property
    def warmup(self) -> int:
        """Bars of history needed before the first rebalance."""
        return self.lookback + self.skip

    def _row(self, now: np.ndarray, then: np.ndarray) -> np.ndarray:
        """Weights from the prices at both ends of the window (NaN: not ranked)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            score = now / then - 1.0
        score[~np.isfinite(score)] = -np.inf
        ranked = np.isfinite(score)
        out = np.zeros(len(now))
        k = min(self.top, int(ranked.sum()))
        if k:
            # stable ranking: ties go to the earlier column
            best = np.argsort(-score, kind="stable")[:k]
            out[best] = 1.0 / k
        return out

    def weights(self, close: Any) -> Any:
        """Return the whole schedule for ``close`` (NaN rows: no rebalance)."""
        arr, wrap = _close_array(close)
        out = np.full(arr.shape, np.nan)
        for t in range(self.warmup, len(arr)):
            if (t - self.warmup) % self.rebalance_every == 0:
                out[t] = self._row(arr[t - self.skip], arr[t - self.skip - self.lookback])
        return wrap(out)

    def compute_weights(
        self, bar_index: int, prices: Mapping[Symbol, int], portfolio: Portfolio
    ) -> Targets:
        """Bar by bar: the same weights as ``weights``, from the prices seen so far.

        The strategy keeps the bars it was shown (it restarts when ``bar_index`` is 0).
        """
        history = self._history
        if bar_index == 0:
            history.clear()
        history.append(dict(prices))
        t = bar_index
        if t < self.warmup or (t - self.warmup) % self.rebalance_every:
            return None
        symbols = sorted(set().union(*history[t - self.warmup : t + 1]))
        now = np.array([history[t - self.skip].get(s, math.nan) for s in symbols], float)
        then = np.array([history[t - self.warmup].get(s, math.nan) for s in symbols], float)
        row = self._row(now, then)
        return [(s, float(w)) for s, w in zip(symbols, row, strict=True) if w and s in prices]
