"""The command channel: ROUTER (the engine) and DEALER (the controller) sockets.

ROUTER/DEALER rather than REQ/REP: a lost reply does not wedge the client (REQ would refuse to
send again), several controllers can talk to one engine, and replies are matched by
``request_id`` so a late answer to an abandoned request is discarded.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from tickbook.core import TickbookError
from tickbook.messaging._deps import require
from tickbook.messaging._errors import CommandTimeout, MessageError

__all__ = ["CommandClient", "CommandServer"]

log = logging.getLogger(__name__)


class CommandServer:
    """Answer ``Command``s on a bound ROUTER socket with a handler's ``Reply``.

    The handler takes a ``Command`` and returns a dict of state (``Reply.state``) or raises a
    ``TickbookError`` (the reply then says ``ok=False`` with the error's text). A malformed
    command is answered with ``ok=False`` naming the field; the server never dies of one.
    """

    def __init__(self, endpoint: str, *, context: Any = None) -> None:
        zmq = require("zmq")
        from tickbook.messaging import _schema

        self._schema = _schema
        self._zmq = zmq
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.ROUTER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.bind(endpoint)
        self.endpoint = self._sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.refused = 0

    def serve_once(self, handler: Callable[[Any], dict[str, Any]], timeout_s: float = 1.0) -> bool:
        """Answer at most one command within ``timeout_s``; return whether one came."""
        if not self._sock.poll(int(timeout_s * 1000)):
            return False
        frames = self._sock.recv_multipart()
        if len(frames) != 2:
            self.refused += 1
            log.warning("refused a command of %d frames", len(frames))
            return True
        identity, payload = frames
        s = self._schema
        try:
            command = s.decode_command(payload)
        except MessageError as exc:
            self.refused += 1
            reply = s.Reply(0, False, str(exc))
        else:
            try:
                state = handler(command)
                reply = s.Reply(command.request_id, True, "", dict(state or {}))
            except TickbookError as exc:
                reply = s.Reply(command.request_id, False, str(exc))
        self._sock.send_multipart([identity, s.encode(reply)])
        return True

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)

    def __enter__(self) -> CommandServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CommandClient:
    """Send ``Command``s to a ``CommandServer`` and wait for the matching ``Reply``."""

    def __init__(self, endpoint: str, *, context: Any = None) -> None:
        zmq = require("zmq")
        from tickbook.messaging import _schema

        self._schema = _schema
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._ids = itertools.count(1)

    def request(
        self, action: str, params: dict[str, Any] | None = None, *, timeout_s: float = 2.0
    ) -> Any:
        """Send ``action`` with ``params`` and return the ``Reply``; raise ``CommandTimeout``."""
        s = self._schema
        command = s.Command(action, next(self._ids), dict(params or {}))  # type: ignore[arg-type]
        s.decode_command(s.encode(command))  # refuse a bad action or parameter before sending
        self._sock.send(s.encode(command))
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            if not self._sock.poll(max(1, int(left * 1000))):
                break
            try:
                reply = s.decode_reply(self._sock.recv())
            except MessageError as exc:
                log.warning("refused a reply: %s", exc)
                continue
            if reply.request_id == command.request_id:
                return reply
        raise CommandTimeout(
            f"no reply to `{action}` within {timeout_s} s", field="timeout_s", value=timeout_s
        )

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)

    def __enter__(self) -> CommandClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
