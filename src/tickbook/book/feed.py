"""``FeedBook``: the level-3 book driven by a market-data feed (no matching).

It is the Exchange's book (same arrays, same level and queue code) keyed by the feed's own
order ids. Feeds say what happened (add, cancel, delete, execute, replace); the book applies
it. Use ``apply`` with an array of ``BOOK_EVENT_DTYPE`` for speed: one compiled loop.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from tickbook.book import _feed
from tickbook.book import _layout as lay
from tickbook.book._copying import state_arrays, state_from_arrays
from tickbook.book._jit import fast_kernel, new_state
from tickbook.book._results import trade_dtype
from tickbook.book.exchange import MAX_ORDER_CAPACITY
from tickbook.book.snapshot import BookSnapshot
from tickbook.core import (
    MAX_PRICE,
    MAX_QTY,
    CapacityError,
    InvalidOrder,
    Side,
    TickbookError,
    UnknownOrder,
    ValidationError,
    format_price,
    side_code,
)
from tickbook.core._checks import check_int, refuse

__all__ = ["BOOK_EVENT_DTYPE", "FeedBook", "FeedEventKind"]

BOOK_EVENT_DTYPE = _feed.BOOK_EVENT_DTYPE
_TRADE_DTYPE = trade_dtype("ts_ns")  # the Exchange's trade rows, timed by the feed


class FeedEventKind(enum.IntEnum):
    """The ``kind`` of a feed event."""

    ADD = _feed.FK_ADD  #: new resting order (order_id, side, price, qty)
    CANCEL = _feed.FK_CANCEL  #: remove ``qty`` from an order
    DELETE = _feed.FK_DELETE  #: remove an order
    EXECUTE = _feed.FK_EXECUTE  #: ``qty`` of an order traded at its price
    EXECUTE_AT_PRICE = _feed.FK_EXECUTE_AT_PRICE  #: traded at ``price``
    REPLACE = _feed.FK_REPLACE  #: order_id -> new_order_id at price/qty (back of queue)
    ADJUST_LEVEL = _feed.FK_ADJUST_LEVEL  #: +/- ``qty`` of anonymous quantity at a level
    TRADE = _feed.FK_TRADE  #: a trade print that does not touch the book
    CLEAR = _feed.FK_CLEAR  #: empty the book


_side = side_code
#: the most an id may be: higher ids are the book's own (anonymous level quantity)
MAX_FEED_ID = int(_feed.ANON_BASE) - 1
_PRICE = f"a positive integer (ticks) <= {MAX_PRICE}"


def _feed_refusal(code: int, names: dict[str, str], values: dict[str, Any]) -> TickbookError:
    """The error for a feed event's refusal ``code``; ``names`` maps roles to argument names."""
    if code == lay.E_UNKNOWN:
        oid = values["order_id"]
        return UnknownOrder(
            f"unknown `order_id`: {oid!r} is not on the book", field="order_id", value=oid
        )
    qty = names.get("qty", "qty")
    why = {
        lay.E_SIDE: ("side", "'buy' or 'sell'"),
        lay.E_PRICE: ("price", _PRICE),
        lay.E_QTY: (qty, f"an integer in [1, {MAX_QTY}]"),
        lay.E_NEW_QTY: (qty, "an integer from 1 to the order's open quantity"),
        lay.E_ORDER_ID: (names.get("id", "order_id"), f"an integer in [0, {MAX_FEED_ID}]"),
        lay.E_DUPLICATE: (names.get("id", "order_id"), "an id not already on the book"),
    }
    field, expected = why.get(code, ("kind", "a known feed event kind"))
    return refuse(field, expected, values.get(field), InvalidOrder)


def _i(value: Any, field: str) -> int:
    return check_int(value, field, lo=-(1 << 63), hi=(1 << 63) - 1, expected="an integer")


