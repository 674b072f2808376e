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

import re
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


_INT = r"-?\d{1,19}"  # bounded: no number text longer than int64's before converting
_MESSAGE = re.compile(
    r"^(\d{1,9})(?:\.(\d{1,9}))?,([1-7]),(\d{1,19}),(\d{1,19}),(-?\d{1,19}),(-?1)\r?$", re.M
)
_MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
_INT64_MAX = (1 << 63) - 1


def _lines(text: str) -> list[str]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _bad_line(path: str, what: str, n: int, line: str, expected: str) -> DataError:
    return DataError(
        f"corrupt LOBSTER {what} {path!r}: line {n + 1} is {line[:80]!r}; expected {expected}",
        field="line",
        value=n + 1,
    )


def _out_of_range(path: str, what: str, rows: list[list[str]], names: tuple) -> DataError:
    # the first value beyond int64 (the fast conversion failed): name its line and column
    for n, row in enumerate(rows):
        for name, text in zip(names, row, strict=False):
            if not -_INT64_MAX - 1 <= int(text) <= _INT64_MAX:
                return DataError(
                    f"corrupt LOBSTER {what} {path!r}: line {n + 1}, `{name}` is {text}, "
                    "beyond a 64-bit integer",
                    field=name,
                    value=text,
                )
    raise AssertionError("no value out of range")  # pragma: no cover


_FIELD_TEXT = {
    "time": (re.compile(r"\d{1,9}(\.\d{1,9})?"), "seconds after midnight, at most 9 decimals"),
    "type": (re.compile(r"[1-7]"), "an event type 1-7"),
    "order_id": (re.compile(r"\d{1,19}"), "a non-negative integer of at most 19 digits"),
    "size": (re.compile(r"\d{1,19}"), "a non-negative integer of at most 19 digits"),
    "price": (re.compile(r"-?\d{1,19}"), "an integer of at most 19 digits"),
    "direction": (re.compile(r"-?1"), "1 (buy) or -1 (sell)"),
}


def _bad_message(path: str, n: int, line: str) -> DataError:
    # name the first column that is wrong (the whole line when the column count is)
    parts = line.split(",")
    if len(parts) == len(_MESSAGE_COLUMNS):
        for name, text in zip(_MESSAGE_COLUMNS, parts, strict=True):
            pattern, expected = _FIELD_TEXT[name]
            if not pattern.fullmatch(text):
                return DataError(
                    f"corrupt LOBSTER message file {path!r}: line {n + 1}, `{name}` is "
                    f"{text[:40]!r}{'...' if len(text) > 40 else ''}; expected {expected}",
                    field=name,
                    value=text[:40],
                )
    return _bad_line(
        path, "message file", n, line, "6 columns: time,type,order_id,size,price,direction"
    )


def _parse_messages(text: str, path: str) -> np.ndarray:
    lines = _lines(text)
    found = _MESSAGE.findall(text)
    if len(found) != len(lines):
        for n, line in enumerate(lines):
            if not _MESSAGE.fullmatch(line):
                raise _bad_message(path, n, line)
    out = np.empty(len(found), MESSAGE_DTYPE)
    if not found:
        return out
    cols = list(zip(*found, strict=True))
    ints = [[int(v) for v in col] for col in cols[2:]]
    try:
        whole = np.array([int(v) for v in cols[0]], np.int64)
        frac = np.array([int(v.ljust(9, "0")) for v in cols[1]], np.int64)
        values = np.array(ints, np.int64)
    except OverflowError:
        rows = [[w, *rest] for w, *rest in zip(cols[0], *cols[2:], strict=True)]
        raise _out_of_range(path, "message file", rows, _MESSAGE_COLUMNS) from None
    out["time_ns"] = whole * 1_000_000_000 + frac
    for name, column in zip(MESSAGE_DTYPE.names[1:], values, strict=True):
        out[name] = column
    return out


