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

# ``mem``, the replay's one int64 work array, alive across kernel calls: a header (counters
# and the offsets below), then two open-addressing hash tables (order id -> shadow row as
# (key, row) pairs; level key price * 2 + side -> (key, head row, tail row) of the FIFO list
# of the known orders there), then the shadow orders (6 columns). One array, not a tuple of
# them: every call passing a tuple pays a reference count per member.
(
    C_COMPARED,
    C_MATCHED,
    C_REVEALS,
    C_ROWS_REVEALED,
    C_UNKNOWN,
    C_STALE,
    C_REPAIRS,
    C_MISMATCHES,
    C_LOG,  # events logged (or that would have been, past the log's end)
    C_ORDERS,
    C_ERROR,
    C_ERROR_KIND,
    C_ERROR_ID,
    C_ERROR_PRICE,
    C_ERROR_QTY,
    C_LOG_ON,
    H_IDS,
    H_ID_MASK,
    H_LEVELS,
    H_LEVEL_MASK,
    H_ORDERS,
    H_ORDER_CAP,
) = range(22)
HEADER = 24
# shadow order columns
O_SIDE, O_PRICE, O_REM, O_NEXT, O_PREV, O_ID = range(6)


def table_size(n: int) -> int:
    """Return the hash table size for at most ``n`` keys (a power of two, load <= 1/2)."""
    size = 16
    while size < 2 * n:
        size *= 2
    return size


def new_mem(n_orders: int, n_levels: int, log: bool) -> np.ndarray:
    """Return a work array for a replay adding at most ``n_orders`` orders at ``n_levels``."""
    size, level_size = table_size(n_orders), table_size(n_levels)
    ids = HEADER
    levels = ids + 2 * size
    orders = levels + 3 * level_size
    mem = np.full(orders + 6 * n_orders, -1, np.int64)
    mem[:HEADER] = 0
    mem[C_LOG_ON] = int(log)
    mem[H_IDS], mem[H_ID_MASK] = ids, size - 1
    mem[H_LEVELS], mem[H_LEVEL_MASK] = levels, level_size - 1
    mem[H_ORDERS], mem[H_ORDER_CAP] = orders, n_orders
    return mem


@njit(cache=True, inline="always")
def _probe(mem, base, mask, width, key):
    """Return the index in ``mem`` of ``key``'s slot in a table, or of the empty one."""
    i = ((key * np.int64(-7046029254386353131)) >> np.int64(29)) & mask
    while True:
        at = base + i * width
        if mem[at] == key or mem[at] == -1:
            return at
        i = (i + 1) & mask


@njit(cache=True, inline="always")
def _o(mem, k, column):
    """Return the index in ``mem`` of column ``column`` of shadow order ``k``."""
    return mem[H_ORDERS] + 6 * k + column


# -- book events ------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _emit(mem, log, ts, kind, side, oid, price, qty, tag):
    n = mem[C_LOG]
    mem[C_LOG] = n + 1
    if n < log.shape[0]:  # past the end: counted, and the caller runs again with room
        log[n, 0] = ts
        log[n, 1] = kind
        log[n, 2] = side
        log[n, 3] = oid
        log[n, 4] = price
        log[n, 5] = qty
        log[n, 6] = tag


@njit(cache=True, inline="always")
def _event(st, mem, log, ts, kind, side, oid, price, qty, tag):
    """Apply one book event; answer ``feed_event``'s answer (0 once a refusal stopped the row)."""
    if mem[C_ERROR] != 0:
        return np.int64(0)
    code = feed_event(st, ts, np.int64(kind), np.int64(side), oid, price, qty, np.int64(0))
    if code < 0:
        mem[C_ERROR] = code
        mem[C_ERROR_KIND] = kind
        mem[C_ERROR_ID] = oid
        mem[C_ERROR_PRICE] = price
        mem[C_ERROR_QTY] = qty
        return np.int64(0)
    if mem[C_LOG_ON]:
        done = qty + code if kind == FK_ADJUST_LEVEL and qty < 0 else qty
        if done != 0 or kind != FK_ADJUST_LEVEL:
            _emit(mem, log, ts, kind, side, oid, price, done, tag)
    return code


@njit(cache=True, inline="always")
def _adjust(st, mem, log, ts, side, price, delta, executed):
    """Add or remove anonymous level quantity; answer what could not be removed."""
    tag = TAG_EXECUTED if executed else 0
    return _event(st, mem, log, ts, FK_ADJUST_LEVEL, side, np.int64(0), price, delta, tag)


