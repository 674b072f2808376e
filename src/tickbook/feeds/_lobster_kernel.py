"""Compiled LOBSTER replay: each row becomes book events applied through the feed kernel.

A LOBSTER file is a *partial* feed (orders entered before it starts are unknown, a level-L
file only shows the top L levels), so which book events a row means depends on the book:
an execution of an order never added is an anonymous level removal plus a trade print, a
level entering the visible window takes its quantity from the orderbook file. This kernel
decides the events row by row and applies each one with ``feed_event``, the same compiled
function ``FeedBook.apply`` runs for ITCH and Binance; with logging on, every event applied
is also written out as a ``BOOK_EVENT_DTYPE`` row, so ``FeedBook.apply(events)`` rebuilds the
same book.

Shadow state (the orders this replay added, in per-level FIFO lists) is kept here, not read
from the book's internals: the book is used only through ``feed_event``, ``level_of`` and
``levels``.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from tickbook.book._feed import (
    FK_ADD,
    FK_ADJUST_LEVEL,
    FK_CANCEL,
    FK_DELETE,
    FK_EXECUTE,
    FK_TRADE,
    feed_event,
    level_of,
    view,  # the book's uncounted state handle, as _feed itself uses it
)
from tickbook.book._kernels import levels as book_levels
from tickbook.feeds.lobster import EMPTY_ASK, EMPTY_BID

#: LOBSTER order ids at or above this are not orders (the book reserves the range)
ANON = 1 << 62
#: ``new_order_id`` of a logged ADJUST_LEVEL removal that was an execution
TAG_EXECUTED = 1
#: most mismatched rows kept
MAX_MISMATCHES = 20

# counters (``Ctx.cnt``)
(
    C_COMPARED,
    C_MATCHED,
    C_REVEALS,
    C_ROWS_REVEALED,
    C_UNKNOWN,
    C_STALE,
    C_REPAIRS,
    C_MISMATCHES,
    C_LOG,
    C_ORDERS,
    C_ERROR,
    C_ERROR_KIND,
    C_ERROR_ID,
    C_ERROR_PRICE,
    C_ERROR_QTY,
) = range(15)
N_COUNTERS = 16
# shadow order columns (``Ctx.orders``)
O_SIDE, O_PRICE, O_REM, O_NEXT, O_PREV, O_ID = range(6)

#: replay context, alive across kernel calls: two hash tables (order id -> shadow row;
#: level key price * 2 + side -> (head row, tail row) of its FIFO list), the shadow orders,
#: the counters, and the event log (a one-array list, so that the kernel can grow it)
Ctx = namedtuple(
    "Ctx", ["id_keys", "id_rows", "level_keys", "level_rows", "orders", "cnt", "logbox", "log_on"]
)


def table_size(n: int) -> int:
    """Return the hash table size for at most ``n`` keys (a power of two, load <= 1/2)."""
    size = 16
    while size < 2 * n:
        size *= 2
    return size


@njit(cache=True, inline="always")
def _find(keys, key):
    """Return the position of ``key`` in an open-addressing table, or of the empty slot."""
    mask = len(keys) - 1
    i = ((key * np.int64(-7046029254386353131)) >> np.int64(29)) & mask
    while keys[i] != key and keys[i] != -1:
        i = (i + 1) & mask
    return i


# -- book events ------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _emit(cx, ts, kind, side, oid, price, qty, tag):
    n = cx.cnt[C_LOG]
    log = cx.logbox[0]
    if n == log.shape[0]:
        grown = np.empty((2 * n + 256, 7), np.int64)
        grown[:n] = log
        cx.logbox[0] = grown
        log = grown
    log[n, 0] = ts
    log[n, 1] = kind
    log[n, 2] = side
    log[n, 3] = oid
    log[n, 4] = price
    log[n, 5] = qty
    log[n, 6] = tag
    cx.cnt[C_LOG] = n + 1


@njit(cache=True, inline="always")
def _event(state, cx, ts, kind, side, oid, price, qty, tag):
    """Apply one book event; answer ``feed_event``'s answer (0 once a refusal stopped the row)."""
    cnt = cx.cnt
    if cnt[C_ERROR] != 0:
        return np.int64(0)
    code = feed_event(state, ts, np.int64(kind), np.int64(side), oid, price, qty, np.int64(0))
    if code < 0:
        cnt[C_ERROR] = code
        cnt[C_ERROR_KIND] = kind
        cnt[C_ERROR_ID] = oid
        cnt[C_ERROR_PRICE] = price
        cnt[C_ERROR_QTY] = qty
        return np.int64(0)
    if cx.log_on:
        done = qty + code if kind == FK_ADJUST_LEVEL and qty < 0 else qty
        if done != 0 or kind != FK_ADJUST_LEVEL:
            _emit(cx, ts, kind, side, oid, price, done, tag)
    return code


