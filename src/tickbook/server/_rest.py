"""REST gateway: the reference's paths plus orders, balances, fills, trades and books.

Handlers parse and authenticate, build a ``Command`` and hand it to the core; they never touch
a book. Errors answer 4xx with ``{"error", "field", "value", "message"}``.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.params import HeaderParameter

from tickbook.core import OrderNotActive, TickbookError, UnknownOrder, ValidationError
from tickbook.server._core import Core, Overloaded, Unavailable
from tickbook.server._ledger import InsufficientFunds, LimitExceeded
from tickbook.server._parse import parse_cancel, parse_modify, parse_order, parse_order_id

log = logging.getLogger("tickbook.server")

__all__ = ["ROUTES", "describe", "error_response", "hash_key"]

Number = str | int | float
ApiKey = Annotated[str | None, HeaderParameter(name="X-API-Key", required=False)]
_UNSET = msgspec.UNSET


class OrderRequest(msgspec.Struct, forbid_unknown_fields=True):
    """An order: prices and quantities as decimal strings or numbers."""

    side: str
    quantity: Number
    symbol: str | msgspec.UnsetType = _UNSET
    type: str | msgspec.UnsetType = _UNSET
    price: Number | msgspec.UnsetType | None = _UNSET
    stop_price: Number | msgspec.UnsetType | None = _UNSET
    time_in_force: str | msgspec.UnsetType = _UNSET
    display_quantity: Number | msgspec.UnsetType | None = _UNSET
    client_order_id: str | msgspec.UnsetType | None = _UNSET


class ModifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A new price and quantity for a resting order (it gets a new id)."""

    price: Number
    quantity: Number


class SimulationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The reference's simulation request (plus a seed)."""

    num_orders: int = 1000
    seed: int = 1


def hash_key(key: str) -> str:
    """Return the stored form of an API key (sha256, hex)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _core(request: Request) -> Core:
    return request.app.state.core


def _account(request: Request, api_key: str | None) -> int:
    if not api_key:
        raise NotAuthorizedException("missing X-API-Key header")
    account = _core(request).ledger.by_key.get(hash_key(api_key))
    if account is None:  # the key itself is never logged
        log.info("refused an unknown API key on %s %s", request.method, request.url.path)
        raise NotAuthorizedException("unknown API key")
    return account


def _body(struct: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not _UNSET}


def describe(exc: TickbookError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Return (HTTP status, JSON body, headers) for a refusal."""
    headers: dict[str, str] = {}
    if isinstance(exc, Overloaded):
        status, code = 503, "overloaded"
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        status, code = 503, "unavailable"
        headers["Retry-After"] = "5"
    elif isinstance(exc, UnknownOrder):
        status, code = 404, "not_found"
    elif isinstance(exc, OrderNotActive):
        status, code = 409, "order_not_active"
    elif isinstance(exc, InsufficientFunds):
        status, code = 400, "insufficient_funds"
    elif isinstance(exc, LimitExceeded):
        status, code = (429, "rate_limited") if exc.field == "rate" else (400, "limit_exceeded")
    else:
        status, code = 400, "invalid_value"
    value = exc.value if isinstance(exc.value, str | int | float | bool | None) else repr(exc.value)
    return status, {"error": code, "field": exc.field, "value": value, "message": str(exc)}, headers


def error_response(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """Answer a refusal with a JSON body naming the field and the value."""
    if isinstance(exc, TickbookError):
        status, body, headers = describe(exc)
        return Response(body, status_code=status, headers=headers or None)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            status, "invalid_request"
        )
        body = {"error": code, "field": None, "value": None, "message": exc.detail}
        if getattr(exc, "extra", None):
            body["detail"] = exc.extra
        return Response(body, status_code=status, headers=getattr(exc, "headers", None) or None)
    log.error("unexpected error on %s", request.url.path, exc_info=exc)  # a bug, not bad input
    return Response({"error": "internal", "message": "internal error"}, status_code=500)


@get("/api/health", sync_to_thread=False)
def health(request: Request) -> dict[str, Any]:
    """Service health (the reference's shape, plus the journal and its position)."""
    core = _core(request)
    return {
        "service": "tickbook",
        "status": "healthy" if core.failed is None else "failed",
        "journal": core.journal.kind,
        "seq": core.ledger.applied,
        "queue_depth": core.queue_depth(),
        "stats": core.stats,
        "market_data": {"subscribers": len(core.md.subscribers), "dropped": core.md.dropped},
    }


