"""Drive the compiled LOBSTER replay: message and orderbook arrays in, a ``LobsterReplay`` out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tickbook.book import BOOK_EVENT_DTYPE, FeedBook
from tickbook.book import _layout as lay
from tickbook.core import DataError
from tickbook.feeds import _lobster_kernel as kn
from tickbook.feeds.lobster import MESSAGE_DTYPE, LobsterData, LobsterReplay

__all__ = ["run_replay"]

#: rows per compiled call when a progress callback is given
CHUNK = 1 << 15
# refusal code -> (message column that carries the refused value, what the book expects)
_REFUSED = {
    lay.E_PRICE: ("price", f"a price in 1..{lay.MAX_PRICE}"),
    lay.E_QTY: ("size", f"a size in 1..{lay.MAX_QTY}"),
    lay.E_NEW_QTY: ("size", "at most the order's remaining size"),
    lay.E_ORDER_ID: ("order_id", "an order id below 2**62"),
    lay.E_DUPLICATE: ("order_id", "an id not already on the book"),
    lay.E_UNKNOWN: ("order_id", "an order on the book"),
    lay.E_SIDE: ("direction", "1 or -1"),
}


def _refused(data: LobsterData, row: int, cnt: np.ndarray) -> DataError:
    code = int(cnt[kn.C_ERROR])
    column, expected = _REFUSED.get(code, ("line", "a row the book can apply"))
    if column == "price":
        value = int(cnt[kn.C_ERROR_PRICE])
    elif column == "size":
        value = abs(int(cnt[kn.C_ERROR_QTY]))
    elif column == "order_id":
        value = int(cnt[kn.C_ERROR_ID])
    else:
        value = row + 1
    text = ",".join(str(v) for v in data.messages[row].tolist())
    return DataError(
        f"LOBSTER message file line {row + 1} ({text}) refused by the book: "
        f"`{column}` is {value}, expected {expected}",
        field=column,
        value=value,
    )


def _moved(ob: np.ndarray | None, n: int) -> np.ndarray:
    # a level can only enter the window on a row where the visible prices change
    moved = np.ones(n, np.bool_)
    if ob is not None and len(ob) > 1:
        prices = ob[:, 0::2]
        moved[1:] = (prices[1:] != prices[:-1]).any(axis=1)
    return moved


def _seed(state, mem, log, data: LobsterData, ob, table: np.ndarray, result, check: bool) -> None:
    levels = data.levels
    t, kind, oid, size, price, direction = table[0].tolist()
    kn.seed(state, mem, log, t, kind, oid, size, price, direction, ob, levels)
    if mem[kn.C_ERROR]:
        raise _refused(data, 0, mem)
    if check:
        got = np.empty(4 * levels, np.int64)
        bids, asks = np.empty((levels, 3), np.int64), np.empty((levels, 3), np.int64)
        kn.top_row(state, levels, got, bids, asks)
        result.rows_compared = 1
        result.rows_matched = int(np.array_equal(got, ob[0]))


def run_replay(
    data: LobsterData, check: bool, log: bool, progress: Callable[[int], None] | None
) -> LobsterReplay:
    """Replay ``data`` (see ``replay_lobster``)."""
    n = len(data.messages)
    capacity = 2 * n + 1024
    while True:
        result, mem, events = _replay(data, check, log, progress, capacity)
        if mem[kn.C_LOG] <= capacity:
            break
        capacity = int(mem[kn.C_LOG])  # the log ran out (rare): again, with exactly enough room
    _fill(result, mem, data, events if log else None)
    return result


def _replay(data, check, log, progress, capacity):
    msgs, ob, levels = data.messages, data.orderbook, data.levels
    n = len(msgs)
    table = np.empty((n, 6), np.int64)
    for j, name in enumerate(MESSAGE_DTYPE.names):
        table[:, j] = msgs[name]
    has_ob = ob is not None and n > 0
    book = FeedBook(order_capacity=4096)
    result = LobsterReplay(book, levels)
    adds = msgs[msgs["type"] == 1]  # only submissions add orders (and so levels of them)
    keys = adds["price"].astype(np.int64) * 2 + (adds["direction"] == -1)
    mem = kn.new_mem(len(adds) + 1, len(np.unique(keys)) + 1, log)
    events = np.empty((capacity if log else 0, 7), np.int64)
    state = book._st
    result.row_ends = np.zeros(n if log else 0, np.int64)
    obarr = np.ascontiguousarray(ob) if has_ob else np.zeros((0, 4), np.int64)
    if has_ob:
        _seed(state, mem, events, data, obarr, table, result, check)
        if log:
            result.row_ends[0] = mem[kn.C_LOG]
    bad_rows = np.zeros(kn.MAX_MISMATCHES, np.int64)
    bad_got = np.zeros((kn.MAX_MISMATCHES, 4 * max(levels, 1)), np.int64)
    moved = _moved(ob, n)
    step = CHUNK if progress is not None else max(n, 1)
    i = 1 if has_ob else 0
    while i < n:
        stop = min(n, i + step)
        at = kn.run(
            state, mem, events, table, obarr, levels, check and has_ob, moved, i, stop,
            result.row_ends, bad_rows, bad_got,
        )  # fmt: skip
        if mem[kn.C_ERROR]:
            raise _refused(data, int(at), mem)
        i = stop
        if progress is not None:
            progress(i)
    if progress is not None and n == 0:
        progress(0)
    kept = min(int(mem[kn.C_MISMATCHES]), kn.MAX_MISMATCHES)
    result.mismatches = [
        (int(r), ob[r].tolist(), bad_got[m].tolist())
        for m, r in enumerate(bad_rows[:kept].tolist())
    ]
    return result, mem, events


def _fill(result: LobsterReplay, mem: np.ndarray, data: LobsterData, raw) -> None:
    msgs = data.messages
    start = 1 if data.orderbook is not None and len(msgs) else 0
    result.rows = len(msgs)
    result.rows_compared += int(mem[kn.C_COMPARED])
    result.rows_matched += int(mem[kn.C_MATCHED])
    result.reveals = int(mem[kn.C_REVEALS])
    result.rows_revealed = int(mem[kn.C_ROWS_REVEALED])
    result.unknown_orders = int(mem[kn.C_UNKNOWN])
    result.stale_orders = int(mem[kn.C_STALE])
    result.repairs = int(mem[kn.C_REPAIRS])
    halts = msgs[start:][msgs["type"][start:] == 7]
    result.halts = list(zip(halts["time_ns"].tolist(), halts["price"].tolist(), strict=True))
    if raw is None:
        result.row_ends = None
        return
    raw = raw[: mem[kn.C_LOG]]
    events = np.zeros(len(raw), BOOK_EVENT_DTYPE)
    for j, name in enumerate(BOOK_EVENT_DTYPE.names):
        events[name] = raw[:, j]
    result.events = events