@njit(cache=True, inline="always")
def _adjust(state, cx, ts, side, price, delta, executed):
    """Add or remove anonymous level quantity; answer what could not be removed."""
    tag = TAG_EXECUTED if executed else 0
    return _event(state, cx, ts, FK_ADJUST_LEVEL, side, np.int64(0), price, delta, tag)


# -- the orders this replay added ---------------------------------------------------------------


@njit(cache=True, inline="always")
def _live(cx, oid):
    """Return the shadow row of live order ``oid``; -1 if never added, -2 if added but gone."""
    i = _find(cx.id_keys, oid)
    k = cx.id_rows[i] if cx.id_keys[i] == oid else np.int64(-1)
    if k < 0:
        return np.int64(-1)
    return k if cx.orders[k, O_REM] > 0 else np.int64(-2)


@njit(cache=True, inline="always")
def _add(state, cx, ts, oid, side, price, qty):
    _event(state, cx, ts, FK_ADD, side, oid, price, qty, np.int64(0))
    cnt, orders = cx.cnt, cx.orders
    k = cnt[C_ORDERS]
    if cnt[C_ERROR] != 0 or k >= orders.shape[0]:
        return
    cnt[C_ORDERS] = k + 1
    key = price * 2 + side
    at = _find(cx.level_keys, key)
    if cx.level_keys[at] != key:
        cx.level_keys[at] = key
        cx.level_rows[at, 0] = -1
        cx.level_rows[at, 1] = -1
    tail = cx.level_rows[at, 1]
    orders[k, O_SIDE] = side
    orders[k, O_PRICE] = price
    orders[k, O_REM] = qty
    orders[k, O_NEXT] = -1
    orders[k, O_PREV] = tail
    orders[k, O_ID] = oid
    i = _find(cx.id_keys, oid)
    cx.id_keys[i] = oid
    cx.id_rows[i] = k
    if tail >= 0:
        orders[tail, O_NEXT] = k
    else:
        cx.level_rows[at, 0] = k
    cx.level_rows[at, 1] = k


@njit(cache=True, inline="always")
def _unlink(cx, k):
    orders = cx.orders
    at = _find(cx.level_keys, orders[k, O_PRICE] * 2 + orders[k, O_SIDE])
    prev, nxt = orders[k, O_PREV], orders[k, O_NEXT]
    if prev >= 0:
        orders[prev, O_NEXT] = nxt
    else:
        cx.level_rows[at, 0] = nxt
    if nxt >= 0:
        orders[nxt, O_PREV] = prev
    else:
        cx.level_rows[at, 1] = prev


@njit(cache=True, inline="always")
def _reduce(state, cx, ts, k, qty, executed):
    """Take ``qty`` from known order ``k`` (a cancel, a delete when it empties, or a fill)."""
    if qty <= 0:
        return
    orders = cx.orders
    rem = orders[k, O_REM]
    gone = qty >= rem
    kind = FK_EXECUTE if executed else (FK_DELETE if gone else FK_CANCEL)
    _event(state, cx, ts, kind, orders[k, O_SIDE], orders[k, O_ID], orders[k, O_PRICE], qty, 0)
    if cx.cnt[C_ERROR] != 0:
        return
    orders[k, O_REM] = rem - qty
    if gone:
        _unlink(cx, k)


@njit(cache=True, inline="always")
def _take_known(state, cx, ts, side, price, qty, executed):
    # the level holds known orders that the partial feed saw leave no trace: take from them
    cx.cnt[C_REPAIRS] += 1
    key = price * 2 + side
    at = _find(cx.level_keys, key)
    k = cx.level_rows[at, 0] if cx.level_keys[at] == key else np.int64(-1)
    while k >= 0 and qty > 0 and cx.cnt[C_ERROR] == 0:
        nxt = cx.orders[k, O_NEXT]
        take = min(qty, cx.orders[k, O_REM])
        _reduce(state, cx, ts, k, take, executed)
        qty -= take
        k = nxt


