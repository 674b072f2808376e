"""Typed broker results and the order request: frozen slotted dataclasses, integer money.

Prices are integer cents (``*_cents``: hundredths of the account currency, or of the quote asset
at a crypto venue); quantities are integers in the broker's quantity unit (whole shares for
``SimBroker`` and ``IbkrBroker``, ``10**-qty_decimals`` of the base asset for ``BinanceBroker``:
``Instrument.qty_decimals`` says which). The result types also answer ``result["field"]`` and
``to_dict()``, so code written against the reference's dict results keeps working.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, fields
from typing import Any

from tickbook.core import MAX_PRICE, Side, TimeInForce, ValidationError
from tickbook.core._checks import check_int, refuse

__all__ = [
    "MAX_BROKER_QTY",
    "Account",
    "BrokerOrder",
    "BrokerOrderStatus",
    "Instrument",
    "OrderRequest",
    "OrderType",
    "Position",
    "Quote",
    "check_client_order_id",
    "check_symbol",
]

#: Largest accepted order quantity (units of the broker's quantity unit).
MAX_BROKER_QTY = (1 << 62) - 1

_SYMBOL = re.compile(r"[A-Za-z0-9._/-]{1,20}")
#: Binance's own rule for client order ids, applied to every broker (IBKR's orderRef is wider).
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")


def check_symbol(value: Any, field: str = "symbol") -> str:
    """Return ``value`` if it is a symbol string (1 to 20 of ``A-Z a-z 0-9 . _ / -``)."""
    if not isinstance(value, str) or not _SYMBOL.fullmatch(value):
        raise refuse(field, "1 to 20 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'", value)
    return value


def check_client_order_id(value: Any, field: str = "client_order_id") -> str:
    """Return ``value`` if it is a client order id (Binance's ``^[.A-Z:/a-z0-9_-]{1,36}$``)."""
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise refuse(field, "1 to 36 characters of A-Z, a-z, 0-9, '.', ':', '/', '_', '-'", value)
    return value


class _Named(enum.IntEnum):
    @classmethod
    def parse(cls, value: Any, field: str = "") -> Any:
        """Return the member for a member or its name in any case ('-' and ' ' read as '_')."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper().replace("-", "_").replace(" ", "_")
            member = cls.__members__.get(cls._aliases().get(key, key))
            if member is not None:
                return member
        names = ", ".join(repr(m.name.lower()) for m in cls)
        raise refuse(field or cls._field(), f"one of {names}", value)

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _field(cls) -> str:
        return cls.__name__.lower()


class OrderType(_Named):
    """What kind of order: market, limit, stop (market once triggered), stop-limit."""

    MARKET = 0
    LIMIT = 1
    STOP = 2
    STOP_LIMIT = 3

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"STOPLIMIT": "STOP_LIMIT", "STOP_MARKET": "STOP", "STOP_LOSS": "STOP"}

    @classmethod
    def _field(cls) -> str:
        return "order_type"


class BrokerOrderStatus(_Named):
    """Lifecycle of an order at a broker."""

    NEW = 0  #: accepted and working (a stop not yet triggered is NEW)
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLED = 3
    REJECTED = 4
    EXPIRED = 5  #: ended by the venue (an IOC remainder, a market order that found no liquidity)

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"CANCELED": "CANCELLED", "PENDING_CANCEL": "NEW"}

    @classmethod
    def _field(cls) -> str:
        return "status"

    def is_open(self) -> bool:
        """Return whether the order can still trade."""
        return self <= BrokerOrderStatus.PARTIALLY_FILLED

    def is_terminal(self) -> bool:
        """Return whether nothing more can happen to the order."""
        return self >= BrokerOrderStatus.FILLED


class _AsDict:
    """``result["field"]``, ``keys()`` and ``to_dict()`` for the reference's dict-shaped code."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> list[str]:
        """Return the field names."""
        return [f.name for f in fields(self)]  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (enums as their lower-case names)."""
        out = {}
        for key in self.keys():
            value = getattr(self, key)
            out[key] = value.name.lower() if isinstance(value, enum.Enum) else value
        return out


@dataclass(frozen=True, slots=True)
class Position(_AsDict):
    """A holding: ``quantity`` positive long, negative short; values in cents."""

    symbol: str
    quantity: int
    avg_cost_cents: int
    market_value_cents: int
    unrealized_pnl_cents: int


@dataclass(frozen=True, slots=True)
class Account(_AsDict):
    """Account totals in cents of ``currency``."""

    equity_cents: int
    buying_power_cents: int
    cash_cents: int
    gross_position_value_cents: int
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class Quote(_AsDict):
    """Top of book in cents; ``None`` where a side is empty or nothing traded yet."""

    symbol: str
    bid_cents: int | None
    ask_cents: int | None
    last_cents: int | None
    volume: int = 0

    @property
    def mid_cents(self) -> int | None:
        """Return the mid price rounded down, or ``None`` without both sides."""
        if self.bid_cents is None or self.ask_cents is None:
            return None
        return (self.bid_cents + self.ask_cents) // 2


@dataclass(frozen=True, slots=True)
class Instrument(_AsDict):
    """How a broker trades a symbol: units, increments and minimums.

    A price in cents must be a multiple of ``tick_cents``; a quantity a multiple of ``lot``, in
    ``[min_qty, max_qty]``, and ``price * quantity / 10**qty_decimals`` at least
    ``min_notional_cents``.
    """

    symbol: str
    qty_decimals: int = 0
    tick_cents: int = 1
    lot: int = 1
    min_qty: int = 1
    max_qty: int = MAX_BROKER_QTY
    min_notional_cents: int = 0

    def notional_cents(self, quantity: int, price_cents: int) -> int:
        """Return the value of ``quantity`` at ``price_cents``, in cents (rounded down)."""
        return quantity * price_cents // 10**self.qty_decimals


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order to send, validated at construction (nothing is sent for a refused request).

    ``limit_price_cents`` is required for limit and stop-limit orders and refused otherwise;
    ``stop_price_cents`` likewise for stop and stop-limit. ``client_order_id`` makes the
    submission idempotent: a broker answers a repeated id with the first order. Left ``None``,
    the broker assigns one.
    """

    symbol: str
    side: Side
    quantity: int
    order_type: OrderType = OrderType.MARKET
    limit_price_cents: int | None = None
    stop_price_cents: int | None = None
    client_order_id: str | None = None
    tif: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        check_symbol(self.symbol)
        set_ = object.__setattr__
        set_(self, "side", Side.parse(self.side))
        set_(self, "order_type", OrderType.parse(self.order_type))
        set_(self, "tif", TimeInForce.parse(self.tif))
        set_(self, "quantity", _positive(self.quantity, "quantity", MAX_BROKER_QTY, "units"))
        kind = self.order_type
        needs_limit = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
        for field, needed in (("limit_price_cents", needs_limit), ("stop_price_cents", needs_stop)):
            value = getattr(self, field)
            if needed:
                set_(self, field, _positive(value, field, MAX_PRICE, "cents"))
            elif value is not None:
                raise ValidationError(
                    f"invalid `{field}`: a {kind.name.lower()} order takes no {field}, "
                    f"got {value!r}",
                    field=field,
                    value=value,
                )
        if self.client_order_id is not None:
            check_client_order_id(self.client_order_id)

    @property
    def price_cents(self) -> int | None:
        """Return the price that bounds the order: the limit, else the stop, else ``None``."""
        limit = self.limit_price_cents
        return limit if limit is not None else self.stop_price_cents


def _positive(value: Any, field: str, hi: int, unit: str) -> int:
    return check_int(value, field, lo=1, hi=hi, expected=f"a positive integer ({unit}) <= {hi}")


@dataclass(frozen=True, slots=True)
class BrokerOrder(_AsDict):
    """An order as the broker holds it.

    ``order_id`` is the broker's id as a string; ``client_order_id`` is the caller's (or the
    broker-assigned) idempotency key. ``filled_value_cents`` is the traded value in cents (the
    average price is ``avg_price_cents``); ``ts_ns`` is the broker's time of the last change
    (``SimBroker``: its logical clock); ``commission_cents`` what the fills cost on top.
    """

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: int
    status: BrokerOrderStatus
    filled_quantity: int = 0
    filled_value_cents: int = 0
    limit_price_cents: int | None = None
    stop_price_cents: int | None = None
    tif: TimeInForce = TimeInForce.GTC
    qty_decimals: int = 0
    reason: str = ""
    ts_ns: int = 0
    commission_cents: int = 0

    @property
    def remaining_quantity(self) -> int:
        """Return the quantity still to trade (0 once terminal)."""
        return 0 if self.status.is_terminal() else self.quantity - self.filled_quantity

    @property
    def avg_price_cents(self) -> int | None:
        """Return the average fill price in cents (rounded half up), ``None`` before a fill."""
        if self.filled_quantity == 0:
            return None
        num = self.filled_value_cents * 10**self.qty_decimals
        return (2 * num + self.filled_quantity) // (2 * self.filled_quantity)

    @property
    def is_open(self) -> bool:
        """Return whether the order can still trade."""
        return self.status.is_open()