# -- the orders this replay added ---------------------------------------------------------------


@njit(cache=True, inline="always")
def _live(mem, oid):
    """Return the shadow row of live order ``oid``; -1 if never added, -2 if added but gone."""
    at = _probe(mem, mem[H_IDS], mem[H_ID_MASK], 2, oid)
    if mem[at] != oid:
        return np.int64(-1)
    k = mem[at + 1]
    return k if mem[_o(mem, k, O_REM)] > 0 else np.int64(-2)


@njit(cache=True, inline="always")
def _level(mem, key):
    """Return the index in ``mem`` of level ``key``'s (key, head, tail) entry, made if new."""
    at = _probe(mem, mem[H_LEVELS], mem[H_LEVEL_MASK], 3, key)
    mem[at] = key
    return at


@njit(cache=True, inline="always")
def _add(st, mem, log, ts, oid, side, price, qty):
    _event(st, mem, log, ts, FK_ADD, side, oid, price, qty, np.int64(0))
    k = mem[C_ORDERS]
    if mem[C_ERROR] != 0 or k >= mem[H_ORDER_CAP]:
        return
    mem[C_ORDERS] = k + 1
    at = _level(mem, price * 2 + side)
    tail = mem[at + 2]
    o = _o(mem, k, 0)
    mem[o + O_SIDE] = side
    mem[o + O_PRICE] = price
    mem[o + O_REM] = qty
    mem[o + O_NEXT] = -1
    mem[o + O_PREV] = tail
    mem[o + O_ID] = oid
    slot = _probe(mem, mem[H_IDS], mem[H_ID_MASK], 2, oid)
    mem[slot] = oid
    mem[slot + 1] = k
    if tail >= 0:
        mem[_o(mem, tail, O_NEXT)] = k
    else:
        mem[at + 1] = k
    mem[at + 2] = k


@njit(cache=True, inline="always")
def _unlink(mem, k):
    o = _o(mem, k, 0)
    at = _level(mem, mem[o + O_PRICE] * 2 + mem[o + O_SIDE])
    prev, nxt = mem[o + O_PREV], mem[o + O_NEXT]
    if prev >= 0:
        mem[_o(mem, prev, O_NEXT)] = nxt
    else:
        mem[at + 1] = nxt
    if nxt >= 0:
        mem[_o(mem, nxt, O_PREV)] = prev
    else:
        mem[at + 2] = prev


@njit(cache=True, inline="always")
def _reduce(st, mem, log, ts, k, qty, executed):
    """Take ``qty`` from known order ``k`` (a cancel, a delete when it empties, or a fill)."""
    if qty <= 0:
        return
    o = _o(mem, k, 0)
    rem = mem[o + O_REM]
    gone = qty >= rem
    kind = FK_EXECUTE if executed else (FK_DELETE if gone else FK_CANCEL)
    _event(st, mem, log, ts, kind, mem[o + O_SIDE], mem[o + O_ID], mem[o + O_PRICE], qty, 0)
    if mem[C_ERROR] != 0:
        return
    mem[o + O_REM] = rem - qty
    if gone:
        _unlink(mem, k)


@njit(cache=True)
def _take_known(st, mem, log, ts, side, price, qty, executed):
    # the level holds known orders that the partial feed saw leave no trace: take from them
    mem[C_REPAIRS] += 1
    at = _probe(mem, mem[H_LEVELS], mem[H_LEVEL_MASK], 3, price * 2 + side)
    k = mem[at + 1] if mem[at] == price * 2 + side else np.int64(-1)
    while k >= 0 and qty > 0 and mem[C_ERROR] == 0:
        nxt = mem[_o(mem, k, O_NEXT)]
        take = min(qty, mem[_o(mem, k, O_REM)])
        _reduce(st, mem, log, ts, k, take, executed)
        qty -= take
        k = nxt


# -- one message row ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _remove(st, mem, log, ts, side, price, qty, oid, executed):
    """Take ``qty`` from a level, from order ``oid`` first when it is known there."""
    k = _live(mem, oid)
    if k >= 0 and mem[_o(mem, k, O_SIDE)] == side and mem[_o(mem, k, O_PRICE)] == price:
        take = min(qty, mem[_o(mem, k, O_REM)])
        _reduce(st, mem, log, ts, k, take, executed)
        qty -= take
    elif k != -1:
        mem[C_STALE] += 1
    else:
        mem[C_UNKNOWN] += 1
    if qty <= 0:
        return
    short = _adjust(st, mem, log, ts, side, price, -qty, executed)
    if executed and qty - short > 0:
        _event(st, mem, log, ts, FK_TRADE, 1 - side, oid, price, qty - short, np.int64(4))
    if short > 0:
        _take_known(st, mem, log, ts, side, price, short, executed)