def _bad_book_row(path: str, n: int, line: str, names: tuple[str, ...]) -> DataError:
    parts = line.split(",")
    if len(parts) == len(names):
        for name, text in zip(names, parts, strict=True):
            if not re.fullmatch(_INT, text):
                return DataError(
                    f"corrupt LOBSTER orderbook file {path!r}: line {n + 1}, `{name}` is "
                    f"{text[:40]!r}; expected an integer of at most 19 digits",
                    field=name,
                    value=text[:40],
                )
    return _bad_line(path, "orderbook file", n, line, f"{len(names)} integers")


def _parse_orderbook(text: str, path: str, n_expected: int) -> np.ndarray:
    lines = _lines(text)
    width = len(lines[0].split(",")) if lines else 0
    if width == 0 or width % 4 or width > 4 * 10_000:
        raise DataError(
            f"corrupt LOBSTER orderbook file {path!r}: {width} columns, expected 4 per level",
            field="columns",
            value=width,
        )
    row = re.compile(_INT + ("," + _INT) * (width - 1))
    names = tuple(
        f"{side}_{what}_{k // 4 + 1}"
        for k, (side, what) in enumerate([("ask", "price"), ("ask", "size"), ("bid", "price"),
                                          ("bid", "size")] * (width // 4))
    )  # fmt: skip
    for n, line in enumerate(lines):
        if not row.fullmatch(line):
            raise _bad_book_row(path, n, line, names)
    cells = [line.split(",") for line in lines]
    try:
        out = np.array([[int(v) for v in cell] for cell in cells], np.int64).reshape(-1, width)
    except OverflowError:
        raise _out_of_range(path, "orderbook file", cells, names) from None
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
    #: with ``log=True``: every book event applied (``BOOK_EVENT_DTYPE``), in order
    events: np.ndarray | None = None
    #: with ``log=True``: ``len`` of ``events`` after each message row
    row_ends: np.ndarray | None = None


def side_name(side: int) -> str:
    """Return ``"buy"`` for 0 and ``"sell"`` for 1."""
    return "sell" if side else "buy"


def _as_row(book: object, levels: int) -> list[int]:
    # the book's top ``levels`` as an orderbook-file row (Python; tests use it on any book)
    snap = book.depth(levels)  # type: ignore[attr-defined]
    bids, asks = snap.bid_array.tolist(), snap.ask_array.tolist()
    row = []
    for k in range(levels):
        row += [asks[k][0], asks[k][1]] if k < len(asks) else [EMPTY_ASK, 0]
        row += [bids[k][0], bids[k][1]] if k < len(bids) else [EMPTY_BID, 0]
    return row


def replay_lobster(
    data: LobsterData,
    check: bool = False,
    log: bool = False,
    progress: Callable[[int], None] | None = None,
) -> LobsterReplay:
    """Rebuild the book from a LOBSTER pair (or a message file alone) in feed mode.

    One compiled pass turns each row into book events and applies them (``feed_event``, the
    path of ``FeedBook.apply``). With an orderbook file, the book starts from row 0 and levels
    entering the window take the file's quantity; ``check`` compares every row's top ``L``
    levels with the file (``rows_compared``, ``rows_matched``, the first ``mismatches``); a
    mismatched row is then re-synchronised from the file so that one error does not hide the
    rest. ``log`` keeps the book events applied (``events``, ``row_ends``): applying them to
    a new ``FeedBook`` gives the same book. ``progress(rows)`` is called now and then.

    Raises ``DataError`` naming the message file line of a row the book refuses (a price
    or size out of range).
    """
    from tickbook.feeds._lobster_replay import run_replay

    if not isinstance(data, LobsterData):
        raise ValidationError(
            f"invalid `data`: expected LobsterData (load_lobster), got {type(data).__name__}",
            field="data",
            value=type(data).__name__,
        )
    return run_replay(data, bool(check), bool(log), progress)
