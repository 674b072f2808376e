"""ZeroMQ PUB/SUB with per-topic sequence numbers and gap reports."""

from __future__ import annotations

import collections
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.core import ValidationError
from tickbook.messaging._deps import require
from tickbook.messaging._errors import MessageError
from tickbook.messaging._ring import MD_RECORD_DTYPE

__all__ = ["Delivery", "Gap", "Publisher", "Subscriber", "fill_topic", "md_topic", "signal_topic"]

log = logging.getLogger(__name__)


def md_topic(symbol: str) -> str:
    """Return the market-data topic of ``symbol`` (quotes, trades, records): ``md.<SYMBOL>``."""
    return f"md.{symbol}"


def signal_topic(symbol: str) -> str:
    """Return the signal topic of ``symbol``: ``sig.<SYMBOL>``."""
    return f"sig.{symbol}"


def fill_topic(account: str) -> str:
    """Return the fill topic of ``account``: ``fill.<account>``."""
    return f"fill.{account}"


@dataclass(frozen=True, slots=True)
class Gap:
    """Messages ``first_missing`` to ``last_missing`` of (session, topic) never arrived.

    ``late_join`` is true where the subscriber had no position for the stream and its first
    message was not number 1 (it joined, or restarted without a position, after the start).
    """

    topic: str
    session: int
    first_missing: int
    last_missing: int
    late_join: bool = False

    @property
    def count(self) -> int:
        """Number of messages lost."""
        return self.last_missing - self.first_missing + 1


@dataclass(frozen=True, slots=True)
class Delivery:
    """One received publish: ``messages`` (a list of Structs, or a record array), ``seq`` first.

    ``gap`` is the loss detected just before this delivery on its stream, or ``None``.
    """

    topic: str
    session: int
    seq: int
    messages: list[Any] | np.ndarray
    gap: Gap | None = None

    @property
    def last_seq(self) -> int:
        """Sequence number of the last message in this delivery."""
        return self.seq + len(self.messages) - 1