@njit(cache=True, inline="always")
def _message(st, mem, log, ts, kind, oid, size, price, direction):
    side = np.int64(0) if direction == 1 else np.int64(1)
    if kind == 1:
        if _live(mem, oid) >= 0 or oid >= ANON:
            _adjust(st, mem, log, ts, side, price, size, False)
        else:
            _add(st, mem, log, ts, oid, side, price, size)
    elif kind == 2 or kind == 3 or kind == 4:
        _remove(st, mem, log, ts, side, price, size, oid, kind == 4)
    elif (kind == 5 or kind == 6) and size > 0 and price > 0:
        _event(st, mem, log, ts, FK_TRADE, 1 - side, oid, price, size, kind)


# -- the orderbook file -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _visible(ob, r, side, nlev, out):
    """Write the (price, qty) of one side's non-empty levels of ``ob[r]`` into ``out``; count.

    Rows are read in place (``ob[r, c]``): a row view would cost a reference count.
    """
    n = 0
    col = 2 * (1 - side)
    for k in range(nlev):
        price, qty = ob[r, 4 * k + col], ob[r, 4 * k + col + 1]
        if qty > 0 and price != EMPTY_ASK and price != EMPTY_BID:
            out[n, 0] = price
            out[n, 1] = qty
            n += 1
    return n


@njit(cache=True, inline="always")
def _worse(side, price, bound):
    return price < bound if side == 0 else price > bound


@njit(cache=True)
def _prices_until(state, side, bounded, last, scratch):
    """Return (rows, k): the book's ``side`` prices, best first, down to ``last``.

    Prices are ``rows[:k, 0]`` (all of the side if not ``bounded``); ``rows`` is ``scratch``
    unless more rows were needed.
    """
    buf = scratch
    n = len(scratch)
    while True:
        got = book_levels(state, side, n, buf)
        if got < n or (bounded and _worse(side, buf[n - 1, 0], last)):
            k = 0
            while k < got and not (bounded and _worse(side, buf[k, 0], last)):
                k += 1
            return buf, k
        n *= 4
        buf = np.empty((n, 3), np.int64)


@njit(cache=True, inline="always")
def _shown(vis, n, price):
    for j in range(n):  # noqa: SIM110 (a loop compiles; a generator does not)
        if vis[j, 0] == price:
            return True
    return False


@njit(cache=True, inline="always")
def _set_level(st, mem, log, ts, side, price, qty):
    """Make a level hold ``qty`` (a reveal from the orderbook file)."""
    have = level_of(st, side, price)[0]
    if have == qty:
        return
    mem[C_REVEALS] += 1
    short = _adjust(st, mem, log, ts, side, price, qty - have, False)
    if qty < have and short > 0:
        _take_known(st, mem, log, ts, side, price, short, False)
        mem[C_REPAIRS] -= 1  # a reveal, not a repair


@njit(cache=True)
def _window(st, mem, log, ts, ob, r, side, nlev, vis, bound, bounded_below, scratch):
    """Set the levels of ``ob[r]``'s side (only those worse than ``bound`` if bounded_below)."""
    n = _visible(ob, r, side, nlev, vis)
    if bounded_below and n == nlev and not _worse(side, vis[n - 1, 0], bound):
        return  # the window reaches no deeper than before: nothing entered it from below
    for j in range(n):
        if not bounded_below or _worse(side, vis[j, 0], bound):
            _set_level(st, mem, log, ts, side, vis[j, 0], vis[j, 1])
    last = vis[n - 1, 0] if n == nlev else np.int64(0)
    rows, k = _prices_until(st, side, n == nlev, last, scratch)
    for j in range(k):
        price = rows[j, 0]
        if (not bounded_below or _worse(side, price, bound)) and not _shown(vis, n, price):
            _set_level(st, mem, log, ts, side, price, np.int64(0))


@njit(cache=True)
def _reveal(st, mem, log, ts, ob, r, nlev, vis, scratch):
    # levels that were below the previous row's window take the file's quantity now
    for side in range(2):
        n = _visible(ob, r - 1, side, nlev, vis)
        if n < nlev:
            continue  # the whole side was visible: nothing can be revealed
        bound = vis[n - 1, 0]
        _window(st, mem, log, ts, ob, r, np.int64(side), nlev, vis, bound, True, scratch)