class FeedBook:
    """An order book rebuilt from a feed: orders keyed by the feed's ids, no matching.

    ``ts_ns`` arguments are the feed's timestamps (nanoseconds); trades carry them.
    """

    def __init__(self, order_capacity: int = 1024) -> None:
        capacity = check_int(
            order_capacity,
            "order_capacity",
            lo=16,
            hi=MAX_ORDER_CAPACITY,
            expected=f"an integer in [16, {MAX_ORDER_CAPACITY}] (the book grows past it)",
        )
        try:
            state = new_state(capacity, record_events=False)
        except MemoryError:
            raise CapacityError(
                f"no memory for `order_capacity` {order_capacity}",
                field="order_capacity",
                value=order_capacity,
            ) from None
        self._attach(state)

    def _attach(self, state: Any) -> None:
        self._st = state
        self._h = memoryview(self._st.hdr)
        self._event = fast_kernel(_feed.feed_event, self._st, 7)
        self._apply = _feed.feed_apply
        self._levels = _feed.level_of

    # copies: an independent book on copies of the arrays (book/_copying.py)
    def __copy__(self) -> FeedBook:
        return _restore(type(self), state_arrays(self._st))

    def __deepcopy__(self, memo: dict[int, Any]) -> FeedBook:
        return _restore(type(self), state_arrays(self._st))

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), state_arrays(self._st))

    def _run(self, kind: int, side: int, args: dict[str, Any], names: dict[str, str]) -> int:
        """Check ``args`` (the caller's values by argument name) and apply one event.

        ``names`` maps the event's roles (order_id, price, qty, id) to the argument names
        the caller used, so that a refusal names what the caller passed.
        """
        role = {"ts_ns": "ts_ns", "order_id": "order_id", "price": "price", "qty": "qty"}
        role.update(names)
        ints = {name: _i(value, name) for name, value in args.items()}
        code = self._event(
            self._st,
            ints.get("ts_ns", 0),
            kind,
            side,
            ints.get(role["order_id"], 0),
            ints.get(role["price"], 0),
            ints.get(role["qty"], 0),
            ints.get("new_order_id", 0),
        )
        if code < 0:
            raise _feed_refusal(code, names, {"order_id": args.get(role["order_id"]), **args})
        return code

    def add(self, order_id: int, side: Side | str, price: int, qty: int, ts_ns: int = 0) -> None:
        """Add a resting order at the back of its level's queue."""
        args = {"order_id": order_id, "price": price, "qty": qty, "ts_ns": ts_ns}
        self._run(_feed.FK_ADD, _side(side), args, {})

    def cancel(self, order_id: int, qty: int, ts_ns: int = 0) -> None:
        """Remove ``qty`` from an order (all of it removes the order)."""
        self._run(_feed.FK_CANCEL, 0, {"order_id": order_id, "qty": qty, "ts_ns": ts_ns}, {})

    def delete(self, order_id: int, ts_ns: int = 0) -> None:
        """Remove an order."""
        self._run(_feed.FK_DELETE, 0, {"order_id": order_id, "ts_ns": ts_ns}, {})

    def execute(self, order_id: int, qty: int, price: int | None = None, ts_ns: int = 0) -> None:
        """Record that ``qty`` of an order traded (at its price, or at ``price``)."""
        args = {"order_id": order_id, "qty": qty, "ts_ns": ts_ns}
        if price is None:
            self._run(_feed.FK_EXECUTE, 0, args, {})
        else:
            self._run(_feed.FK_EXECUTE_AT_PRICE, 0, {**args, "price": price}, {})

    def replace(
        self, order_id: int, new_order_id: int, price: int, qty: int, ts_ns: int = 0
    ) -> None:
        """Replace an order by a new one (same side) at the back of its level's queue."""
        args = {
            "order_id": order_id,
            "new_order_id": new_order_id,
            "price": price,
            "qty": qty,
            "ts_ns": ts_ns,
        }
        self._run(_feed.FK_REPLACE, 0, args, {"id": "new_order_id"})

    def adjust_level(self, side: Side | str, price: int, delta: int, ts_ns: int = 0) -> int:
        """Add (delta > 0) or remove anonymous quantity at a level; return what was not removed.

        For quantity the feed never showed as orders (a partial feed, a snapshot seed). Only
        anonymous quantity is removed; the shortfall is returned, never taken from known orders.
        """
        args = {"price": price, "delta": delta, "ts_ns": ts_ns}
        return self._run(_feed.FK_ADJUST_LEVEL, _side(side), args, {"qty": "delta"})

    def trade(
        self, side: Side | str, price: int, qty: int, order_id: int = 0, ts_ns: int = 0
    ) -> None:
        """Record a trade print that does not change the book (e.g. a hidden order traded)."""
        args = {"order_id": order_id, "price": price, "qty": qty, "ts_ns": ts_ns}
        self._run(_feed.FK_TRADE, _side(side), args, {})

    def apply(self, events: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Apply ``events[start:stop]`` (``BOOK_EVENT_DTYPE``) in one compiled loop.

        Returns one int64 answer per event applied: 0 for done, a negative code for an event
        refused (it changed nothing; the rest still run), and for ADJUST_LEVEL removals the
        quantity that could not be removed.
        """
        if not isinstance(events, np.ndarray) or events.dtype != BOOK_EVENT_DTYPE:
            got = getattr(events, "dtype", type(events).__name__)
            raise ValidationError(
                f"invalid `events`: expected BOOK_EVENT_DTYPE, got {got}",
                field="events",
                value=str(got),
            )
        events = np.ascontiguousarray(events.reshape(-1))
        n = len(events)
        stop = n if stop is None else check_int(stop, "stop", lo=0, hi=n, expected=f"0..{n}")
        start = check_int(start, "start", lo=0, hi=stop, expected=f"0..{stop}")
        out = np.zeros(n, np.int64)
        self._apply(self._st, events, start, stop, out)
        return out[start:stop]

    def clear(self) -> None:
        """Empty the book (trades are kept)."""
        _feed.feed_clear(self._st)

    # -- queries ------------------------------------------------------------------------------

    def best_bid_ask(self) -> tuple[int | None, int | None]:
        """Return (best bid, best ask), ``None`` for an empty side."""
        h = self._h
        return (h[lay.H_BEST] or None, h[lay.H_BEST + 1] or None)

    def depth(self, levels: int = 10) -> BookSnapshot:
        """Return the best ``levels`` levels of each side."""
        from tickbook.book._kernels import snapshot

        levels = check_int(levels, "levels", lo=1, hi=1 << 31, expected="a positive integer")
        levels = min(levels, max(self._h[lay.H_NLEV], self._h[lay.H_NLEV + 1], 1))
        out = np.empty((2 * levels, 3), np.int64)
        counts = snapshot(self._st, levels, out)
        return BookSnapshot(out, levels, counts >> 32, counts & 0xFFFFFFFF, self._h[lay.H_CLOCK])

    def level(self, side: Side | str, price: int) -> tuple[int, int]:
        """Return (displayed quantity, order count) at one price."""
        return self._levels(self._st, _side(side), _i(price, "price"))

    def order_count(self) -> int:
        """Return the number of resting orders (anonymous level quantity counts as one)."""
        return self._h[lay.H_NRESTING]

    def has_order(self, order_id: int) -> bool:
        """Return whether an order with this feed id rests on the book."""
        from tickbook.book._kernels import order_slot

        return order_slot(self._st, _i(order_id, "order_id")) >= 0

    def trades_array(self) -> np.ndarray:
        """Return the executions seen so far as a structured array (a copy)."""
        rows = self._st.tr[: self._h[lay.H_NTRADES]]
        return np.ascontiguousarray(rows).view(_TRADE_DTYPE).reshape(-1).copy()

    @property
    def ts_ns(self) -> int:
        """Timestamp of the last event applied."""
        return self._h[lay.H_CLOCK]

    def __repr__(self) -> str:
        bid, ask = (None if p is None else format_price(p) for p in self.best_bid_ask())
        return f"FeedBook(bid={bid}, ask={ask}, orders={self.order_count()}, ts_ns={self.ts_ns})"


def _restore(cls: type[FeedBook], arrays: tuple[np.ndarray, ...]) -> FeedBook:
    """Build a feed book on ``arrays`` (copies of a state's arrays): copy and unpickle."""
    book = cls.__new__(cls)
    book._attach(state_from_arrays(arrays))
    return book
