"""Turn a kernel's refusal code into the error that names the refused field and value."""

from __future__ import annotations

from typing import Any

from tickbook.book import _layout as lay
from tickbook.core import (
    InvalidOrder,
    OrderNotActive,
    TickbookError,
    UnknownOrder,
    ValidationError,
)
from tickbook.core._checks import refuse

__all__ = ["refusal"]

_PRICE = f"a positive integer (ticks) <= {lay.MAX_PRICE}"
_QTY = f"a positive integer <= {lay.MAX_QTY}"
# code -> (fields to name, first one present wins; what was expected)
_WHY: dict[int, tuple[tuple[str, ...], str]] = {
    lay.E_SIDE: (("side",), "'buy' or 'sell'"),
    lay.E_PRICE: (("new_price", "limit_price", "price"), _PRICE),
    lay.E_QTY: (("new_quantity", "quantity"), _QTY),
    lay.E_TIF: (("tif",), "'gtc', 'ioc' or 'fok'"),
    lay.E_DISPLAY: (("display_quantity",), "an integer from 0 (no iceberg) to the quantity"),
    lay.E_OWNER: (("owner",), f"an integer in [0, {lay.MAX_OWNER}]"),
    lay.E_STP: (("stp",), "a SelfTradePrevention mode"),
    lay.E_FLAGS: (("flags",), "post-only and self-trade bits only"),
    lay.E_POST_ONLY_TIF: (("tif",), "'gtc' for a post-only order"),
    lay.E_STOP_PRICE: (("stop_price",), _PRICE),
    lay.E_TRAIL: (("trail_value",), "a valid trail for its method"),
    lay.E_PERIOD: (("atr_period",), f"an integer in [1, {lay.MAX_ATR_PERIOD}]"),
    lay.E_KIND: (("kind",), "a known command kind"),
    lay.E_NEW_QTY: (("new_quantity",), "at least 1 and below the order's open quantity"),
    lay.E_LEVEL_QTY: (
        ("new_quantity", "quantity"),
        f"a quantity that keeps its price level's total <= {lay.MAX_LEVEL_QTY}",
    ),
}


def refusal(code: int, **context: Any) -> TickbookError:
    """Build the error for refusal ``code``; ``context`` holds the caller's argument values."""
    if code == lay.E_UNKNOWN:
        oid = context.get("order_id")
        return UnknownOrder(
            f"unknown `order_id`: {oid!r} is not on the book", field="order_id", value=oid
        )
    if code == lay.E_NOT_ACTIVE:
        oid = context.get("order_id")
        return OrderNotActive(
            f"`order_id` {oid!r} is filled or cancelled", field="order_id", value=oid
        )
    fields, expected = _WHY.get(code, (("request",), "a valid request"))
    field = next((f for f in fields if f in context), fields[-1])
    error: type[ValidationError] = InvalidOrder if field != "request" else ValidationError
    return refuse(field, expected, context.get(field), error)
