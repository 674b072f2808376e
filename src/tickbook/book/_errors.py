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

__all__ = ["refusal", "row_refusal"]

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


def row_refusal(code: int, commands: Any, row: int) -> TickbookError:
    """Build the error for a refused command row: it names the row's field and its value."""
    c = commands[row]
    kind = int(c["kind"])
    side, price, qty, ref = int(c["side"]), int(c["price"]), int(c["qty"]), int(c["ref"])
    common = {"side": side, "owner": int(c["owner"]), "tif": int(c["tif"])}
    common.update(flags=int(c["flags"]), stp=int(c["flags"]) >> lay.STP_SHIFT)
    context: dict[str, Any] = {"kind": kind}
    if kind == lay.K_LIMIT:
        context.update(common, price=price, quantity=qty, display_quantity=ref)
    elif kind == lay.K_MARKET:
        context.update(common, quantity=qty)
    elif kind in (lay.K_CANCEL, lay.K_MODIFY, lay.K_REDUCE):
        context["order_id"] = ref
        if kind == lay.K_MODIFY:
            context.update(new_price=price, new_quantity=qty)
        elif kind == lay.K_REDUCE:
            context["new_quantity"] = qty
    elif kind in (lay.K_STOP_MARKET, lay.K_STOP_LIMIT, lay.K_TRAIL_MARKET, lay.K_TRAIL_LIMIT):
        context.update(common, stop_price=ref, quantity=qty)
        if kind in (lay.K_STOP_LIMIT, lay.K_TRAIL_LIMIT):
            context["limit_price"] = price
        if kind in (lay.K_TRAIL_MARKET, lay.K_TRAIL_LIMIT) and row + 1 < len(commands):
            params = commands[row + 1]
            if int(params["kind"]) == lay.K_TRAIL_PARAMS:
                context.update(trail_value=int(params["price"]), atr_period=int(params["qty"]))
    return refusal(code, **context)
