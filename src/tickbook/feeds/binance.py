"""A Binance-style L2 book: a REST depth snapshot plus the diff-depth stream, kept in sync.

The synchronisation follows Binance's documented procedure for a local order book:

1. Buffer the diff events (``depthUpdate``: first id ``U``, last id ``u``; futures also ``pu``,
   the previous event's ``u``) that arrive before the snapshot.
2. On the snapshot (``lastUpdateId`` = L): drop buffered events with ``u <= L`` (futures:
   ``u < L``). If the first remaining one starts after L + 1 (futures: after L), the snapshot
   is too old: wait for another.
3. Load the snapshot, then apply the buffered and the following events. Spot: an event with
   ``u`` <= the book's id is old and dropped; one with ``U`` > id + 1 is a gap. Futures: each
   event's ``pu`` must equal the previous ``u``.
4. On a gap the book is out of sync: it clears, buffers again and asks ``snapshot_source``
   (when given) for a new snapshot.

Prices and quantities arrive as decimal strings; they become integer ticks and lots of the
symbol's tick size and lot (step) size, exactly (``Decimal``), and a value off the grid is a
``DataError``. Quantities are absolute; 0 removes the level. The book is a ``FeedBook`` whose
levels hold anonymous quantity (``adjust_level``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tickbook.core import DataError, ValidationError

__all__ = ["DepthBook", "DepthStats", "read_depth_recording", "to_units"]

_NUMBER = re.compile(r"\d+(\.\d+)?")


def to_units(text: Any, unit: Decimal, field: str) -> int:
    """Convert a decimal string to an exact integer count of ``unit`` (ticks or lots)."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        raise DataError(
            f"invalid `{field}`: expected a decimal string like '61837.63', got {text!r}",
            field=field,
            value=text,
        )
    count, rest = divmod(Decimal(text), unit)
    if rest:
        raise DataError(
            f"invalid `{field}`: {text} is not a multiple of {unit}", field=field, value=text
        )
    return int(count)


def _unit(value: Any, field: str) -> Decimal:
    try:
        unit = Decimal(str(value)) if not isinstance(value, float) else None
    except InvalidOperation:
        unit = None
    if unit is None or not unit.is_finite() or unit <= 0:
        raise ValidationError(
            f"invalid `{field}`: expected a positive decimal string, got {value!r}",
            field=field,
            value=value,
        )
    return unit


@dataclass(slots=True)
class DepthStats:
    """Counters of a ``DepthBook``: what the synchronisation did."""

    applied: int = 0  #: diff events applied to the book
    dropped: int = 0  #: events older than the book (u <= its update id), ignored
    buffered: int = 0  #: events buffered while waiting for a snapshot
    snapshots: int = 0  #: snapshots loaded
    stale_snapshots: int = 0  #: snapshots refused as older than the buffered events
    gaps: int = 0  #: continuity breaks (each one forces a new snapshot)


