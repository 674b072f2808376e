"""Level-2 views of a book: ``BookSnapshot`` and ``LevelSnapshot``, plus book analytics."""

from __future__ import annotations

from operator import itemgetter

import numpy as np

from tickbook.core import format_price

__all__ = ["BookSnapshot", "LevelSnapshot"]


class LevelSnapshot(tuple):
    """One price level: ``price`` (ticks), ``quantity`` (displayed), ``order_count``."""

    __slots__ = ()

    price = property(itemgetter(0), doc="Level price in ticks.")
    quantity = property(itemgetter(1), doc="Displayed quantity at the level.")
    order_count = property(itemgetter(2), doc="Orders queued at the level.")

    def __repr__(self) -> str:
        return f"Level(price={format_price(self[0])}, quantity={self[1]}, orders={self[2]})"


class BookSnapshot:
    """The book's levels at one moment: ``bids`` best (highest) first, ``asks`` lowest first.

    ``bid_array`` and ``ask_array`` hold the same levels as int64 arrays of shape (n, 3):
    price, quantity, order count. The snapshot never changes after it is taken.
    """

    __slots__ = ("_asks", "_bids", "_data", "_half", "_na", "_nb", "timestamp")

    def __init__(self, data: np.ndarray, half: int, nb: int, na: int, timestamp: int) -> None:
        # ``data`` holds the bids in rows [0, nb) and the asks in rows [half, half + na); the
        # snapshot owns it and hands out read-only views
        self._data = data
        self._half = half
        self._nb = nb
        self._na = na
        self.timestamp = timestamp
        self._bids: list[LevelSnapshot] | None = None
        self._asks: list[LevelSnapshot] | None = None

    @classmethod
    def from_arrays(
        cls, bid_array: np.ndarray, ask_array: np.ndarray, timestamp: int
    ) -> BookSnapshot:
        """Build a snapshot from (n, 3) arrays of price, quantity, order count."""
        half = max(len(bid_array), len(ask_array))
        data = np.zeros((2 * half, 3), np.int64)
        data[: len(bid_array)] = bid_array
        data[half : half + len(ask_array)] = ask_array
        return cls(data, half, len(bid_array), len(ask_array), timestamp)

    @property
    def bid_array(self) -> np.ndarray:
        """Bid levels as an int64 (n, 3) array: price, quantity, order count (read-only)."""
        view = self._data[: self._nb]
        view.flags.writeable = False
        return view

    @property
    def ask_array(self) -> np.ndarray:
        """Ask levels as an int64 (n, 3) array: price, quantity, order count (read-only)."""
        view = self._data[self._half : self._half + self._na]
        view.flags.writeable = False
        return view

    @property
    def bids(self) -> list[LevelSnapshot]:
        """Bid levels, highest price first."""
        if self._bids is None:
            self._bids = [tuple.__new__(LevelSnapshot, r) for r in self.bid_array.tolist()]
        return list(self._bids)

    @property
    def asks(self) -> list[LevelSnapshot]:
        """Ask levels, lowest price first."""
        if self._asks is None:
            self._asks = [tuple.__new__(LevelSnapshot, r) for r in self.ask_array.tolist()]
        return list(self._asks)

    def best_bid(self) -> int | None:
        """Return the highest bid price, if any."""
        return int(self._data[0, 0]) if self._nb else None

    def best_ask(self) -> int | None:
        """Return the lowest ask price, if any."""
        return int(self._data[self._half, 0]) if self._na else None

    def spread(self) -> int | None:
        """Return best ask minus best bid in ticks, if both sides exist."""
        bid, ask = self.best_bid(), self.best_ask()
        return None if bid is None or ask is None else ask - bid

    def mid_price(self) -> float | None:
        """Return the midpoint of the best prices, in ticks."""
        bid, ask = self.best_bid(), self.best_ask()
        return None if bid is None or ask is None else (bid + ask) / 2

    def total_bid_quantity(self) -> int:
        """Return the displayed quantity summed over the bid levels in the snapshot."""
        return int(self._data[: self._nb, 1].sum())

    def total_ask_quantity(self) -> int:
        """Return the displayed quantity summed over the ask levels in the snapshot."""
        return int(self._data[self._half : self._half + self._na, 1].sum())

    def imbalance(self) -> float | None:
        """Return (bid - ask) / (bid + ask) quantity in [-1, 1]; positive means buy pressure."""
        bid, ask = self.total_bid_quantity(), self.total_ask_quantity()
        total = bid + ask
        return None if total == 0 else (bid - ask) / total

    def weighted_mid(self) -> float | None:
        """Return the mid weighted by the opposite side's best size (leans to the thin side)."""
        if not len(self.bid_array) or not len(self.ask_array):
            return None
        bid, bid_qty = int(self.bid_array[0, 0]), int(self.bid_array[0, 1])
        ask, ask_qty = int(self.ask_array[0, 0]), int(self.ask_array[0, 1])
        return (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty)

    def __repr__(self) -> str:
        bid, ask = self.best_bid(), self.best_ask()
        return (
            f"BookSnapshot(bids={self._nb}, asks={self._na}, "
            f"best_bid={'None' if bid is None else format_price(bid)}, "
            f"best_ask={'None' if ask is None else format_price(ask)})"
        )
