"""Gateway side of the command path: outside messages become ``Command`` records.

Every gateway (REST, WebSocket) calls these; a refusal is a ``ValidationError`` naming the
field and the value, raised before anything reaches the core.
"""

from __future__ import annotations

import re
from typing import Any

from tickbook.core import ValidationError
from tickbook.server._config import Market
from tickbook.server._ledger import BUY, SELL, Command

__all__ = ["ORDER_TYPES", "parse_cancel", "parse_modify", "parse_order", "parse_order_id"]

ORDER_TYPES = ("limit", "market", "stop", "stop_limit", "post_only", "iceberg")
_TIFS = ("gtc", "ioc", "fok")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_PRICED = frozenset({"limit", "stop_limit", "post_only", "iceberg"})
_STOPS = frozenset({"stop", "stop_limit"})
_KNOWN = frozenset(
    {
        "symbol",
        "side",
        "type",
        "price",
        "stop_price",
        "quantity",
        "time_in_force",
        "display_quantity",
        "client_order_id",
    }
)


def _refuse(field: str, expected: str, value: Any) -> ValidationError:
    return ValidationError(
        f"invalid `{field}`: expected {expected}, got {value!r}", field=field, value=value
    )


def _choice(body: dict[str, Any], key: str, options: tuple[str, ...], default: str | None) -> str:
    value = body.get(key, default)
    if value is None or not isinstance(value, str) or value.lower() not in options:
        raise _refuse(key, " or ".join(repr(o) for o in options), value)
    return value.lower()


def parse_order(market: Market, account: int, body: Any) -> Command:
    """Return the submit ``Command`` for an order message, or refuse it."""
    if not isinstance(body, dict):
        raise _refuse("body", "a JSON object", type(body).__name__)
    extra = sorted(set(body) - _KNOWN)
    if extra:
        raise _refuse(extra[0], f"only the fields {sorted(_KNOWN)}", body[extra[0]])
    spec = market.symbol(body.get("symbol", next(iter(market.symbols))))
    kind = _choice(body, "type", ORDER_TYPES, "limit")
    side = BUY if _choice(body, "side", ("buy", "sell"), None) == "buy" else SELL
    tif = _choice(body, "time_in_force", _TIFS, "ioc" if kind in ("market", "stop") else "gtc")
    fields: dict[str, Any] = {"type": kind, "side": side, "tif": tif}
    if "quantity" not in body:
        raise _refuse("quantity", "a quantity", None)
    fields["quantity"] = spec.lots(body["quantity"])
    for key, needed in (("price", kind in _PRICED), ("stop_price", kind in _STOPS)):
        if needed:
            if body.get(key) is None:
                raise _refuse(key, f"a price for a {kind} order", None)
            fields[key] = spec.ticks(body[key], key)
        elif body.get(key) is not None:
            raise _refuse(key, f"no {key} for a {kind} order", body[key])
    if kind in ("market", "stop") and tif != "ioc":
        raise _refuse("time_in_force", f"'ioc' for a {kind} order", tif)
    if kind == "post_only":
        if tif != "gtc":
            raise _refuse("time_in_force", "'gtc' for a post_only order", tif)
        fields["post_only"] = True
    if kind == "iceberg":
        if body.get("display_quantity") is None:
            raise _refuse("display_quantity", "a display quantity for an iceberg", None)
        shown = spec.lots(body["display_quantity"], "display_quantity")
        if shown >= fields["quantity"]:
            raise _refuse("display_quantity", "less than quantity", body["display_quantity"])
        fields["display_quantity"] = shown
    elif body.get("display_quantity") is not None:
        raise _refuse("display_quantity", "only for iceberg orders", body["display_quantity"])
    client_id = body.get("client_order_id")
    if client_id is not None:
        if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
            raise _refuse("client_order_id", "1-64 characters of [A-Za-z0-9_.:-]", client_id)
        fields["client_order_id"] = client_id
    return Command("submit", account, spec.name, fields)


def parse_order_id(value: Any) -> int:
    """Return an order id (a positive integer, or its decimal string), or refuse it."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if type(value) is not int or not 0 < value < (1 << 62):
        raise _refuse("order_id", "a positive integer", value)
    return value


def parse_cancel(account: int, order_id: Any) -> Command:
    """Return the cancel ``Command`` for an order id."""
    return Command("cancel", account, "", {"order_id": parse_order_id(order_id)})


def parse_modify(market: Market, ledger: Any, account: int, order_id: Any, body: Any) -> Command:
    """Return the modify ``Command`` (new price and quantity on the order's symbol grid)."""
    oid = parse_order_id(order_id)
    if not isinstance(body, dict):
        raise _refuse("body", "a JSON object", type(body).__name__)
    extra = sorted(set(body) - {"price", "quantity", "symbol"})
    if extra:
        raise _refuse(extra[0], "only price and quantity", body[extra[0]])
    rec = ledger.own_order(account, oid)  # another's id answers 404 like an unknown one
    spec = market.symbols[rec.symbol]
    for key in ("price", "quantity"):
        if body.get(key) is None:
            raise _refuse(key, f"a new {key}", None)
    fields = {
        "order_id": oid,
        "price": spec.ticks(body["price"]),
        "quantity": spec.lots(body["quantity"]),
    }
    return Command("modify", account, rec.symbol, fields)