# -- one message row ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _remove(state, cx, ts, side, price, qty, oid, executed):
    """Take ``qty`` from a level, from order ``oid`` first when it is known there."""
    k = _live(cx, oid)
    if k >= 0 and cx.orders[k, O_SIDE] == side and cx.orders[k, O_PRICE] == price:
        take = min(qty, cx.orders[k, O_REM])
        _reduce(state, cx, ts, k, take, executed)
        qty -= take
    elif k != -1:
        cx.cnt[C_STALE] += 1
    else:
        cx.cnt[C_UNKNOWN] += 1
    if qty <= 0:
        return
    short = _adjust(state, cx, ts, side, price, -qty, executed)
    if executed and qty - short > 0:
        _event(state, cx, ts, FK_TRADE, 1 - side, oid, price, qty - short, np.int64(4))
    if short > 0:
        _take_known(state, cx, ts, side, price, short, executed)


@njit(cache=True, inline="always")
def _message(state, cx, ts, kind, oid, size, price, direction):
    side = np.int64(0) if direction == 1 else np.int64(1)
    if kind == 1:
        if _live(cx, oid) >= 0 or oid >= ANON:
            _adjust(state, cx, ts, side, price, size, False)
        else:
            _add(state, cx, ts, oid, side, price, size)
    elif kind == 2 or kind == 3 or kind == 4:
        _remove(state, cx, ts, side, price, size, oid, kind == 4)
    elif (kind == 5 or kind == 6) and size > 0 and price > 0:
        _event(state, cx, ts, FK_TRADE, 1 - side, oid, price, size, kind)


# -- the orderbook file -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _visible(row, side, nlev, out):
    """Write the (price, qty) of one side's non-empty levels of ``row`` into ``out``; count."""
    n = 0
    col = 2 * (1 - side)
    for k in range(nlev):
        price, qty = row[4 * k + col], row[4 * k + col + 1]
        if qty > 0 and price != EMPTY_ASK and price != EMPTY_BID:
            out[n, 0] = price
            out[n, 1] = qty
            n += 1
    return n


@njit(cache=True, inline="always")
def _worse(side, price, bound):
    return price < bound if side == 0 else price > bound


@njit(cache=True)
def _prices_until(state, side, bounded, last):
    """Return the book's prices on ``side``, best first, down to ``last`` (all if unbounded)."""
    n = 16
    while True:
        buf = np.empty((n, 3), np.int64)
        got = book_levels(state, side, n, buf)
        if got < n or (bounded and _worse(side, buf[n - 1, 0], last)):
            k = 0
            while k < got and not (bounded and _worse(side, buf[k, 0], last)):
                k += 1
            return buf[:k, 0].copy()
        n *= 4


@njit(cache=True, inline="always")
def _shown(vis, n, price):
    for j in range(n):  # noqa: SIM110 (a loop compiles; a generator does not)
        if vis[j, 0] == price:
            return True
    return False


@njit(cache=True, inline="always")
def _set_level(state, cx, ts, side, price, qty):
    """Make a level hold ``qty`` (a reveal from the orderbook file)."""
    have = level_of(state, side, price)[0]
    if have == qty:
        return
    cx.cnt[C_REVEALS] += 1
    short = _adjust(state, cx, ts, side, price, qty - have, False)
    if qty < have and short > 0:
        _take_known(state, cx, ts, side, price, short, False)
        cx.cnt[C_REPAIRS] -= 1  # a reveal, not a repair


@njit(cache=True)
def _window(state, cx, ts, row, side, nlev, vis, bound, bounded_below):
    """Set the levels of ``row``'s side (only those worse than ``bound`` if bounded_below)."""
    n = _visible(row, side, nlev, vis)
    for j in range(n):
        if not bounded_below or _worse(side, vis[j, 0], bound):
            _set_level(state, cx, ts, side, vis[j, 0], vis[j, 1])
    last = vis[n - 1, 0] if n == nlev else np.int64(0)
    for price in _prices_until(state, side, n == nlev, last):
        if (not bounded_below or _worse(side, price, bound)) and not _shown(vis, n, price):
            _set_level(state, cx, ts, side, price, np.int64(0))


