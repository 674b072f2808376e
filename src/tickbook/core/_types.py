"""Domain enums and units shared by every layer.

Money is integer: ``Price`` is a count of ticks (cents by default) and ``Qty`` a count of units.
The enums are ``IntEnum`` with stable values so that they live in ``int8`` arrays and work
inside Numba kernels; text goes through ``parse``.
"""

from __future__ import annotations

import enum
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from tickbook.core._checks import MAX_PRICE, refuse
from tickbook.core._errors import ValidationError

__all__ = [
    "OrderId",
    "OrderStatus",
    "Price",
    "Qty",
    "SelfTradePrevention",
    "Side",
    "TimeInForce",
    "TradeId",
    "format_price",
    "parse_price",
]

Price: TypeAlias = int
"""A price in integer ticks (cents unless the instrument says otherwise)."""
Qty: TypeAlias = int
"""A quantity in integer units (shares, contracts, lots)."""
OrderId: TypeAlias = int
TradeId: TypeAlias = int


class _Parsable(enum.IntEnum):
    @classmethod
    def parse(cls, value: Any) -> Any:
        """Return the member for a member, its name in any case, or its lower-case alias."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
        names = ", ".join(repr(m.name.lower()) for m in cls)
        raise refuse(_field_of(cls), f"one of {names}", value)


def _field_of(cls: type) -> str:
    return {"Side": "side", "TimeInForce": "tif", "SelfTradePrevention": "stp"}.get(
        cls.__name__, cls.__name__.lower()
    )


class Side(_Parsable):
    """Order side; ``BUY`` rests on the bid, ``SELL`` on the ask."""

    BUY = 0
    SELL = 1

    def opposite(self) -> Side:
        """Return the other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class TimeInForce(_Parsable):
    """What happens to the part of an order that does not trade at once."""

    GTC = 0  #: good till cancelled: the remainder rests
    IOC = 1  #: immediate or cancel: the remainder is cancelled
    FOK = 2  #: fill or kill: all of it trades at once, or none of it

    def can_rest(self) -> bool:
        """Return whether a remainder may rest on the book."""
        return self is TimeInForce.GTC

    def allows_partial(self) -> bool:
        """Return whether a partial fill is allowed."""
        return self is not TimeInForce.FOK


class OrderStatus(_Parsable):
    """Lifecycle of an order."""

    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLED = 3

    def is_active(self) -> bool:
        """Return whether the order still rests on the book."""
        return self <= OrderStatus.PARTIALLY_FILLED

    def is_terminal(self) -> bool:
        """Return whether nothing more can happen to the order."""
        return self >= OrderStatus.FILLED


class SelfTradePrevention(_Parsable):
    """What to do when an order would trade with a resting order of the same owner."""

    NONE = 0  #: self-trades are allowed
    CANCEL_NEWEST = 1  #: cancel the incoming order's remainder
    CANCEL_OLDEST = 2  #: cancel the resting order and keep matching
    CANCEL_BOTH = 3  #: cancel both
    DECREMENT = 4  #: reduce both by the smaller quantity, without a trade


def format_price(ticks: int, decimals: int = 2) -> str:
    """Format integer ticks as a decimal string: ``format_price(10050)`` -> ``'100.50'``."""
    sign = "-" if ticks < 0 else ""
    whole, frac = divmod(abs(int(ticks)), 10**decimals)
    return f"{sign}{whole}.{frac:0{decimals}d}" if decimals else f"{sign}{whole}"


def parse_price(text: str | int | Decimal, decimals: int = 2, field: str = "price") -> int:
    """Turn a decimal string into integer ticks exactly, never through a float.

    ``parse_price("100.50")`` -> ``10050``. A value that is not a whole number of ticks, or is
    not positive, raises ``ValidationError`` naming ``field``.
    """
    if isinstance(text, bool | float):
        raise refuse(field, "a decimal string or an int", text)
    try:
        d = Decimal(text.strip() if isinstance(text, str) else text)
    except (InvalidOperation, TypeError, ValueError):
        raise refuse(field, "a decimal number", text) from None
    if not d.is_finite():
        raise refuse(field, "a finite decimal number", text)
    ticks = d.scaleb(decimals)
    if ticks != ticks.to_integral_value():
        raise ValidationError(
            f"invalid `{field}`: {text!r} is not a whole number of ticks "
            f"(tick = {Decimal(1).scaleb(-decimals)})",
            field=field,
            value=text,
        )
    result = int(ticks)
    if not 0 < result <= MAX_PRICE:
        raise refuse(field, f"a positive price <= {format_price(MAX_PRICE, decimals)}", text)
    return result
