"""``MultiExchange``: independent books, one ``Exchange`` per symbol."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from tickbook.book._results import CancelResult, ModifyResult, SubmitResult
from tickbook.book.exchange import Exchange
from tickbook.core import Symbol

__all__ = ["MultiExchange"]


class MultiExchange:
    """One exchange per symbol, created by the first call on it that succeeds.

    Order ids are per symbol (each exchange counts from 1), so cancels and modifies name the
    symbol too. A refused call changes nothing: it creates no book. Copies (``copy.copy``,
    ``copy.deepcopy``, ``pickle``) hold independent copies of every book.
    """

    def __init__(self, **exchange_options: Any) -> None:
        Exchange(**exchange_options)  # refuse bad options now, not at the first order
        self._books: dict[Symbol, Exchange] = {}
        self._options = exchange_options

    def get_or_create(self, symbol: str) -> Exchange:
        """Return the exchange of ``symbol``, creating it if needed."""
        sym = Symbol(symbol)
        book = self._books.get(sym)
        if book is None:
            book = self._books[sym] = Exchange(**self._options)
        return book

    def get(self, symbol: str) -> Exchange | None:
        """Return the exchange of ``symbol`` if it exists."""
        return self._books.get(Symbol(symbol))

    def _call(self, symbol: str, method: str, *args: Any, **kwargs: Any) -> Any:
        sym = Symbol(symbol)
        book = self._books.get(sym)
        if book is not None:
            return getattr(book, method)(*args, **kwargs)
        book = Exchange(**self._options)
        result = getattr(book, method)(*args, **kwargs)  # a refusal raises: no book is kept
        self._books[sym] = book
        return result

    def submit_limit(self, symbol: str, *args: Any, **kwargs: Any) -> SubmitResult:
        """Submit a limit order on ``symbol`` (arguments as ``Exchange.submit_limit``)."""
        return self._call(symbol, "submit_limit", *args, **kwargs)

    def submit_market(self, symbol: str, *args: Any, **kwargs: Any) -> SubmitResult:
        """Submit a market order on ``symbol``."""
        return self._call(symbol, "submit_market", *args, **kwargs)

    def cancel(self, symbol: str, order_id: int) -> CancelResult:
        """Cancel an order of ``symbol``."""
        return self._call(symbol, "cancel", order_id)

    def modify(self, symbol: str, order_id: int, new_price: int, new_quantity: int) -> ModifyResult:
        """Modify an order of ``symbol`` (cancel and replace)."""
        return self._call(symbol, "modify", order_id, new_price, new_quantity)

    def best_prices(self) -> list[tuple[Symbol, int | None, int | None]]:
        """Return (symbol, best bid, best ask) for every symbol, in symbol order."""
        return [(sym, *self._books[sym].best_bid_ask()) for sym in sorted(self._books)]

    def symbols(self) -> list[Symbol]:
        """Return the symbols with a book, sorted."""
        return sorted(self._books)

    def __copy__(self) -> MultiExchange:
        return copy.deepcopy(self)

    def __len__(self) -> int:
        return len(self._books)

    def __iter__(self) -> Iterator[Symbol]:
        return iter(sorted(self._books))

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and Symbol.try_new(symbol) in self._books

    def __repr__(self) -> str:
        return f"MultiExchange(symbols={[str(s) for s in self.symbols()]})"