@get("/api/symbols", sync_to_thread=False)
def symbols(request: Request) -> list[dict[str, Any]]:
    """The tradable symbols and their grids."""
    return [
        {
            "symbol": s.name,
            "base": s.base.name,
            "quote": s.quote.name,
            "tick_size": str(s.tick_size),
            "lot_size": str(s.lot_size),
            "min_price": s.price(s.min_ticks),
            "max_price": s.price(s.max_ticks),
            "min_quantity": s.qty(s.min_lots),
            "max_quantity": s.qty(s.max_lots),
        }
        for s in _core(request).market.symbols.values()
    ]


@post("/api/orders", status_code=200)
async def submit_order(request: Request, data: OrderRequest, api_key: ApiKey) -> dict[str, Any]:
    """Submit an order (limit, market, stop, stop_limit, post_only, iceberg)."""
    core = _core(request)
    cmd = parse_order(core.market, _account(request, api_key), _body(data))
    answer = await core.execute(cmd)
    return {"success": True, "message": "Order placed successfully", **answer}


@get("/api/orders", sync_to_thread=False)
def open_orders(
    request: Request, api_key: ApiKey, symbol: str | None = None
) -> list[dict[str, Any]]:
    """The account's open orders (pending stops included)."""
    core = _core(request)
    account = _account(request, api_key)
    if symbol is not None:
        core.market.symbol(symbol)
    ledger = core.ledger
    return [
        ledger.view(rec)
        for rec in ledger.orders.values()
        if rec.account == account and not rec.closed and (symbol is None or rec.symbol == symbol)
    ]


@get("/api/orders/{order_id:str}", sync_to_thread=False)
def get_order(request: Request, order_id: str, api_key: ApiKey) -> dict[str, Any]:
    """One of the account's orders (another account's id answers 404 like an unknown one)."""
    core = _core(request)
    account = _account(request, api_key)
    return core.ledger.view(core.ledger.own_order(account, parse_order_id(order_id)))


@delete("/api/orders/{order_id:str}", status_code=200)
async def cancel_order(request: Request, order_id: str, api_key: ApiKey) -> dict[str, Any]:
    """Cancel one of the account's orders."""
    core = _core(request)
    return await core.execute(parse_cancel(_account(request, api_key), order_id))


@patch("/api/orders/{order_id:str}")
async def modify_order(
    request: Request, order_id: str, data: ModifyRequest, api_key: ApiKey
) -> dict[str, Any]:
    """Replace a resting limit order's price and quantity (the replacement gets a new id)."""
    core = _core(request)
    account = _account(request, api_key)
    cmd = parse_modify(core.market, core.ledger, account, order_id, _body(data))
    return await core.execute(cmd)


@get("/api/balances", sync_to_thread=False)
def balances(request: Request, api_key: ApiKey) -> list[dict[str, Any]]:
    """The account's balances: total, reserved by open orders, and free."""
    core = _core(request)
    account = _account(request, api_key)
    out = []
    for (owner, asset), (total, locked) in sorted(core.ledger.balances.items()):
        if owner == account:
            fmt = core.market.assets[asset].format
            out.append(
                {
                    "asset": asset,
                    "total": fmt(total),
                    "reserved": fmt(locked),
                    "free": fmt(total - locked),
                }
            )
    return out


def _page(before: int | None, limit: int) -> tuple[int, int]:
    if before is not None and before < 1:
        raise ValidationError(
            f"invalid `before`: expected >= 1, got {before}", field="before", value=before
        )
    if not 1 <= limit <= 1000:
        raise ValidationError(
            f"invalid `limit`: expected 1..1000, got {limit}", field="limit", value=limit
        )
    return (before or (1 << 62)), limit