@njit(cache=True)
def _reveal(state, cx, ts, prev, row, nlev, vis):
    # levels that were below the previous row's window take the file's quantity now
    for side in range(2):
        n = _visible(prev, side, nlev, vis)
        if n < nlev:
            continue  # the whole side was visible: nothing can be revealed
        _window(state, cx, ts, row, np.int64(side), nlev, vis, vis[n - 1, 0], True)


@njit(cache=True)
def _resync(state, cx, ts, row, nlev, vis):
    # make the whole visible window equal to the file row (after a mismatch)
    for side in range(2):
        _window(state, cx, ts, row, np.int64(side), nlev, vis, np.int64(0), False)


@njit(cache=True)
def top_row(state, nlev, got, buf):
    """Write the book's top ``nlev`` levels into ``got`` laid out as an orderbook-file row."""
    nb = book_levels(state, 0, nlev, buf[:nlev])
    na = book_levels(state, 1, nlev, buf[nlev:])
    for k in range(nlev):
        got[4 * k] = buf[nlev + k, 0] if k < na else EMPTY_ASK
        got[4 * k + 1] = buf[nlev + k, 1] if k < na else 0
        got[4 * k + 2] = buf[k, 0] if k < nb else EMPTY_BID
        got[4 * k + 3] = buf[k, 1] if k < nb else 0


@njit(cache=True)
def seed(state, cx, ts, kind, oid, size, price, direction, row, nlev):
    """Seed the book from orderbook row 0: anonymous levels, plus message 0's own order."""
    state = view(state)
    side = np.int64(0) if direction == 1 else np.int64(1)
    mine = np.empty((nlev, 2), np.int64)
    n_mine = _visible(row, side, nlev, mine)
    if kind == 1 and size > 0 and oid < ANON:
        for j in range(n_mine):
            if mine[j, 0] == price and mine[j, 1] >= size:
                mine[j, 1] -= size
                _add(state, cx, ts, oid, side, price, size)
                break
    other = np.empty((nlev, 2), np.int64)
    for s in range(2):
        vis, n = (mine, n_mine) if s == side else (other, _visible(row, s, nlev, other))
        for j in range(n):
            if vis[j, 1] > 0:
                _adjust(state, cx, ts, np.int64(s), vis[j, 0], vis[j, 1], False)


@njit(cache=True)
def run(state, cx, msgs, ob, nlev, check, moved, start, stop, row_ends, bad_rows, bad_got):
    """Replay message rows ``start:stop``; answer the row a refusal stopped at, else ``stop``.

    ``msgs`` is (n, 6) int64 (time, type, id, size, price, direction); ``ob`` the orderbook
    file (n, 4 nlev) or an empty array. Mismatched rows (``check``) go to ``bad_rows`` and
    ``bad_got`` and the window is then re-synchronised from the file.
    """
    state = view(state)
    cnt = cx.cnt
    has_ob = ob.shape[0] > 0
    vis = np.empty((max(nlev, 1), 2), np.int64)
    got = np.empty(4 * max(nlev, 1), np.int64)
    buf = np.empty((2 * max(nlev, 1), 3), np.int64)
    for i in range(start, stop):
        ts = msgs[i, 0]
        _message(state, cx, ts, msgs[i, 1], msgs[i, 2], msgs[i, 3], msgs[i, 4], msgs[i, 5])
        if has_ob:
            if moved[i]:
                before = cnt[C_REVEALS]
                _reveal(state, cx, ts, ob[i - 1], ob[i], nlev, vis)
                if cnt[C_REVEALS] > before:
                    cnt[C_ROWS_REVEALED] += 1
            if check:
                cnt[C_COMPARED] += 1
                top_row(state, nlev, got, buf)
                if np.array_equal(got, ob[i]):
                    cnt[C_MATCHED] += 1
                else:
                    m = cnt[C_MISMATCHES]
                    if m < MAX_MISMATCHES:
                        bad_rows[m] = i
                        bad_got[m] = got
                    cnt[C_MISMATCHES] = m + 1
                    _resync(state, cx, ts, ob[i], nlev, vis)
        if cx.log_on:
            row_ends[i] = cnt[C_LOG]
        if cnt[C_ERROR] != 0:
            return i
    return stop