@njit(cache=True)
def _resync(st, mem, log, ts, ob, r, nlev, vis, scratch):
    # make the whole visible window equal to the file row (after a mismatch)
    for side in range(2):
        _window(st, mem, log, ts, ob, r, np.int64(side), nlev, vis, np.int64(0), False, scratch)


@njit(cache=True)
def top_row(state, nlev, got, bids, asks):
    """Write the book's top ``nlev`` levels into ``got`` laid out as an orderbook-file row."""
    nb = book_levels(state, 0, nlev, bids)
    na = book_levels(state, 1, nlev, asks)
    for k in range(nlev):
        got[4 * k] = asks[k, 0] if k < na else EMPTY_ASK
        got[4 * k + 1] = asks[k, 1] if k < na else 0
        got[4 * k + 2] = bids[k, 0] if k < nb else EMPTY_BID
        got[4 * k + 3] = bids[k, 1] if k < nb else 0


@njit(cache=True, inline="always")
def _same(got, ob, r):
    for c in range(len(got)):  # noqa: SIM110 (a loop compiles; a generator does not)
        if got[c] != ob[r, c]:
            return False
    return True


@njit(cache=True)
def seed(state, mem, log, ts, kind, oid, size, price, direction, ob, nlev):
    """Seed the book from orderbook row 0: anonymous levels, plus message 0's own order."""
    st = view(state)
    side = np.int64(0) if direction == 1 else np.int64(1)
    mine = np.empty((nlev, 2), np.int64)
    n_mine = _visible(ob, 0, side, nlev, mine)
    if kind == 1 and size > 0 and oid < ANON:
        for j in range(n_mine):
            if mine[j, 0] == price and mine[j, 1] >= size:
                mine[j, 1] -= size
                _add(st, mem, log, ts, oid, side, price, size)
                break
    other = np.empty((nlev, 2), np.int64)
    for s in range(2):
        vis, n = (mine, n_mine) if s == side else (other, _visible(ob, 0, s, nlev, other))
        for j in range(n):
            if vis[j, 1] > 0:
                _adjust(st, mem, log, ts, np.int64(s), vis[j, 0], vis[j, 1], False)


@njit(cache=True)
def run(state, mem, log, msgs, ob, nlev, check, moved, start, stop, row_ends, bad_rows, bad_got):
    """Replay message rows ``start:stop``; answer the row a refusal stopped at, else ``stop``.

    ``msgs`` is (n, 6) int64 (time, type, id, size, price, direction); ``ob`` the orderbook
    file (n, 4 nlev) or an empty array. Mismatched rows (``check``) go to ``bad_rows`` and
    ``bad_got`` and the window is then re-synchronised from the file. ``mem`` is the work
    array (``new_mem``); ``log`` receives the book events applied when logging is on.
    """
    st = view(state)
    cnt = mem
    has_ob = ob.shape[0] > 0
    vis = np.empty((max(nlev, 1), 2), np.int64)
    got = np.empty(4 * nlev, np.int64)
    bids = np.empty((max(nlev, 1), 3), np.int64)
    asks = np.empty((max(nlev, 1), 3), np.int64)
    scratch = np.empty((nlev + 16, 3), np.int64)
    for i in range(start, stop):
        ts = msgs[i, 0]
        _message(st, mem, log, ts, msgs[i, 1], msgs[i, 2], msgs[i, 3], msgs[i, 4], msgs[i, 5])
        if has_ob:
            if moved[i]:
                before = cnt[C_REVEALS]
                _reveal(st, mem, log, ts, ob, i, nlev, vis, scratch)
                if cnt[C_REVEALS] > before:
                    cnt[C_ROWS_REVEALED] += 1
            if check:
                cnt[C_COMPARED] += 1
                top_row(st, nlev, got, bids, asks)
                if _same(got, ob, i):
                    cnt[C_MATCHED] += 1
                else:
                    m = cnt[C_MISMATCHES]
                    if m < MAX_MISMATCHES:
                        bad_rows[m] = i
                        bad_got[m] = got
                    cnt[C_MISMATCHES] = m + 1
                    _resync(st, mem, log, ts, ob, i, nlev, vis, scratch)
        if mem[C_LOG_ON]:
            row_ends[i] = cnt[C_LOG]
        if cnt[C_ERROR] != 0:
            return i
    return stop