def _trade_rows(core: Core, rows: list[tuple[Any, ...]], account: int | None) -> dict[str, Any]:
    out = []
    for tid, seq, sym, price, qty, side, buy_order, sell_order, buyer, _seller in rows:
        spec = core.market.symbols.get(sym)
        row = {
            "trade_id": tid,
            "seq": seq,
            "symbol": sym,
            "price": spec.price(price) if spec else str(price),
            "quantity": spec.qty(qty) if spec else str(qty),
            "side": side,
        }
        if account is not None:
            row["liquidity"] = "taker" if (side == "buy") == (buyer == account) else "maker"
            row["order_id"] = buy_order if buyer == account else sell_order
            row["order_side"] = "buy" if buyer == account else "sell"
        out.append(row)
    return {"trades": out, "next_before": out[-1]["trade_id"] if out else None}


@get("/api/trades")
async def trades(
    request: Request, symbol: str | None = None, before: int | None = None, limit: int = 100
) -> dict[str, Any]:
    """Trade history of a symbol from the journal, newest first; page with ``before``."""
    core = _core(request)
    spec = core.market.symbol(symbol if symbol is not None else next(iter(core.market.symbols)))
    b, n = _page(before, limit)
    return _trade_rows(core, await core.journal.trades_page(spec.name, b, n), None)


@get("/api/fills")
async def fills(
    request: Request, api_key: ApiKey, before: int | None = None, limit: int = 100
) -> dict[str, Any]:
    """The account's fills from the journal, newest first; page with ``before``."""
    core = _core(request)
    account = _account(request, api_key)
    b, n = _page(before, limit)
    return _trade_rows(core, await core.journal.fills_page(account, b, n), account)


@get("/api/orderbook", sync_to_thread=False)
def orderbook(
    request: Request, symbol: str | None = None, level: int = 2, depth: int = 20
) -> dict[str, Any]:
    """The book: level 1 (best bid/ask), 2 (price levels) or 3 (orders, no owners)."""
    core = _core(request)
    spec = core.market.symbol(symbol if symbol is not None else next(iter(core.market.symbols)))
    if level not in (1, 2, 3):
        raise ValidationError(
            f"invalid `level`: expected 1, 2 or 3, got {level}", field="level", value=level
        )
    if not 1 <= depth <= 1000:
        raise ValidationError(
            f"invalid `depth`: expected 1..1000, got {depth}", field="depth", value=depth
        )
    ex = core.ledger.exchanges[spec.name]
    bid, ask = ex.best_bid_ask()
    out: dict[str, Any] = {
        "symbol": spec.name,
        "best_bid": spec.price(bid) if bid else None,
        "best_ask": spec.price(ask) if ask else None,
        "spread": spec.price(ask - bid) if bid and ask else None,
        "seq": core.ledger.applied,
    }
    if level == 2:
        snap = ex.depth(1 if level == 1 else depth)
        out["bids"] = [[spec.price(p), spec.qty(q)] for p, q, _ in snap.bid_array.tolist()]
        out["asks"] = [[spec.price(p), spec.qty(q)] for p, q, _ in snap.ask_array.tolist()]
    elif level == 3:
        by_exch = core.ledger.by_exch
        for side, key in (("buy", "bids"), ("sell", "asks")):
            rows = ex.orders(side)[:depth].tolist()
            out[key] = [
                {
                    "order_id": by_exch[(spec.name, r[0])],
                    "price": spec.price(r[1]),
                    "quantity": spec.qty(r[2]),
                }
                for r in rows
            ]
    return out


@post("/api/simulation", status_code=200)
async def simulation(request: Request, data: SimulationRequest) -> dict[str, Any]:
    """Run the reference's load simulation on a fresh in-process engine (not the live books)."""
    import asyncio

    from tickbook.server._simulation import run_simulation

    core = _core(request)
    spec = next(iter(core.market.symbols.values()))
    metrics = await asyncio.get_running_loop().run_in_executor(
        None, run_simulation, spec, data.num_orders, data.seed
    )
    return {
        "success": True,
        "message": f"Simulation completed: {data.num_orders} orders processed",
        "metrics": metrics,
    }


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics(request: Request) -> Response[bytes]:
    """Prometheus metrics (text format)."""
    body = _core(request).metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


ROUTES = [
    metrics,
    health,
    symbols,
    submit_order,
    open_orders,
    get_order,
    cancel_order,
    modify_order,
    balances,
    trades,
    fills,
    orderbook,
    simulation,
]
