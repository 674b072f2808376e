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
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tickbook.core import DataError, ValidationError

__all__ = ["DepthBook", "DepthStats", "read_depth_recording", "to_units"]

# bounded before converting: at most 20 digits on each side of the point
_NUMBER = re.compile(r"\d{1,20}(\.\d{1,20})?")
_EXACT = Context(prec=80)  # exact for any bounded number divided by any bounded unit
_MAX_ID = (1 << 63) - 1
#: the book's limits (``tickbook.book._layout``; repeated so that this module loads no Numba)
_MAX_PRICE = (1 << 52) - 1
_MAX_QTY = (1 << 40) - 1


def to_units(text: Any, unit: Decimal, field: str) -> int:
    """Convert a decimal string to an exact integer count of ``unit`` (ticks or lots)."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        raise DataError(
            f"invalid `{field}`: expected a decimal string like '61837.63' (at most 20 "
            f"digits each side of the point), got {text!r:.60}",
            field=field,
            value=text,
        )
    count, rest = _EXACT.divmod(Decimal(text), unit)
    if rest:
        raise DataError(
            f"invalid `{field}`: {text} is not a multiple of {unit}", field=field, value=text
        )
    return int(count)


def _unit(value: Any, field: str) -> Decimal:
    text = str(value) if not isinstance(value, float | bool) else ""
    try:
        unit = Decimal(text) if len(text) <= 40 else None
    except InvalidOperation:
        unit = None
    if unit is None or not unit.is_finite() or unit <= 0 or not -20 <= unit.adjusted() <= 20:
        raise ValidationError(
            f"invalid `{field}`: expected a positive decimal string between 1e-20 and 1e20, "
            f"got {value!r:.60}",
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


class _Diff(NamedTuple):
    # one validated depthUpdate
    first: int  # U
    last: int  # u
    prev: int  # pu (futures), -1 otherwise
    levels: list[tuple[int, int, int]]  # (side, ticks, lots), bids first


class DepthBook:
    """An L2 book synchronised from a depth snapshot and diff-depth events.

    Every message is validated whole before it touches the book: a refused snapshot or
    event raises ``DataError`` naming the field and value and changes nothing. Each one that
    is applied becomes ``BOOK_EVENT_DTYPE`` rows (CLEAR, ADJUST_LEVEL) run by
    ``FeedBook.apply``, the compiled path every feed shares.
    """

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
        self._buffer: deque[_Diff] = deque(maxlen=max_buffer)
        self._first = False  # the next event is the first after a snapshot

    @property
    def synced(self) -> bool:
        """Return whether the book is in sync (a snapshot loaded and no gap since)."""
        return self.last_update_id is not None

    # -- inputs -----------------------------------------------------------------------------

    def on_snapshot(self, snapshot: dict) -> bool:
        """Load a REST depth snapshot; return False when it is older than the buffered events."""
        last = _int(snapshot, "lastUpdateId")
        levels = self._levels(snapshot, "bids", 0) + self._levels(snapshot, "asks", 1)
        keep = [d for d in self._buffer if not self._older(d, last)]
        if keep and keep[0].first > (last if self.futures else last + 1):
            self.stats.dropped += len(self._buffer) - len(keep)
            self._buffer = deque(keep, maxlen=self._buffer.maxlen)
            self.stats.stale_snapshots += 1
            return False
        self.stats.dropped += len(self._buffer) - len(keep)
        self._apply([(side, price, qty) for side, price, qty in levels if qty], clear=True)
        self.last_update_id = last
        self._first = True
        self.stats.snapshots += 1
        self._buffer = deque(maxlen=self._buffer.maxlen)
        for diff in keep:
            self._diff(diff)
        return True

    def on_diff(self, event: dict) -> str:
        """Apply (or buffer, or drop) one ``depthUpdate``; return what happened.

        Answers ``"applied"``, ``"dropped"`` (older than the book), ``"buffered"`` (no
        snapshot yet) or ``"gap"`` (continuity broken: the book is cleared and waits for a
        snapshot, asked from ``snapshot_source`` when there is one).
        """
        diff = self._parse(event)
        if self.last_update_id is None:
            self._buffer.append(diff)
            self.stats.buffered += 1
            return "buffered"
        return self._diff(diff)

    def _parse(self, event: dict) -> _Diff:
        first, last = _int(event, "U"), _int(event, "u")
        prev = _int(event, "pu") if self.futures else -1
        levels = self._levels(event, "b", 0) + self._levels(event, "a", 1)
        return _Diff(first, last, prev, levels)

    def _diff(self, diff: _Diff) -> str:
        last_id = self.last_update_id
        assert last_id is not None
        if self._older(diff, last_id):
            self.stats.dropped += 1
            return "dropped"
        if self._first:
            ok = diff.first <= (last_id if self.futures else last_id + 1)
        elif self.futures:
            ok = diff.prev == last_id
        else:
            ok = diff.first == last_id + 1
        if not ok:
            self._gap(diff)
            return "gap"
        self._apply(diff.levels, clear=False)
        self.last_update_id = diff.last
        self._first = False
        self.stats.applied += 1
        return "applied"

    def _apply(self, levels: list[tuple[int, int, int]], clear: bool) -> None:
        # absolute level quantities -> ADJUST_LEVEL deltas, applied in one compiled call
        from tickbook.book import BOOK_EVENT_DTYPE, FeedEventKind

        rows = [(0, int(FeedEventKind.CLEAR), 0, 0, 0, 0, 0)] if clear else []
        now: dict[tuple[int, int], int] = {}
        for side, price, qty in levels:
            have = now.get((side, price))
            if have is None:
                have = 0 if clear else self.book.level(side, price)[0]
            if qty != have:
                rows.append((0, int(FeedEventKind.ADJUST_LEVEL), side, 0, price, qty - have, 0))
            now[(side, price)] = qty
        if rows:
            answers = self.book.apply(np.array(rows, BOOK_EVENT_DTYPE))
            assert not (answers < 0).any(), "validated levels were refused"

    def _older(self, diff: _Diff, last: int) -> bool:
        return diff.last < last if self.futures else diff.last <= last

    def _gap(self, diff: _Diff) -> None:
        self.stats.gaps += 1
        self.last_update_id = None
        self.book.clear()
        self._buffer.clear()
        self._buffer.append(diff)
        self.stats.buffered += 1
        if self.snapshot_source is not None:
            self.on_snapshot(self.snapshot_source())

    def _levels(self, message: dict, key: str, side: int) -> list[tuple[int, int, int]]:
        rows = message.get(key) if isinstance(message, dict) else None
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
            if not 0 < price <= _MAX_PRICE:
                raise DataError(
                    f"invalid `price`: expected > 0 and at most {_MAX_PRICE} ticks of "
                    f"{self.tick}, got {row[0]!r}",
                    field="price",
                    value=row[0],
                )
            if qty > _MAX_QTY:
                raise DataError(
                    f"invalid `qty`: expected at most {_MAX_QTY} lots of {self.lot}, "
                    f"got {row[1]!r}",
                    field="qty",
                    value=row[1],
                )
            out.append((side, price, qty))
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
    if type(value) is not int or not 0 <= value <= _MAX_ID:
        raise DataError(
            f"invalid `{key}`: expected a non-negative 64-bit integer update id, got {value!r:.60}",
            field=key,
            value=value,
        )
    return value


def read_depth_recording(path: str | Path) -> Iterator[tuple[int, str, dict]]:
    """Yield (receive time ns, kind, payload) from a recording of ``<ns> <JSON>`` lines.

    ``kind`` is ``"snapshot"`` (a REST depth reply), ``"depth"``, ``"trade"`` or ``"bookTicker"``
    (the stream name's suffix); the payload is the JSON object (the ``data`` of a combined
    stream). Gzip files are read as they are. A file that cannot be opened raises
    ``ValidationError`` at once; a corrupt one (bad gzip, bad UTF-8, a bad line) raises
    ``DataError`` naming the line, when it is reached.
    """
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 (the returned generator closes it)
    except OSError as error:
        raise ValidationError(
            f"invalid `path`: cannot open {str(path)!r} ({error.strerror})",
            field="path",
            value=str(path),
        ) from None
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return _records(gzip.GzipFile(fileobj=handle), str(path), handle)
    handle.seek(0)
    return _records(handle, str(path), handle)


def _records(lines: Iterable[bytes], path: str, handle: Any) -> Iterator[tuple[int, str, dict]]:
    n = 0
    try:
        for n, raw in enumerate(lines, 1):
            yield _record(raw, n, path)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"corrupt depth recording {path!r}: cannot read past line {n} ({error})",
            field="line",
            value=n + 1,
        ) from None
    finally:
        handle.close()


def _record(raw: bytes, n: int, path: str) -> tuple[int, str, dict]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"corrupt depth recording {path!r}: line {n} is not UTF-8 (byte {error.start})",
            field="line",
            value=n,
        ) from None
    stamp, _, body = line.partition(" ")
    try:
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 19):
            raise ValueError(stamp)
        ts = int(stamp)
        obj = json.loads(body)
    except (ValueError, RecursionError):
        raise DataError(
            f"corrupt depth recording {path!r}: line {n} is {line[:60]!r}; expected '<ns> <JSON>'",
            field="line",
            value=n,
        ) from None
    if isinstance(obj, dict) and "lastUpdateId" in obj:
        return ts, "snapshot", obj
    if isinstance(obj, dict) and isinstance(obj.get("data"), dict):
        stream = str(obj.get("stream", ""))
        kind = "depth" if "@depth" in stream else stream.rpartition("@")[2]
        return ts, kind, obj["data"]
    raise DataError(
        f"corrupt depth recording {path!r}: line {n} is neither a snapshot nor a stream message",
        field="line",
        value=n,
    )
