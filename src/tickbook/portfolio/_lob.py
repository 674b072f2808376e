"""Order-book helpers of the portfolio: find each symbol's book, mark it, price a sweep."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from tickbook.core import Symbol
from tickbook.core._checks import refuse

if TYPE_CHECKING:
    from tickbook.book import Exchange

__all__ = ["books_of", "mark", "walk_cost"]


def books_of(exchanges: Any, symbols: set[Symbol]) -> dict[Symbol, Exchange]:
    """The book of each symbol that has one."""
    from tickbook.book import Exchange, MultiExchange

    out: dict[Symbol, Exchange] = {}
    if isinstance(exchanges, MultiExchange):
        for sym in symbols:
            book = exchanges.get(sym)
            if book is not None:
                out[sym] = book
        return out
    if not isinstance(exchanges, Mapping):
        raise refuse("exchanges", "a MultiExchange or a mapping of symbol to Exchange", exchanges)
    by_symbol = {Symbol(k): v for k, v in exchanges.items()}
    for sym in symbols:
        book = by_symbol.get(sym)
        if book is not None:
            if not isinstance(book, Exchange):
                raise refuse(f"exchanges[{sym}]", "an Exchange", book)
            out[sym] = book
    return out


def mark(book: Exchange) -> int | None:
    """The book's mid (rounded half up), else its one side, else its last trade."""
    bid, ask = book.best_bid_ask()
    if bid is not None and ask is not None:
        return (bid + ask + 1) // 2
    if bid is not None or ask is not None:
        return bid if ask is None else ask
    return book.last_trade_price()


def walk_cost(asks: np.ndarray, shares: int) -> int:
    """Cents to buy ``shares`` along the displayed ask levels (huge beyond them)."""
    cost = 0
    left = shares
    for price, qty, _ in asks.tolist():
        take = min(left, qty)
        cost += take * price
        left -= take
        if left == 0:
            return cost
    return 1 << 62  # more than the visible book holds: never affordable
