"""Domain types shared by every layer: sides, statuses, prices, symbols and errors."""

from tickbook.core._checks import MAX_PRICE, MAX_QTY
from tickbook.core._errors import (
    CapacityError,
    DataError,
    InvalidOrder,
    OrderNotActive,
    TickbookError,
    UnknownOrder,
    ValidationError,
)
from tickbook.core._numbers import MAX_NUMBER_TEXT, parse_decimal, parse_int
from tickbook.core._symbol import Symbol
from tickbook.core._types import (
    OrderId,
    OrderStatus,
    Price,
    Qty,
    SelfTradePrevention,
    Side,
    TimeInForce,
    TradeId,
    enum_code,
    format_price,
    parse_price,
    side_code,
    tif_code,
)

__all__ = [
    "MAX_NUMBER_TEXT",
    "MAX_PRICE",
    "MAX_QTY",
    "CapacityError",
    "DataError",
    "InvalidOrder",
    "OrderId",
    "OrderNotActive",
    "OrderStatus",
    "Price",
    "Qty",
    "SelfTradePrevention",
    "Side",
    "Symbol",
    "TickbookError",
    "TimeInForce",
    "TradeId",
    "UnknownOrder",
    "ValidationError",
    "enum_code",
    "format_price",
    "parse_decimal",
    "parse_int",
    "parse_price",
    "side_code",
    "tif_code",
]
