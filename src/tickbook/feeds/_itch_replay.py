"""Replay ITCH 5.0 order flow into one ``FeedBook`` per stock.

The file is read chunk by chunk; a compiled pass turns the book messages (add, add with MPID,
executed, executed with price, cancel, delete, replace, non-cross trade) into
``BOOK_EVENT_DTYPE`` events tagged with their stock locate and message number; a counting sort
groups them by stock. Each stock's events then go through ``FeedBook.apply`` in one call.
Order ids are ITCH's own order reference numbers; prices are ITCH's (dollars x 10,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from tickbook.core import DataError, Side, ValidationError
from tickbook.core._checks import check_int
from tickbook.feeds._itch_read import DEFAULT_CHUNK, Frames, decode_frames, end_offset, iter_frames

if TYPE_CHECKING:
    from tickbook.book import FeedBook, FeedEventKind

__all__ = ["FeedEvent", "ItchReplay", "parse_itch", "replay_itch"]

_NLOC = 1 << 16


@dataclass(frozen=True, slots=True)
class _Chunk:
    # one chunk's book events grouped by stock locate: locate k owns [starts[k], starts[k+1])
    events: np.ndarray
    index: np.ndarray
    starts: np.ndarray


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One book event decoded from a feed.

    ``price`` is in the feed's ticks (ITCH: dollars x 10,000); ``side`` is the order's side for
    ADD, the aggressor's side for TRADE (the opposite of the hidden order ITCH names), and
    ``None`` for events that name an existing order (the book knows its side).
    """

    kind: FeedEventKind
    ts_ns: int
    order_id: int
    side: Side | None
    price: int
    qty: int
    new_order_id: int = 0


class ItchReplay:
    """Per-stock books rebuilt from an ITCH file; ask for any stock's book at any message.

    Build it with ``replay_itch``. ``book(symbol)`` is the book after the last message,
    ``book(symbol, at=n)`` the book right after file message number ``n`` (counted from 0 over
    all message types, as in ``read_itch``'s ``index`` column).
    """

    def __init__(
        self, chunks: list[_Chunk], symbols: dict[int, str], n_messages: int, n_bytes: int
    ) -> None:
        self._chunks = chunks
        self._counts = sum((np.diff(c.starts) for c in chunks), np.zeros(_NLOC, np.int64))
        self.symbols = dict(symbols)  #: stock locate -> symbol (from the stock directory)
        self._locate = {s: loc for loc, s in self.symbols.items()}
        self.n_messages = n_messages  #: messages read (all types)
        self.n_bytes = n_bytes  #: bytes read
        self.n_events = int(self._counts.sum())  #: book events (A F E C X D U P) kept
        self._books: dict[int, FeedBook] = {}
        self._refused: dict[int, int] = {}

    # -- lookups ----------------------------------------------------------------------------

    def _loc(self, symbol: str | int) -> int:
        if isinstance(symbol, str):
            loc = self._locate.get(symbol.strip().upper())
            if loc is None:
                raise ValidationError(
                    f"invalid `symbol`: {symbol!r} is not in the file's stock directory",
                    field="symbol",
                    value=symbol,
                )
            return loc
        return check_int(symbol, "symbol", lo=0, hi=_NLOC - 1, expected="a stock locate code")

    def locates(self) -> list[int]:
        """Return the stock locates that have book events, ascending."""
        return np.flatnonzero(self._counts).tolist()

    def _group(self, symbol: str | int, column: str) -> np.ndarray:
        loc = self._loc(symbol)
        parts = [getattr(c, column)[c.starts[loc] : c.starts[loc + 1]] for c in self._chunks]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            from tickbook.book import BOOK_EVENT_DTYPE

            return np.zeros(0, BOOK_EVENT_DTYPE if column == "events" else np.int64)
        return np.concatenate(parts)

    def events(self, symbol: str | int) -> np.ndarray:
        """Return one stock's book events (``BOOK_EVENT_DTYPE``), in file order."""
        return self._group(symbol, "events")

    def message_index(self, symbol: str | int) -> np.ndarray:
        """Return the file message number of each of ``events(symbol)``."""
        return self._group(symbol, "index")

    # -- books ------------------------------------------------------------------------------

    def book(self, symbol: str | int, at: int | None = None) -> FeedBook:
        """Return the stock's book after message ``at`` (default: after the whole file).

        The final book is built once and cached: do not mutate it.
        """
        from tickbook.book import FeedBook

        loc = self._loc(symbol)
        if at is None and loc in self._books:
            return self._books[loc]
        events = self.events(loc)
        stop = len(events)
        if at is not None:
            at = check_int(at, "at", lo=-1, hi=1 << 62, expected="a message number")
            stop = int(np.searchsorted(self.message_index(loc), at, side="right"))
        book = FeedBook(order_capacity=max(1024, min(stop, 1 << 20)))
        answers = book.apply(events[:stop]) if stop else np.zeros(0, np.int64)
        if at is None:
            self._books[loc] = book
            self._refused[loc] = int((answers < 0).sum())
        return book

    def books(self) -> dict[str, FeedBook]:
        """Return the final book of every stock with book events, keyed by symbol."""
        return {self.symbols.get(loc, f"#{loc}"): self.book(loc) for loc in self.locates()}

    def refused(self, symbol: str | int) -> int:
        """Return how many of the stock's events the book refused (e.g. unknown order ids)."""
        loc = self._loc(symbol)
        self.book(loc)
        return self._refused[loc]

    def trades(self, symbol: str | int) -> np.ndarray:
        """Return the stock's executions (E, C) and non-cross trade prints (P) as an array.

        Prices are dollars x 10,000; ``passive_order_id`` is the ITCH order reference of the
        executed order (of the hidden order for P). Cross trades (Q) are in ``read_itch``'s
        ``"Q"`` table.
        """
        return self.book(symbol).trades_array()


