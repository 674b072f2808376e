"""What the Exchange answers: submit, cancel and modify results, trades, orders.

``SubmitResult`` and ``Trade`` come back on every hot call, so they are tuple subclasses built
straight from the kernel's answer (a frozen dataclass costs several times more to create);
their fields are read-only properties. The rarer results are frozen slotted dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from tickbook.core import OrderStatus, Side, TickbookError, TimeInForce, format_price

__all__ = [
    "BATCH_RESULT_DTYPE",
    "TRADE_DTYPE",
    "CancelResult",
    "ModifyResult",
    "Order",
    "StopOrder",
    "StopStatus",
    "StopSubmitResult",
    "SubmitResult",
    "Trade",
    "TradeLog",
    "trade_dtype",
]


def trade_dtype(time_field: str = "timestamp") -> np.dtype:
    """The one layout of trade rows (the book's trade log): ``Trade``'s fields, in order.

    An ``Exchange`` times trades by its logical clock (``timestamp``); a ``FeedBook`` by the
    feed's clock (``ts_ns``).
    """
    return np.dtype(
        [
            ("id", "i8"),
            ("price", "i8"),
            ("quantity", "i8"),
            ("aggressor_order_id", "i8"),
            ("passive_order_id", "i8"),
            (time_field, "i8"),
            ("aggressor_side", "i8"),
        ]
    )


#: Rows of ``Exchange.trades_array`` and of ``submit_batch``'s trades.
TRADE_DTYPE = trade_dtype()
#: One row per command of ``Exchange.submit_batch``: the command's answer and its trade rows.
BATCH_RESULT_DTYPE = np.dtype(
    [
        ("order_id", "i8"),
        ("error", "i8"),
        ("status", "i8"),
        ("filled", "i8"),
        ("resting", "i8"),
        ("cancelled", "i8"),
        ("trade_start", "i8"),
        ("trade_end", "i8"),
    ]
)
_STATUSES = tuple(OrderStatus)
_SIDES = tuple(Side)


def _px(ticks: int | None) -> str:
    # prices print as decimals (ticks of 0.01, as ``format_price``); the value stays ticks
    return "None" if ticks is None else format_price(ticks)


class Trade(tuple):
    """One execution: the resting order's price, the quantity, and both order ids.

    Fields: ``id``, ``price`` (ticks), ``quantity``, ``aggressor_order_id``,
    ``passive_order_id``, ``timestamp`` (logical clock), ``aggressor_side``.
    """

    __slots__ = ()

    id = property(itemgetter(0), doc="Trade id, increasing from 1.")
    price = property(itemgetter(1), doc="Price in ticks: the resting order's price.")
    quantity = property(itemgetter(2), doc="Quantity traded.")
    aggressor_order_id = property(itemgetter(3), doc="Id of the incoming order.")
    passive_order_id = property(itemgetter(4), doc="Id of the resting order.")
    timestamp = property(itemgetter(5), doc="Logical clock of the operation that traded.")

    @property
    def aggressor_side(self) -> Side:
        """Side of the incoming order."""
        return _SIDES[self[6]]

    @property
    def price_display(self) -> str:
        """The price as a decimal string (``format_price``: 10050 -> ``'100.50'``)."""
        return format_price(self[1])

    @property
    def trade_id(self) -> int:
        """Alias of ``id``."""
        return self[0]

    @staticmethod
    def vwap(trades: list[Trade]) -> float | None:
        """Return the volume-weighted average price (ticks) of ``trades``, ``None`` if empty."""
        volume = sum(t[2] for t in trades)
        if volume == 0:
            return None
        return sum(t[1] * t[2] for t in trades) / volume

    def __repr__(self) -> str:
        return (
            f"Trade(id={self[0]}, price={format_price(self[1])}, quantity={self[2]}, "
            f"aggressor={self[3]}, passive={self[4]}, side={_SIDES[self[6]].name.lower()})"
        )


class TradeLog:
    """The exchange's trade log as results see it.

    While the exchange lives, ``rows`` is its current trade array, read when asked (the
    kernels may grow or shrink it; rows keep their index). When the log is cleared or the
    exchange goes away, the log is frozen on the array that holds its rows, so a result's
    trades never go stale and a result does not keep a whole book alive.
    """

    __slots__ = ("_rows", "_state")

    def __init__(self, state: Any) -> None:
        self._state = state
        self._rows: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray:
        """The array holding the log's rows."""
        return self._rows if self._rows is not None else self._state.tr

    def freeze(self) -> None:
        """Keep the current rows and let go of the book (before the log is replaced)."""
        if self._rows is None:
            self._rows = self._state.tr
            self._state = None

    @classmethod
    def of_rows(cls, rows: np.ndarray) -> TradeLog:
        """Return a frozen log on ``rows`` (no book behind it)."""
        log = cls(None)
        log._rows = rows
        return log

    def __reduce__(self) -> tuple[Any, ...]:
        return TradeLog.of_rows, (np.array(self.rows, copy=True),)

    def trades(self, lo: int, hi: int) -> list[Trade]:
        """Return rows ``[lo, hi)`` as ``Trade`` objects."""
        new = tuple.__new__
        return [new(Trade, row) for row in self.rows[lo:hi].tolist()]


class SubmitResult(tuple):
    """What happened to a submitted order, at once.

    Fields: ``order_id``, ``status``, ``trades`` (the order's own fills, as the aggressor),
    ``filled_quantity``, ``resting_quantity``, ``cancelled_quantity``. The three quantities
    add up to the order's quantity.
    """

    __slots__ = ()

    order_id = property(itemgetter(0), doc="The id the exchange gave the order.")
    filled_quantity = property(itemgetter(2), doc="Quantity traded at once.")
    resting_quantity = property(itemgetter(3), doc="Quantity left resting on the book.")
    cancelled_quantity = property(itemgetter(4), doc="Quantity cancelled (IOC, FOK, STP, ...).")

    @property
    def status(self) -> OrderStatus:
        """Order status right after the submit."""
        return _STATUSES[self[1]]

    @property
    def trades(self) -> list[Trade]:
        """The trades in which this order was the aggressor."""
        if self[5] == self[6]:
            return []
        return self[7].trades(self[5], self[6])

    @property
    def trade_count(self) -> int:
        """Number of trades, without building them."""
        return self[6] - self[5]

    def __reduce__(self) -> tuple[Any, ...]:
        # a copy or a pickle keeps the order's own trade rows, not the book's whole log
        lo, hi = self[5], self[6]
        log = TradeLog.of_rows(np.array(self[7].rows[lo:hi], copy=True)) if hi > lo else None
        return _rebuild, (SubmitResult, (*self[:5], 0, hi - lo, log))

    def __copy__(self) -> SubmitResult:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> SubmitResult:
        f, args = self.__reduce__()
        return f(*args)

    def __repr__(self) -> str:
        return (
            f"SubmitResult(order_id={self[0]}, status={_STATUSES[self[1]].name}, "
            f"filled={self[2]}, resting={self[3]}, cancelled={self[4]}, "
            f"trades={self[6] - self[5]})"
        )


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    return tuple.__new__(cls, values)


class CancelResult(tuple):
    """Outcome of a cancel or a quantity reduction.

    Fields: ``success``, ``cancelled_quantity``, ``error`` (the refusal, from ``try_cancel``).
    """

    __slots__ = ()

    success = property(itemgetter(0), doc="Whether the order was cancelled (or reduced).")
    cancelled_quantity = property(itemgetter(1), doc="Quantity taken off the book.")
    error = property(itemgetter(2), doc="Why it failed (``try_cancel``), else None.")

    def __new__(
        cls, success: bool, cancelled_quantity: int, error: TickbookError | None = None
    ) -> CancelResult:
        return tuple.__new__(cls, (success, cancelled_quantity, error))

    def __repr__(self) -> str:
        if self[0]:
            return f"CancelResult(success=True, cancelled_quantity={self[1]})"
        return f"CancelResult(success=False, error={self[2]!r})"


@dataclass(frozen=True, slots=True)
class ModifyResult:
    """Outcome of a cancel-and-replace: the old order's remainder and the new order."""

    success: bool
    old_order_id: int
    new_order_id: int | None
    cancelled_quantity: int
    submit: SubmitResult | None = None
    error: TickbookError | None = None

    @property
    def trades(self) -> list[Trade]:
        """Trades of the replacement order as the aggressor."""
        return self.submit.trades if self.submit is not None else []


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the book holds it (``price`` is ``None`` for a market order)."""

    id: int
    side: Side
    price: int | None
    original_quantity: int
    remaining_quantity: int
    filled_quantity: int
    cancelled_quantity: int
    status: OrderStatus
    time_in_force: TimeInForce
    timestamp: int
    owner: int = 0
    display_quantity: int | None = None
    visible_quantity: int = 0
    post_only: bool = False

    def __repr__(self) -> str:
        extra = f", owner={self.owner}" if self.owner else ""
        if self.display_quantity:
            extra += f", display={self.display_quantity}, visible={self.visible_quantity}"
        if self.post_only:
            extra += ", post_only=True"
        return (
            f"Order(id={self.id}, side={self.side.name.lower()}, price={_px(self.price)}, "
            f"status={self.status.name}, original={self.original_quantity}, "
            f"remaining={self.remaining_quantity}, filled={self.filled_quantity}, "
            f"cancelled={self.cancelled_quantity}, tif={self.time_in_force.name.lower()}, "
            f"timestamp={self.timestamp}{extra})"
        )


class StopStatus:
    """Lifecycle of a stop order: waiting, turned into an order, or cancelled."""

    PENDING = "pending"
    TRIGGERED = "triggered"
    CANCELLED = "cancelled"

    ALL = (PENDING, TRIGGERED, CANCELLED)


@dataclass(frozen=True, slots=True)
class StopSubmitResult:
    """The id of a new stop order and whether it is still pending."""

    order_id: int
    status: str


@dataclass(frozen=True, slots=True)
class StopOrder:
    """A stop order; once triggered it is an order with the same id (see ``get_order``)."""

    id: int
    side: Side
    stop_price: int
    limit_price: int | None
    quantity: int
    time_in_force: TimeInForce
    status: str
    timestamp: int
    trail_method: str | None = None
    trail_value: float | int | None = None
    atr_period: int | None = None

    def __repr__(self) -> str:
        trail = ""
        if self.trail_method is not None:
            trail = f", trail={self.trail_method}:{self.trail_value}"
            if self.atr_period:
                trail += f"/{self.atr_period}"
        return (
            f"StopOrder(id={self.id}, side={self.side.name.lower()}, "
            f"stop_price={_px(self.stop_price)}, limit_price={_px(self.limit_price)}, "
            f"quantity={self.quantity}, tif={self.time_in_force.name.lower()}, "
            f"status={self.status}, timestamp={self.timestamp}{trail})"
        )
