"""LOBSTER message and orderbook files: load them and rebuild the book in feed mode.

A LOBSTER pair holds one row per event: the message file says what happened (time, type,
order id, size, price, direction) and the orderbook file the top ``L`` levels right after it
(ask price, ask size, bid price, bid size per level; prices in dollars x 10,000, the ticks
used here). Event types: 1 submission, 2 partial cancel, 3 deletion, 4 visible execution,
5 hidden execution, 6 cross trade, 7 trading halt.

A level-``L`` file is partial: it only holds events that touch the top ``L`` levels, and orders
entered before it starts are unknown. The replay therefore

* seeds the book from orderbook row 0 (the state after message 0) as anonymous level
  quantity, then applies messages 1, 2, ...;
* applies an event on a known order to that order, and one naming an order never added by
  price level (``FeedBook.adjust_level``);
* when a level enters the visible window from below (the level above it emptied), takes its
  quantity from the orderbook row: the messages cannot know it. These *reveals* are counted.

With ``check=True`` every row's top ``L`` levels are compared with the orderbook file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tickbook.core import DataError, ValidationError

__all__ = [
    "EMPTY_ASK",
    "EMPTY_BID",
    "MESSAGE_DTYPE",
    "LobsterData",
    "LobsterReplay",
    "load_lobster",
    "replay_lobster",
]

#: One LOBSTER message row; ``time_ns`` is nanoseconds after midnight (exact).
MESSAGE_DTYPE = np.dtype(
    [
        ("time_ns", "i8"),
        ("type", "i1"),
        ("order_id", "i8"),
        ("size", "i8"),
        ("price", "i8"),
        ("direction", "i1"),
    ]
)
#: prices LOBSTER writes for an empty level
EMPTY_ASK = 9_999_999_999
EMPTY_BID = -9_999_999_999


@dataclass(frozen=True, slots=True)
class LobsterData:
    """A loaded LOBSTER pair: ``messages`` (``MESSAGE_DTYPE``) and ``orderbook`` (n, 4L)."""

    messages: np.ndarray
    orderbook: np.ndarray | None
    levels: int  #: L, the number of levels per side in the orderbook file (0 without one)


def _open_text(path: str | Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii")
    except OSError as error:
        raise ValidationError(
            f"invalid `{what}`: cannot open {str(path)!r} ({error.strerror})",
            field=what,
            value=str(path),
        ) from None
    except UnicodeDecodeError as error:
        raise DataError(
            f"corrupt LOBSTER {what}: non-ASCII byte at offset {error.start}",
            field="offset",
            value=error.start,
        ) from None


def _time_ns(text: str) -> int:
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 9:
        raise ValueError(text)
    return int(whole) * 1_000_000_000 + int(frac.ljust(9, "0") or 0)


def _parse_messages(text: str, path: str) -> np.ndarray:
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    out = np.empty(len(lines), MESSAGE_DTYPE)
    rows = []
    for n, line in enumerate(lines):
        parts = line.split(",")
        try:
            if len(parts) != 6:
                raise ValueError(line)
            t, kind, oid, size, price, direction = parts
            row = (_time_ns(t.strip()), int(kind), int(oid), int(size), int(price), int(direction))
            if not 1 <= row[1] <= 7 or row[5] not in (1, -1) or row[2] < 0 or row[3] < 0:
                raise ValueError(line)
        except ValueError:
            raise DataError(
                f"corrupt LOBSTER message file {path!r}: line {n + 1} is {line[:80]!r}; "
                "expected time,type(1-7),order_id,size,price,direction(1|-1)",
                field="line",
                value=n + 1,
            ) from None
        rows.append(row)
    out[:] = rows
    return out


def _parse_orderbook(text: str, path: str, n_expected: int) -> np.ndarray:
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    width = len(lines[0].split(",")) if lines else 0
    if width == 0 or width % 4:
        raise DataError(
            f"corrupt LOBSTER orderbook file {path!r}: {width} columns, expected 4 per level",
            field="columns",
            value=width,
        )
    out = np.empty((len(lines), width), np.int64)
    for n, line in enumerate(lines):
        parts = line.split(",")
        try:
            if len(parts) != width:
                raise ValueError(line)
            out[n] = [int(p) for p in parts]
        except (ValueError, OverflowError):
            raise DataError(
                f"corrupt LOBSTER orderbook file {path!r}: line {n + 1} is {line[:80]!r}; "
                f"expected {width} integers",
                field="line",
                value=n + 1,
            ) from None
    if len(out) != n_expected:
        raise DataError(
            f"LOBSTER files disagree: {n_expected} messages but {len(out)} orderbook rows",
            field="rows",
            value=len(out),
        )
    return out


def load_lobster(message_file: str | Path, orderbook_file: str | Path | None = None) -> LobsterData:
    """Load a LOBSTER message file and (optionally) its orderbook file.

    Raises ``DataError`` naming the line of a malformed row, or when the two files differ
    in length.
    """
    messages = _parse_messages(_open_text(message_file, "message_file"), str(message_file))
    if orderbook_file is None:
        return LobsterData(messages, None, 0)
    text = _open_text(orderbook_file, "orderbook_file")
    book = _parse_orderbook(text, str(orderbook_file), len(messages))
    return LobsterData(messages, book, book.shape[1] // 4)


@dataclass(slots=True)
class LobsterReplay:
    """What a LOBSTER replay did; ``book`` is the ``FeedBook`` after the last message."""

    book: object
    levels: int
    rows: int = 0  #: rows replayed (message rows; row 0 seeds the book)
    rows_compared: int = 0  #: orderbook rows compared (``check=True``)
    rows_matched: int = 0  #: of those, rows whose top ``levels`` equal the file exactly
    reveals: int = 0  #: levels seeded from the orderbook file as they entered the window
    rows_revealed: int = 0  #: rows where at least one level was seeded that way
    unknown_orders: int = 0  #: cancel/delete/execute rows naming an order never added
    stale_orders: int = 0  #: such rows naming an order added earlier but no longer held
    repairs: int = 0  #: quantity a level lacked, taken from stale known orders there
    halts: list[tuple[int, int]] = field(default_factory=list)  #: (time_ns, price code)
    mismatches: list[tuple[int, list[int], list[int]]] = field(default_factory=list)
    log: list[tuple] = field(default_factory=list)  #: the book operations applied, in order
    row_ends: list[int] = field(default_factory=list)  #: len(log) after each row (with log)


class _Replayer:
    """Apply LOBSTER rows to a ``FeedBook`` and log each book operation."""

    def __init__(self, levels: int, log: bool) -> None:
        from tickbook.book import FeedBook

        self.book = FeedBook(order_capacity=4096)
        self.known: dict[int, list[int]] = {}  # id -> [side, price, remaining]
        self.seen: set[int] = set()  # every id added so far
        self.at_level: dict[tuple[int, int], dict[int, None]] = {}  # (side, price) -> ids
        self.result = LobsterReplay(self.book, levels)
        self.log = self.result.log if log else None
        self.ts = 0

    # -- known orders ---------------------------------------------------------------------

    def _add(self, oid: int, side: int, price: int, qty: int) -> None:
        self.book.add(oid, side_name(side), price, qty, ts_ns=self.ts)
        self.known[oid] = [side, price, qty]
        self.seen.add(oid)
        self.at_level.setdefault((side, price), {})[oid] = None
        if self.log is not None:
            self.log.append(("add", self.ts, oid, side, price, qty))

    def _reduce(self, oid: int, qty: int, execute: bool) -> None:
        order = self.known[oid]
        if execute:
            self.book.execute(oid, qty, ts_ns=self.ts)
        else:
            self.book.cancel(oid, qty, ts_ns=self.ts)
        order[2] -= qty
        gone = order[2] == 0
        if gone:
            del self.known[oid]
            del self.at_level[(order[0], order[1])][oid]
        if self.log is not None:
            self.log.append(("exec" if execute else "cancel", self.ts, oid, qty, gone))

    # -- anonymous level quantity ---------------------------------------------------------

    def _adjust(self, side: int, price: int, delta: int, execute: bool = False) -> int:
        short = self.book.adjust_level(side_name(side), price, delta, ts_ns=self.ts)
        done = delta + short if delta < 0 else delta
        if done and self.log is not None:
            self.log.append(("level", self.ts, side, price, done, execute))
        return short

    def remove(self, side: int, price: int, qty: int, oid: int, execute: bool) -> None:
        """Take ``qty`` from a level, from order ``oid`` first when it is known there."""
        order = self.known.get(oid)
        if order is not None and order[0] == side and order[1] == price:
            take = min(qty, order[2])
            self._reduce(oid, take, execute)
            qty -= take
        elif oid in self.seen:
            self.result.stale_orders += 1
        else:
            self.result.unknown_orders += 1
        if qty <= 0:
            return
        short = self._adjust(side, price, -qty, execute)
        if execute and qty - short:
            self.book.trade(side_name(1 - side), price, qty - short, oid, ts_ns=self.ts)
        if short:
            self._take_known(side, price, short, execute)

    def _take_known(self, side: int, price: int, qty: int, execute: bool) -> None:
        # the level holds known orders that the partial feed saw leave no trace: take from them
        self.result.repairs += 1
        for oid in list(self.at_level.get((side, price), {})):
            if qty == 0:
                break
            take = min(qty, self.known[oid][2])
            self._reduce(oid, take, execute)
            qty -= take

    def set_level(self, side: int, price: int, qty: int) -> None:
        """Make a level hold ``qty`` (a reveal from the orderbook file)."""
        have = self.book.level(side_name(side), price)[0]
        if have == qty:
            return
        self.result.reveals += 1
        if qty > have:
            self._adjust(side, price, qty - have)
        else:
            short = self._adjust(side, price, qty - have)
            if short:
                self._take_known(side, price, short, False)
                self.result.repairs -= 1  # a reveal, not a repair

    # -- one message ----------------------------------------------------------------------

    def apply(self, kind: int, oid: int, size: int, price: int, direction: int) -> None:
        side = 0 if direction == 1 else 1
        if kind == 1:
            if oid in self.known or oid >= 1 << 62:
                self._adjust(side, price, size)
            else:
                self._add(oid, side, price, size)
        elif kind in (2, 3, 4):
            self.remove(side, price, size, oid, kind == 4)
        elif kind in (5, 6):
            if size > 0 and price > 0:
                self.book.trade(side_name(1 - side), price, size, oid, ts_ns=self.ts)
                if self.log is not None:
                    self.log.append(("print", self.ts, 1 - side, price, size, kind))
        else:
            self.result.halts.append((self.ts, price))


def side_name(side: int) -> str:
    """Return ``"buy"`` for 0 and ``"sell"`` for 1."""
    return "sell" if side else "buy"


def _visible(row: np.ndarray, side: int, levels: int) -> list[tuple[int, int]]:
    # (price, qty) of the non-empty levels of one side of an orderbook row, best first
    out = []
    for k in range(levels):
        price, qty = int(row[4 * k + 2 * (1 - side)]), int(row[4 * k + 2 * (1 - side) + 1])
        if qty > 0 and price not in (EMPTY_ASK, EMPTY_BID):
            out.append((price, qty))
    return out


def _as_row(book: object, levels: int) -> list[int]:
    snap = book.depth(levels)  # type: ignore[attr-defined]
    bids, asks = snap.bid_array.tolist(), snap.ask_array.tolist()
    row = []
    for k in range(levels):
        row += [asks[k][0], asks[k][1]] if k < len(asks) else [EMPTY_ASK, 0]
        row += [bids[k][0], bids[k][1]] if k < len(bids) else [EMPTY_BID, 0]
    return row


def _worse(side: int, price: int, bound: int) -> bool:
    return price < bound if side == 0 else price > bound


def _reveal(rp: _Replayer, prev: np.ndarray, row: np.ndarray, levels: int) -> None:
    # levels that were below the previous row's window take the file's quantity now
    for side in (0, 1):
        before = _visible(prev, side, levels)
        if len(before) < levels:
            continue  # the whole side was visible: nothing can be revealed
        bound = before[-1][0]
        now = _visible(row, side, levels)
        shown = {p for p, _ in now}
        for price, qty in now:
            if _worse(side, price, bound):
                rp.set_level(side, price, qty)
        deepest = now[-1][0] if len(now) == levels else None
        for price in _prices_until(rp.book, side, deepest):
            if _worse(side, price, bound) and price not in shown:
                rp.set_level(side, price, 0)


def _prices_until(book: object, side: int, last: int | None) -> list[int]:
    # the book's prices on one side from the best down to ``last`` (all of them for None)
    n = 16
    while True:
        snap = book.depth(n)  # type: ignore[attr-defined]
        arr = snap.bid_array if side == 0 else snap.ask_array
        prices = arr[:, 0].tolist()
        if len(prices) < n or (last is not None and _worse(side, prices[-1], last)):
            return [p for p in prices if last is None or not _worse(side, p, last)]
        n *= 4


def _seed(rp: _Replayer, first: tuple, row: np.ndarray, levels: int) -> None:
    # row 0 is the book after message 0: anonymous levels, plus message 0's order if it added one
    _, kind, oid, size, price, direction = first
    side = 0 if direction == 1 else 1
    visible = dict(_visible(row, side, levels))
    if kind == 1 and visible.get(price, 0) >= size > 0 and oid < 1 << 62:
        visible[price] -= size
        rp._add(oid, side, price, size)
    for s in (0, 1):
        for p, q in visible.items() if s == side else _visible(row, s, levels):
            if q:
                rp._adjust(s, p, q)


def replay_lobster(
    data: LobsterData,
    check: bool = False,
    log: bool = False,
    progress: Callable[[int], None] | None = None,
) -> LobsterReplay:
    """Rebuild the book from a LOBSTER pair (or a message file alone) in feed mode.

    With an orderbook file, the book starts from row 0 and levels entering the window take
    the file's quantity; ``check`` compares every row's top ``L`` levels with the file
    (``rows_compared``, ``rows_matched``, the first ``mismatches``); a mismatched row is then
    re-synchronised from the file so that one error does not hide the rest. ``log`` keeps the
    book operations (used to convert LOBSTER to ITCH). ``progress(rows)`` is called now and
    then.
    """
    msgs = data.messages
    ob = data.orderbook
    levels = data.levels
    rp = _Replayer(levels, log)
    result = rp.result
    start = 0
    if ob is not None and len(msgs):
        rp.ts = int(msgs[0]["time_ns"])
        _seed(rp, msgs[0].tolist(), ob[0], levels)
        start = 1
        if log:
            result.row_ends.append(len(result.log))
        if check:
            result.rows_compared = 1
            result.rows_matched = int(_as_row(rp.book, levels) == ob[0].tolist())
    rows = msgs.tolist()
    # a level can only enter the window on a row where the visible prices change
    moved = np.ones(len(rows), bool)
    if ob is not None and len(ob) > 1:
        prices = ob[:, 0::2]
        moved[1:] = (prices[1:] != prices[:-1]).any(axis=1)
    for i in range(start, len(rows)):
        t_ns, kind, oid, size, price, direction = rows[i]
        rp.ts = t_ns
        rp.apply(kind, oid, size, price, direction)
        if ob is not None:
            if moved[i]:
                before = result.reveals
                _reveal(rp, ob[i - 1], ob[i], levels)
                result.rows_revealed += result.reveals > before
            if check:
                got = _as_row(rp.book, levels)
                want = ob[i].tolist()
                result.rows_compared += 1
                if got == want:
                    result.rows_matched += 1
                else:
                    if len(result.mismatches) < 20:
                        result.mismatches.append((i, want, got))
                    _resync(rp, ob[i], levels)
        if log:
            result.row_ends.append(len(result.log))
        if progress is not None and i % 4096 == 0:
            progress(i)
    result.rows = len(rows)
    if progress is not None:
        progress(len(rows))
    return result


def _resync(rp: _Replayer, row: np.ndarray, levels: int) -> None:
    # make the whole visible window equal to the file row (after a mismatch)
    for side in (0, 1):
        now = _visible(row, side, levels)
        for price, qty in now:
            rp.set_level(side, price, qty)
        shown = {p for p, _ in now}
        deepest = now[-1][0] if len(now) == levels else None
        for price in _prices_until(rp.book, side, deepest):
            if price not in shown:
                rp.set_level(side, price, 0)
