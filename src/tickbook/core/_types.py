"""Domain enums and units shared by every layer.

Money is integer: ``Price`` is a count of ticks (cents by default) and ``Qty`` a count of units.
The enums are ``IntEnum`` with stable values so that they live in ``int8`` arrays and work
inside Numba kernels; text goes through ``parse``.
"""

from __future__ import annotations

import enum
import operator
from decimal import Decimal
from typing import Any, TypeAlias

from tickbook.core._checks import MAX_PRICE, check_int, refuse
from tickbook.core._errors import ValidationError
from tickbook.core._numbers import parse_decimal

__all__ = [
    "OrderId",
    "OrderStatus",
    "Price",
    "Qty",
    "SelfTradePrevention",
    "Side",
    "TimeInForce",
    "TradeId",
    "enum_code",
    "enum_text",
    "format_price",
    "parse_price",
    "side_code",
    "tif_code",
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
        """Return the member for a member, its code, or its ASCII name in any case.

        The one rule for every enum argument in tickbook (``side``, ``tif``, ``stp``): a
        member; its name in any letter case, surrounding spaces ignored (``"sell"``,
        ``" SELL "``, ``"Sell"``); or its integer code (not a bool, not a float).
        """
        return cls(enum_code(cls, value))


def _field_of(cls: type) -> str:
    return {"Side": "side", "TimeInForce": "tif", "SelfTradePrevention": "stp"}.get(
        cls.__name__, cls.__name__.lower()
    )


#: per enum: the spellings looked up first (lower, UPPER and Capitalized names), str -> code
_TEXT: dict[type, dict[str, int]] = {}


def enum_text(cls: type[enum.IntEnum]) -> dict[str, int]:
    """Return the table of ``cls``'s common spellings (lower, UPPER, Capitalized) to codes.

    A hot path may look a ``str`` up here first and call ``enum_code`` when that misses; the
    table holds only ``str`` keys, so no number or bool can match a member by hash.
    """
    table = _TEXT.get(cls)
    if table is None:
        table = _TEXT[cls] = {}
        for m in cls:
            for name in (m.name.lower(), m.name, m.name.capitalize()):
                table[name] = int(m)
    return table


def enum_code(cls: type[enum.IntEnum], value: Any, field: str | None = None) -> int:
    """Return the integer code of ``value`` for enum ``cls`` (rule: see ``Side.parse``)."""
    if isinstance(value, str):  # str subclasses too (numpy.str_)
        table = enum_text(cls)
        code = table.get(value)
        if code is None and value.isascii():
            code = table.get(value.strip().lower())
        if code is not None:
            return code
    elif isinstance(value, cls):
        return int(value)
    elif not isinstance(value, bool | enum.Enum | float) and hasattr(value, "__index__"):
        try:
            code = operator.index(value)
        except TypeError:
            code = None
        if code is not None and code in cls._value2member_map_:
            return code
    names = ", ".join(repr(m.name.lower()) for m in cls)
    raise refuse(field or _field_of(cls), f"one of {names} (any case) or a {cls.__name__}", value)


def side_code(value: Any) -> int:
    """Return 0 (buy) or 1 (sell) for a side argument; refuse anything else naming ``side``."""
    return enum_code(Side, value, "side")


def tif_code(value: Any) -> int:
    """Return the ``TimeInForce`` code of a ``tif`` argument; refuse anything else."""
    return enum_code(TimeInForce, value, "tif")


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
    decimals = check_int(decimals, "decimals", lo=0, hi=18, expected="an integer in [0, 18]")
    d = parse_decimal(text, field)
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