class Publisher:
    """Publish messages on a bound ZeroMQ PUB socket; never blocks on slow subscribers.

    Each topic has its own sequence (1, 2, ...) within this publisher's ``session`` (the start
    time in ns), so a subscriber of a few topics still sees consecutive numbers. Beyond
    ``sndhwm`` queued messages for a subscriber, ZeroMQ drops that subscriber's messages (the
    subscriber sees a gap); the publisher goes on.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        name: str = "pub",
        sndhwm: int = 100_000,
        validate: bool = True,
        context: Any = None,
    ) -> None:
        zmq = require("zmq")
        from tickbook.messaging import _schema

        self._schema = _schema
        self._zmq = zmq
        self.name = name
        _schema.topic_bytes(f"hb.{name}")  # refuse a bad name now
        self.session = time.time_ns() ^ (os.getpid() << 48)
        self._validate = validate
        self._seq: dict[str, int] = {}
        self._topics: dict[str, bytes] = {}
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.PUB)
        self._sock.setsockopt(zmq.SNDHWM, sndhwm)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.bind(endpoint)
        self.endpoint = self._sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def publish(self, topic: str, message: Any) -> int:
        """Publish one message on ``topic``; return its sequence number."""
        return self._send(topic, [message], batch=False)

    def publish_batch(self, topic: str, messages: Sequence[Any]) -> int:
        """Publish ``messages`` as one frame (one sequence number each); return the first."""
        if len(messages) == 0:
            raise ValidationError("invalid `messages`: empty batch", field="messages", value=0)
        return self._send(topic, messages, batch=True)

    def publish_records(self, topic: str, records: np.ndarray) -> int:
        """Publish ``MD_RECORD_DTYPE`` records as raw bytes (no per-record encoding); first seq."""
        if not isinstance(records, np.ndarray) or records.dtype != MD_RECORD_DTYPE:
            raise ValidationError(
                "invalid `records`: expected a MD_RECORD_DTYPE array",
                field="records",
                value=getattr(records, "dtype", type(records).__name__),
            )
        if records.ndim != 1 or len(records) == 0:
            raise ValidationError(
                "invalid `records`: expected a non-empty 1-d array", field="records", value=None
            )
        head, seq = self._next(topic, len(records), self._schema.FLAG_RECORDS)
        self._sock.send(head + records.tobytes(), copy=False)
        return seq

    def heartbeat(self, ts_ns: int | None = None) -> int:
        """Publish a ``Heartbeat`` on ``hb.<name>``."""
        hb = self._schema.Heartbeat(self.name, time.time_ns() if ts_ns is None else ts_ns)
        return self.publish(f"hb.{self.name}", hb)

    def close(self) -> None:
        """Close the socket (messages still queued are dropped)."""
        self._sock.close(linger=0)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, topic: str, messages: Sequence[Any], *, batch: bool) -> int:
        s = self._schema
        body = s.encode(list(messages) if batch else messages[0])
        if self._validate:  # refuse what a subscriber would refuse, before numbering it
            s.decode_body(body, len(messages), batch)
        head, seq = self._next(topic, len(messages), s.FLAG_BATCH if batch else 0)
        self._sock.send(head + body, copy=len(body) < 4096)
        return seq

    def _next(self, topic: str, count: int, flags: int) -> tuple[bytes, int]:
        prefix = self._topics.get(topic)
        if prefix is None:
            prefix = self._topics[topic] = self._schema.topic_bytes(topic)
        seq = self._seq.get(topic, 0) + 1
        self._seq[topic] = seq + count - 1
        s = self._schema
        return prefix + s.HEADER.pack(s.MAGIC, s.VERSION, flags, count, self.session, seq), seq


class Subscriber:
    """Receive from one or more publishers, check sequence numbers, report gaps.

    ``topics`` are exact (``md.AAPL``); end one with ``*`` for a prefix (``md.*``). ``resume``
    takes ``positions()`` from an earlier run, so that a restarted subscriber reports exactly
    what it missed while down. Bad messages raise ``MessageError`` from ``recv`` and change
    nothing; ``deliveries()`` logs and counts them (``refused``) and goes on.
    """

    def __init__(
        self,
        endpoints: str | Iterable[str],
        topics: Iterable[str],
        *,
        rcvhwm: int = 100_000,
        resume: Mapping[tuple[int, str], int] | None = None,
        context: Any = None,
    ) -> None:
        zmq = require("zmq")
        from tickbook.messaging import _schema

        self._schema = _schema
        self._zmq = zmq
        self._next_seq: dict[tuple[int, str], int] = {k: v + 1 for k, v in (resume or {}).items()}
        self.gaps: list[Gap] = []
        self.refused: collections.deque[MessageError] = collections.deque(maxlen=100)
        self.received = 0
        self.refused_count = 0
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.SUB)
        self._sock.setsockopt(zmq.RCVHWM, rcvhwm)
        self._sock.setsockopt(zmq.LINGER, 0)
        for topic in topics:
            prefix = topic.endswith("*")
            wire = _schema.topic_bytes(topic[:-1] if prefix else topic)
            self._sock.setsockopt(zmq.SUBSCRIBE, wire[:-1] if prefix else wire)
        for endpoint in [endpoints] if isinstance(endpoints, str) else endpoints:
            self._sock.connect(endpoint)

    @property
    def lost(self) -> int:
        """Messages lost so far (sum of the gaps)."""
        return sum(g.count for g in self.gaps)

    def positions(self) -> dict[tuple[int, str], int]:
        """Return the last sequence number seen per (session, topic), for ``resume``."""
        return {k: v - 1 for k, v in self._next_seq.items()}

    def recv(self, timeout_s: float | None = 1.0) -> Delivery | None:
        """Return the next delivery, ``None`` after ``timeout_s``; raise ``MessageError``."""
        try:  # a ready message costs no poll (a syscall per message otherwise)
            frame = self._sock.recv(self._zmq.NOBLOCK)
        except self._zmq.Again:
            if timeout_s is not None and not self._sock.poll(int(timeout_s * 1000)):
                return None
            frame = self._sock.recv()
        return self._accept(frame)

    def deliveries(self, idle_timeout_s: float = 1.0) -> Iterator[Delivery]:
        """Yield deliveries until none comes for ``idle_timeout_s``; skip refused messages."""
        while True:
            try:
                delivery = self.recv(idle_timeout_s)
            except MessageError as exc:
                self.refused_count += 1
                self.refused.append(exc)
                log.warning("refused a message: %s", exc)
                continue
            if delivery is None:
                return
            yield delivery

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, buf: bytes) -> Delivery:
        s = self._schema
        topic, flags, count, session, seq, body = s.parse_frame(buf)
        key = (session, topic)
        expected = self._next_seq.get(key)
        if expected is not None and seq < expected:
            raise MessageError(
                f"invalid `seq`: {seq} on {topic!r} already seen (next expected {expected})",
                field="seq",
                value=seq,
            )
        if flags & s.FLAG_RECORDS:
            messages: Any = _records(body, count)
        else:
            messages = s.decode_body(body, count, bool(flags & s.FLAG_BATCH))
        gap = None
        if expected is None and seq > 1:
            gap = Gap(topic, session, 1, seq - 1, late_join=True)
        elif expected is not None and seq > expected:
            gap = Gap(topic, session, expected, seq - 1)
        if gap is not None:
            self.gaps.append(gap)
        self._next_seq[key] = seq + count
        self.received += count
        return Delivery(topic, session, seq, messages, gap)


def _records(body: memoryview, count: int) -> np.ndarray:
    if len(body) != count * MD_RECORD_DTYPE.itemsize:
        raise MessageError(
            f"invalid `records`: {len(body)} bytes for {count} records of "
            f"{MD_RECORD_DTYPE.itemsize}",
            field="records",
            value=len(body),
        )
    return np.frombuffer(body, dtype=MD_RECORD_DTYPE)
