"""Event-driven runs: replay bars or ticks, route every order through a real ``Exchange``.

Each event updates prices (a bar updates every symbol, a tick one). Then, in this order:

1. orders whose latency has run out reach the book: the slippage model quotes the book the
   order meets from the *current* prices, and tickbook's matching engine fills it;
2. every ``decide_every`` events the strategy is asked for weights; its orders (sized at the
   current mid prices, sells first) wait ``latency`` events before they reach a book (with
   latency 0 they are routed at once) and replace any order still waiting;
3. the portfolio records the event's return at the mid prices (at decision events only).

Commission comes from the portfolio's ``CostModel``; the spread and depth from the book.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.backtest._slippage import SlippageModel, SpreadCross
from tickbook.backtest._strategy import Strategy, Targets
from tickbook.core import Symbol
from tickbook.core._checks import check_int, refuse
from tickbook.portfolio import CostModel, Metrics, Portfolio, compute_metrics

__all__ = ["EventFill", "EventResult", "run_event_driven"]


@dataclass(frozen=True, slots=True)
class EventFill:
    """One order filled by the book.

    ``decided`` is the event at which the strategy asked for it, ``event`` the one at which it
    reached the book; ``mid`` is the mid price then (ticks) and ``price`` the average fill,
    so ``(price / mid - 1) * sign(quantity)`` is what the order paid for liquidity.
    """

    event: int
    decided: int
    symbol: Symbol
    quantity: float
    price: float
    mid: float
    cost: int

    @property
    def slippage_bps(self) -> float:
        """Fill price against the mid on arrival, in basis points paid (positive = cost)."""
        return (self.price / self.mid - 1.0) * 1e4 * math.copysign(1.0, self.quantity)


@dataclass(frozen=True, slots=True, eq=False)
class EventResult:
    """What ``run_event_driven`` returns."""

    portfolio: Portfolio
    metrics: Metrics | None
    returns: np.ndarray
    equity_curve: np.ndarray  # cents: the initial cash, then one value per decision event
    fills: tuple[EventFill, ...]
    unfilled: tuple[tuple[int, Symbol, float], ...]  # (event, symbol, shares not traded)

    def fills_frame(self) -> Any:
        """Return the fills as a DataFrame, one row per fill."""
        import pandas as pd

        columns = ["event", "decided", "symbol", "quantity", "price", "mid", "cost"]
        rows = [[getattr(f, c) for c in columns] for f in self.fills]
        return pd.DataFrame(rows, columns=columns)


@dataclass
class _Quote:
    mid: float
    bid: float | None = None
    ask: float | None = None


def _stream(events: Any) -> tuple[list[Symbol], list[list[tuple[Symbol, _Quote]]]]:
    """Each event as the quotes it updates."""
    if type(events).__name__ == "DataFrame":
        cols = {str(c).lower() for c in events.columns}
        if {"symbol", "price"} <= cols:
            return _ticks(events)
        symbols = [Symbol(str(c)) for c in events.columns]
        values = events.to_numpy(dtype=np.float64)
        out = []
        for row in values:
            out.append([(symbols[j], _Quote(row[j])) for j in np.flatnonzero(np.isfinite(row))])
        return symbols, out
    if isinstance(events, str | bytes) or not hasattr(events, "__iter__"):
        raise refuse("events", "bars (a DataFrame or mappings) or a DataFrame of ticks", events)
    from tickbook.portfolio._inputs import price_map

    out = []
    seen: dict[Symbol, None] = {}
    for t, bar in enumerate(events):
        prices = price_map(bar, f"events[{t}]")
        seen.update(dict.fromkeys(prices))
        out.append([(s, _Quote(float(p))) for s, p in prices.items()])
    return list(seen), out


def _ticks(frame: Any) -> tuple[list[Symbol], list[list[tuple[Symbol, _Quote]]]]:
    lower = {str(c).lower(): c for c in frame.columns}
    sym = frame[lower["symbol"]].astype(str).to_numpy()
    price = frame[lower["price"]].to_numpy(dtype=np.float64)
    bid = frame[lower["bid"]].to_numpy(dtype=np.float64) if "bid" in lower else None
    ask = frame[lower["ask"]].to_numpy(dtype=np.float64) if "ask" in lower else None
    names: dict[str, Symbol] = {}
    out = []
    for k in range(len(sym)):
        if not (price[k] > 0 and math.isfinite(price[k])):
            raise refuse("events", "positive finite tick prices", f"{price[k]} at row {k}")
        s = names.get(sym[k])
        if s is None:
            s = names[sym[k]] = Symbol(sym[k])
        b = None if bid is None or not bid[k] > 0 else float(bid[k])
        a = None if ask is None or not ask[k] > 0 else float(ask[k])
        out.append([(s, _Quote(float(price[k]), b, a))])
    return list(names.values()), out


def run_event_driven(
    strategy: Strategy | Callable[[int, Mapping[Symbol, int], Portfolio], Targets],
    events: Any,
    initial_cash: int = 1_000_000_00,
    cost_model: CostModel | None = None,
    slippage: SlippageModel | None = None,
    latency: int = 0,
    periods_per_year: float = 252.0,
    risk_free: float = 0.0,
    decide_every: int = 1,
) -> EventResult:
    """Replay ``events`` and trade the strategy's weights through order books.

    Args:
        strategy: a ``Strategy`` or a function ``(event_index, prices, portfolio) -> targets``.
        events: bars (a DataFrame dates x symbols, or a list of symbol -> price mappings), or
            ticks (a DataFrame with ``symbol`` and ``price`` columns and optional ``bid`` and
            ``ask``), prices in ticks.
        initial_cash: starting cash in cents.
        cost_model: commission and minimum fee (slippage comes from the book).
        slippage: the model that quotes the books (``SpreadCross()`` by default).
        latency: events between a decision and its orders reaching the book.
        periods_per_year: for the metrics, per decision event.
        risk_free: risk-free return per decision event.
        decide_every: consult the strategy every this many events.
    """
    from tickbook.book import Exchange

    decide = getattr(strategy, "compute_weights", None)
    if decide is None:
        if not callable(strategy):
            raise refuse("strategy", "a Strategy or a callable", strategy)
        decide = strategy
    slippage = SpreadCross() if slippage is None else slippage
    if not isinstance(slippage, SlippageModel):
        raise refuse("slippage", "a slippage model (FixedBps, SpreadCross, ...)", slippage)
    latency = check_int(latency, "latency", lo=0, hi=1 << 31, expected="an integer >= 0")
    every = check_int(decide_every, "decide_every", lo=1, hi=1 << 31, expected="an int >= 1")
    _, stream = _stream(events)
    portfolio = Portfolio(initial_cash, cost_model)
    quotes: dict[Symbol, _Quote] = {}
    pending: deque[tuple[int, int, Symbol, float]] = deque()
    fills: list[EventFill] = []
    unfilled: list[tuple[int, Symbol, float]] = []

    def route(event: int) -> None:
        while pending and pending[0][0] <= event:
            _, decided, sym, shares = pending.popleft()
            q = quotes[sym]
            book = Exchange(record_events=False, order_capacity=64)
            slippage.quote(book, q.mid, q.bid, q.ask, shares > 0, int(abs(shares)))
            fill = portfolio.trade_on_book(sym, shares, book)
            got = 0.0 if fill is None else fill.quantity
            if fill is not None:
                fills.append(EventFill(event, decided, sym, got, fill.price, q.mid, fill.cost))
            if got != shares:
                unfilled.append((event, sym, shares - got))

    for e, updates in enumerate(stream):
        for sym, quote in updates:
            quotes[sym] = quote
        route(e)
        if e % every:
            continue
        prices = {s: max(1, round(q.mid)) for s, q in quotes.items()}
        targets = decide(e, prices, portfolio)
        if targets is not None:
            pending.clear()
            for sym, shares in portfolio.plan(targets, prices):
                pending.append((e + latency, e, sym, shares))
            route(e)
        portfolio.record_return(prices)
    returns = portfolio.returns()
    return EventResult(
        portfolio=portfolio,
        metrics=compute_metrics(returns, periods_per_year, risk_free),
        returns=returns,
        equity_curve=portfolio.equity_curve(),
        fills=tuple(fills),
        unfilled=tuple(unfilled),
    )
