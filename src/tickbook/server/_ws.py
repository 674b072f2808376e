"""WebSocket gateways: ``/ws/market`` (market data) and ``/ws/orders`` (order entry + events).

``/ws/market``: snapshots then deltas, every message with ``seq`` (see ``_market``); send
``{"op": "resync"}`` for fresh snapshots. A slow consumer is closed with code 1008 and the
reason. ``/ws/orders``: authenticate with the ``X-API-Key`` header or a first message
``{"op": "auth", "api_key": ...}``; then ``{"op": "submit", "req_id": ..., ...order}``,
``{"op": "cancel", "req_id", "order_id"}``, ``{"op": "modify", "req_id", "order_id", "price",
"quantity"}``. Answers: ``{"type": "ack", "req_id", "order_type", ...}`` (the order's
``type`` is ``order_type`` there) or ``{"type": "reject", "req_id",
"error", "field", "value", "message"}``; the account's order events arrive as
``{"type": "order", "event": accepted|partially_filled|filled|cancelled, ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from tickbook.core import TickbookError
from tickbook.server._core import Core
from tickbook.server._market import Subscriber
from tickbook.server._parse import parse_cancel, parse_modify, parse_order
from tickbook.server._rest import describe, hash_key

__all__ = ["WS_ROUTES"]

_encode = msgspec.json.encode
_decode = msgspec.json.decode


async def _pump(socket: WebSocket, sub: Subscriber) -> None:
    """Send the subscriber's messages until it is dropped; close with the reason."""
    while True:
        data = await sub.get()
        if data is None:
            with contextlib.suppress(Exception):
                await socket.send_data(_encode({"type": "dropped", "reason": sub.dropped}).decode())
                await socket.close(code=1008, reason=(sub.dropped or "dropped")[:120])
            return
        await socket.send_data(data.decode())


async def _serve(socket: WebSocket, sub: Subscriber, on_message: Any) -> None:
    pump = asyncio.create_task(_pump(socket, sub))
    try:
        while not pump.done():
            receive = asyncio.create_task(socket.receive_data(mode="text"))
            done, _ = await asyncio.wait({receive, pump}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                break
            await on_message(receive.result())
    except WebSocketDisconnect:
        pass
    finally:
        pump.cancel()
        with contextlib.suppress(BaseException):
            await pump


@websocket("/ws/market")
async def ws_market(socket: WebSocket) -> None:
    """Market data: ``order_book`` snapshots and deltas and ``trade`` messages, all with seq."""
    core: Core = socket.app.state.core
    await socket.accept()
    sub = core.md.subscribe(socket.app.state.ws_queue)

    async def on_message(text: str) -> None:
        try:
            msg = _decode(text)
        except msgspec.DecodeError:
            msg = None
        if isinstance(msg, dict) and msg.get("op") == "resync":
            core.md.send_snapshots(sub)
        elif isinstance(msg, dict) and msg.get("op") == "ping":
            sub.offer(b'{"type":"pong"}')
        else:
            sub.offer(_encode({"type": "error", "message": 'expected {"op": "resync"|"ping"}'}))

    try:
        await _serve(socket, sub, on_message)
    finally:
        core.md.unsubscribe(sub)


def _reject(req_id: Any, exc: TickbookError) -> bytes:
    _status, body, _headers = describe(exc)
    return _encode({"type": "reject", "req_id": req_id, **body})


async def _authenticate(socket: WebSocket, core: Core) -> int | None:
    key = socket.headers.get("x-api-key")
    if not key:
        try:
            first = _decode(await socket.receive_data(mode="text"))
        except (msgspec.DecodeError, WebSocketDisconnect):
            first = None
        if isinstance(first, dict) and first.get("op") == "auth":
            key = first.get("api_key")
    account = core.ledger.by_key.get(hash_key(key)) if isinstance(key, str) and key else None
    if account is None:
        with contextlib.suppress(Exception):
            await socket.send_data('{"type":"error","message":"unauthorized"}')
            await socket.close(code=1008, reason="unauthorized")
    return account


@websocket("/ws/orders")
async def ws_orders(socket: WebSocket) -> None:
    """Order entry over one connection, and the account's own order events."""
    core: Core = socket.app.state.core
    await socket.accept()
    account = await _authenticate(socket, core)
    if account is None:
        return
    sub = core.subscribe_account(account, socket.app.state.ws_queue)
    sub.offer(_encode({"type": "authenticated", "account": account}))
    inflight: set[asyncio.Task[None]] = set()

    async def run(req_id: Any, msg: dict[str, Any]) -> None:
        try:
            op = msg.pop("op", None)
            if op == "submit":
                cmd = parse_order(core.market, account, msg)
            elif op == "cancel":
                cmd = parse_cancel(account, msg.get("order_id"))
            elif op == "modify":
                cmd = parse_modify(
                    core.market, core.ledger, account, msg.pop("order_id", None), msg
                )
            else:
                raise TickbookError(
                    f"invalid `op`: expected submit, cancel or modify, got {op!r}",
                    field="op",
                    value=op,
                )
            answer = await core.execute(cmd)
            sub.offer(
                _encode({**answer, "order_type": answer["type"], "type": "ack", "req_id": req_id})
            )
        except TickbookError as exc:
            sub.offer(_reject(req_id, exc))

    async def on_message(text: str) -> None:
        try:
            msg = _decode(text)
        except msgspec.DecodeError:
            msg = None
        if not isinstance(msg, dict):
            sub.offer(
                _encode({"type": "reject", "req_id": None, "message": "expected a JSON object"})
            )
            return
        task = asyncio.create_task(run(msg.pop("req_id", None), msg))
        inflight.add(task)
        task.add_done_callback(inflight.discard)

    try:
        await _serve(socket, sub, on_message)
    finally:
        core.unsubscribe_account(account, sub)


WS_ROUTES = [ws_market, ws_orders]