class DepthBook:
    """An L2 book synchronised from a depth snapshot and diff-depth events."""

    def __init__(
        self,
        tick_size: str | Decimal,
        lot_size: str | Decimal,
        *,
        futures: bool = False,
        snapshot_source: Callable[[], dict] | None = None,
        max_buffer: int = 100_000,
    ) -> None:
        from tickbook.book import FeedBook

        self.tick = _unit(tick_size, "tick_size")
        self.lot = _unit(lot_size, "lot_size")
        self.futures = bool(futures)
        self.snapshot_source = snapshot_source
        self.book = FeedBook()
        self.stats = DepthStats()
        self.last_update_id: int | None = None  #: ``u`` of the last event applied, or L
        self._buffer: deque[dict] = deque(maxlen=max_buffer)
        self._first = False  # the next event is the first after a snapshot

    @property
    def synced(self) -> bool:
        """Return whether the book is in sync (a snapshot loaded and no gap since)."""
        return self.last_update_id is not None

    # -- inputs -----------------------------------------------------------------------------

    def on_snapshot(self, snapshot: dict) -> bool:
        """Load a REST depth snapshot; return False when it is older than the buffered events."""
        last = _int(snapshot, "lastUpdateId")
        bids = self._levels(snapshot, "bids")
        asks = self._levels(snapshot, "asks")
        while self._buffer and self._older(self._buffer[0], last):
            self._buffer.popleft()
            self.stats.dropped += 1
        if self._buffer:
            first_u = _int(self._buffer[0], "U")
            if first_u > (last if self.futures else last + 1):
                self.stats.stale_snapshots += 1
                return False
        self.book.clear()
        for side, levels in ((0, bids), (1, asks)):
            for price, qty in levels:
                if qty:
                    self.book.adjust_level(side, price, qty)
        self.last_update_id = last
        self._first = True
        self.stats.snapshots += 1
        pending, self._buffer = list(self._buffer), deque(maxlen=self._buffer.maxlen)
        for event in pending:
            self.on_diff(event)
        return True

    def on_diff(self, event: dict) -> str:
        """Apply (or buffer, or drop) one ``depthUpdate``; return what happened.

        Answers ``"applied"``, ``"dropped"`` (older than the book), ``"buffered"`` (no
        snapshot yet) or ``"gap"`` (continuity broken: the book is cleared and waits for a
        snapshot, asked from ``snapshot_source`` when there is one).
        """
        if self.last_update_id is None:
            self._buffer.append(event)
            self.stats.buffered += 1
            return "buffered"
        first, last = _int(event, "U"), _int(event, "u")
        if self._older(event, self.last_update_id):
            self.stats.dropped += 1
            return "dropped"
        if self._first:
            ok = first <= (self.last_update_id if self.futures else self.last_update_id + 1)
        elif self.futures:
            ok = _int(event, "pu") == self.last_update_id
        else:
            ok = first == self.last_update_id + 1
        if not ok:
            self._gap(event)
            return "gap"
        bids, asks = self._levels(event, "b"), self._levels(event, "a")
        for side, levels in ((0, bids), (1, asks)):
            for price, qty in levels:
                have = self.book.level(side, price)[0]
                if qty != have:
                    self.book.adjust_level(side, price, qty - have)
        self.last_update_id = last
        self._first = False
        self.stats.applied += 1
        return "applied"

    def _older(self, event: dict, last: int) -> bool:
        u = _int(event, "u")
        return u < last if self.futures else u <= last

    def _gap(self, event: dict) -> None:
        self.stats.gaps += 1
        self.last_update_id = None
        self.book.clear()
        self._buffer.clear()
        self._buffer.append(event)
        self.stats.buffered += 1
        if self.snapshot_source is not None:
            self.on_snapshot(self.snapshot_source())

    def _levels(self, message: dict, key: str) -> list[tuple[int, int]]:
        rows = message.get(key)
        if not isinstance(rows, list):
            raise DataError(
                f"invalid `{key}`: expected a list of [price, qty], got {rows!r:.60}",
                field=key,
                value=rows,
            )
        out = []
        for row in rows:
            if not isinstance(row, list | tuple) or len(row) < 2:
                raise DataError(
                    f"invalid `{key}`: expected [price, qty], got {row!r:.60}", field=key, value=row
                )
            price = to_units(row[0], self.tick, "price")
            qty = to_units(row[1], self.lot, "qty")
            if price <= 0:
                raise DataError(
                    f"invalid `price`: expected > 0, got {row[0]!r}", field="price", value=row[0]
                )
            out.append((price, qty))
        return out

    # -- queries ----------------------------------------------------------------------------

    def best_bid_ask(self) -> tuple[int | None, int | None]:
        """Return (best bid, best ask) in ticks."""
        return self.book.best_bid_ask()

    def top(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """Return ((bid ticks, lots), (ask ticks, lots)) of the best levels."""
        snap = self.book.depth(1)
        bid = tuple(snap.bid_array[0, :2].tolist()) if len(snap.bid_array) else None
        ask = tuple(snap.ask_array[0, :2].tolist()) if len(snap.ask_array) else None
        return bid, ask  # type: ignore[return-value]


def _int(message: dict, key: str) -> int:
    value = message.get(key) if isinstance(message, dict) else None
    if type(value) is not int or value < 0:
        raise DataError(
            f"invalid `{key}`: expected a non-negative integer update id, got {value!r}",
            field=key,
            value=value,
        )
    return value


def read_depth_recording(path: str | Path) -> Iterator[tuple[int, str, dict]]:
    """Yield (receive time ns, kind, payload) from a recording of ``<ns> <JSON>`` lines.

    ``kind`` is ``"snapshot"`` (a REST depth reply), ``"depth"``, ``"trade"`` or ``"bookTicker"``
    (the stream name's suffix); the payload is the JSON object (the ``data`` of a combined
    stream). Gzip files are read as they are.
    """
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from _records(handle)


def _records(lines: Iterable[str]) -> Iterator[tuple[int, str, dict]]:
    for n, line in enumerate(lines, 1):
        stamp, _, body = line.partition(" ")
        try:
            ts = int(stamp)
            obj = json.loads(body)
        except ValueError:
            raise DataError(
                f"corrupt depth recording: line {n} is {line[:60]!r}; expected '<ns> <JSON>'",
                field="line",
                value=n,
            ) from None
        if isinstance(obj, dict) and "lastUpdateId" in obj:
            yield ts, "snapshot", obj
        elif isinstance(obj, dict) and isinstance(obj.get("data"), dict):
            stream = str(obj.get("stream", ""))
            kind = "depth" if "@depth" in stream else stream.rpartition("@")[2]
            yield ts, kind, obj["data"]
        else:
            raise DataError(
                f"corrupt depth recording: line {n} is neither a snapshot nor a stream message",
                field="line",
                value=n,
            )