def _chunk_events(frames: Frames, wanted: np.ndarray) -> _Chunk:
    from tickbook.feeds import _itch_parse as kp

    starts = np.zeros(_NLOC + 1, np.int64)
    kp.count_events(frames.buf, frames.offsets, frames.types, wanted, starts)
    total = int(starts[-1])
    events = np.empty(total, kp.EVENT_DTYPE)
    index = np.empty(total, np.int64)
    cursor = starts[:-1].copy()
    _, status, bad = kp.to_events(
        frames.buf, frames.offsets, frames.types, frames.first_index, wanted, cursor, events, index
    )
    if status != kp.E_OK:
        pos = int(frames.offsets[bad - frames.first_index])
        side = chr(frames.buf[pos + 19])
        raise DataError(
            f"corrupt ITCH data at byte offset {frames.file_offset + pos - 2:,} "
            f"(message #{bad:,}): buy/sell indicator {side!r}, expected 'B' or 'S'",
            field="side",
            value=side,
        )
    return _Chunk(events, index, starts)


def replay_itch(
    source: str | Path | BinaryIO,
    symbols: Iterable[str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ItchReplay:
    """Read an ITCH file and gather each stock's book events (``symbols``: only these).

    ``progress(bytes_read)`` is called after each chunk. Books are built on demand by the
    returned ``ItchReplay``.
    """
    wanted_names = None if symbols is None else {s.strip().upper() for s in symbols}
    wanted = np.full(_NLOC, 0 if wanted_names else 1, np.uint8)
    directory: dict[int, str] = {}
    parts: list[_Chunk] = []
    n_messages = 0
    n_bytes = 0
    for frames in iter_frames(source, chunk_bytes):
        if np.any(frames.types == ord("R")):
            table = decode_frames(frames, ["R"])["R"]
            names = np.char.rstrip(np.char.decode(table["stock"], "ascii", "replace")).tolist()
            for loc, name in zip(table["stock_locate"].tolist(), names, strict=True):
                directory[loc] = name
                if wanted_names is not None:
                    wanted[loc] = name in wanted_names
        parts.append(_chunk_events(frames, wanted))
        n_messages += len(frames.offsets)
        n_bytes = end_offset(frames)
        if progress is not None:
            progress(n_bytes)
    if wanted_names:
        missing = wanted_names - set(directory.values())
        if missing:
            raise ValidationError(
                f"invalid `symbols`: {sorted(missing)} not in the file's stock directory",
                field="symbols",
                value=sorted(missing),
            )
    return ItchReplay(parts, directory, n_messages, n_bytes)


def parse_itch(source: str | Path | BinaryIO) -> list[tuple[str, FeedEvent]]:
    """Return the book events of an ITCH file as (symbol, event) pairs, in file order.

    The columnar form of every message type is ``read_itch``; per-stock books are
    ``replay_itch``. Events of a stock missing from the directory get the symbol ``""``.
    """
    from tickbook.book import FeedEventKind

    replay = replay_itch(source)
    locs = replay.locates()
    if not locs:
        return []
    events = np.concatenate([replay.events(loc) for loc in locs])
    index = np.concatenate([replay.message_index(loc) for loc in locs])
    order = np.argsort(index, kind="stable")
    events = events[order]
    locs = np.repeat(locs, replay._counts[locs])[order]
    sides = (Side.BUY, Side.SELL)
    with_side = (FeedEventKind.ADD, FeedEventKind.TRADE)
    out = []
    for loc, (ts, kind, side, oid, price, qty, new_oid) in zip(
        locs.tolist(), events.tolist(), strict=True
    ):
        k = FeedEventKind(kind)
        event = FeedEvent(k, ts, oid, sides[side] if k in with_side else None, price, qty, new_oid)
        out.append((replay.symbols.get(loc, ""), event))
    return out
