"""Feed-mode kernels: the same book, driven by a market-data feed instead of matching.

Orders carry the feed's own ids. Nothing matches: the feed says what traded. A book rebuilt
from a partial feed may hold quantity whose orders it never saw; ``adjust_level`` keeps such
quantity as one anonymous order per price level, with an id from a reserved range.
Every kernel answers 0 or a negative ``E_*`` code; a refused event changes nothing.
"""

import numpy as np
from numba import njit

from tickbook.book._index import ix_find, ix_insert
from tickbook.book._jit import INT, entry, view
from tickbook.book._layout import (
    C_PEAK,
    C_TS,
    E_DUPLICATE,
    E_KIND,
    E_LEVEL_QTY,
    E_NEW_QTY,
    E_ORDER_ID,
    E_PRICE,
    E_QTY,
    E_SIDE,
    E_UNKNOWN,
    H_CLOCK,
    H_NRESTING,
    MAX_LEVEL_QTY,
    MAX_PRICE,
    MAX_QTY,
    O_FILLED,
    O_ID,
    O_LINK,
    O_META,
    O_PRICE,
    O_QTY,
    O_REM,
    O_VIS,
    ST_CANCELLED,
    ST_FILLED,
    ST_NEW,
    ST_PARTIAL,
    V_COUNT,
    V_QTY,
)
from tickbook.book._levels import (
    key_of,
    level_close,
    level_find,
    level_open,
    levels_clear,
    purge_dead,
    queue_append,
    queue_unlink,
    refresh_best,
)
from tickbook.book._log import record_trade
from tickbook.book._room import ensure_room
from tickbook.book._slots import (
    alloc_slot,
    free_slot,
    free_slots_where,
    make_meta,
    set_status,
    side_of,
)

#: ids at or above this value are reserved for the anonymous quantity of a level
ANON_BASE = np.int64(1) << np.int64(62)

(
    FK_ADD,
    FK_CANCEL,
    FK_DELETE,
    FK_EXECUTE,
    FK_EXECUTE_AT_PRICE,
    FK_REPLACE,
    FK_ADJUST_LEVEL,
    FK_TRADE,
    FK_CLEAR,
) = range(1, 10)

#: One feed event; ``apply`` runs an array of them in one call.
BOOK_EVENT_DTYPE = np.dtype(
    [
        ("ts_ns", "i8"),
        ("kind", "i1"),
        ("side", "i1"),
        ("order_id", "i8"),
        ("price", "i8"),
        ("qty", "i8"),
        ("new_order_id", "i8"),
    ],
    align=True,
)


@njit(cache=True, inline="always")
def _anon_id(side, price):
    return ANON_BASE + price * 2 + side


@njit(cache=True)
def _insert(st, oid, side, price, qty, ts):
    slot = alloc_slot(st)
    oq = st.oq
    oq[slot, O_ID] = oid
    oq[slot, O_PRICE] = price
    oq[slot, O_QTY] = qty
    oq[slot, O_REM] = qty
    oq[slot, O_VIS] = qty
    oq[slot, O_FILLED] = 0
    oq[slot, O_META] = make_meta(side, ST_NEW, 0, 0, 0)
    oq[slot, O_LINK] = -1
    st.oc[slot, C_PEAK] = 0
    st.oc[slot, C_TS] = ts
    ix_insert(st, oid, slot)
    key = key_of(side, price)
    li = level_find(st, side, key)
    if li < 0:
        li = level_open(st, side, key)
    queue_append(st, side, li, slot, qty)


@njit(cache=True)
def _fits(st, side, price, qty):
    """Whether ``qty`` more at ``price`` keeps the level's total within MAX_LEVEL_QTY."""
    li = level_find(st, side, key_of(side, price))
    return li < 0 or st.lv[side, li, V_QTY] <= MAX_LEVEL_QTY - qty


@njit(cache=True)
def _take(st, slot, qty):
    """Remove ``qty`` from a resting order; drop the order (and its level) at zero."""
    oq = st.oq
    side = side_of(oq, slot)
    li = level_find(st, side, key_of(side, oq[slot, O_PRICE]))
    if qty >= oq[slot, O_REM]:
        queue_unlink(st, side, li, slot, oq[slot, O_VIS])
        if st.lv[side, li, V_COUNT] == 0:
            level_close(st, side, li)
        free_slot(st, slot)
        return
    oq[slot, O_REM] -= qty
    oq[slot, O_VIS] -= qty
    st.lv[side, li, V_QTY] -= qty
    set_status(oq, slot, ST_PARTIAL)


@njit(cache=True)
def _check(side, price, qty):
    if side != 0 and side != 1:
        return E_SIDE
    if price < 1 or price > MAX_PRICE:
        return E_PRICE
    if qty < 1 or qty > MAX_QTY:
        return E_QTY
    return 0


@njit(cache=True)
def _known(st, oid):
    if oid < 0 or oid >= ANON_BASE:
        return np.int64(-1)
    return ix_find(st, oid)


@entry(INT, INT, INT, INT, INT, INT, INT)
def feed_event(state, ts, kind, side, oid, price, qty, new_oid):
    """Apply one feed event; answer 0, or for ADJUST_LEVEL the quantity it could not remove."""
    st = view(state)
    code = np.int64(0)
    if kind == FK_ADD:
        code = _add(st, ts, side, oid, price, qty)
    elif kind == FK_CANCEL or kind == FK_EXECUTE or kind == FK_EXECUTE_AT_PRICE:
        code = _take_some(st, ts, kind, oid, price, qty)
    elif kind == FK_DELETE:
        slot = _known(st, oid)
        if slot < 0:
            return np.int64(E_UNKNOWN)
        _take(st, slot, st.oq[slot, O_REM])
    elif kind == FK_REPLACE:
        code = _replace(st, ts, oid, price, qty, new_oid)
    elif kind == FK_ADJUST_LEVEL:
        return _adjust(st, ts, side, price, qty)
    elif kind == FK_TRADE:
        code = _check(side, price, qty)
        if code == 0:
            record_trade(st, price, qty, np.int64(0), oid, ts, side)
    elif kind == FK_CLEAR:
        feed_clear(st)
    else:
        return np.int64(E_KIND)
    if code != 0:
        return np.int64(code)
    st.hdr[H_CLOCK] = ts
    refresh_best(st)
    return np.int64(0)


@njit(cache=True)
def _add(st, ts, side, oid, price, qty):
    err = _check(side, price, qty)
    if err != 0:
        return err
    if oid < 0 or oid >= ANON_BASE:
        return E_ORDER_ID
    if ix_find(st, oid) >= 0:
        return E_DUPLICATE
    if not _fits(st, side, price, qty):
        return E_LEVEL_QTY
    ensure_room(st, 1, 1, 0, 0)
    _insert(st, oid, side, price, qty, ts)
    return 0


@njit(cache=True)
def _take_some(st, ts, kind, oid, price, qty):
    """Cancel or execute ``qty`` of a resting order."""
    slot = _known(st, oid)
    if slot < 0:
        return E_UNKNOWN
    if qty < 1 or qty > st.oq[slot, O_REM]:
        return E_NEW_QTY
    if kind == FK_EXECUTE_AT_PRICE and (price < 1 or price > MAX_PRICE):
        return E_PRICE
    if kind != FK_CANCEL:
        at = price if kind == FK_EXECUTE_AT_PRICE else st.oq[slot, O_PRICE]
        passive_side = side_of(st.oq, slot)
        record_trade(st, at, qty, np.int64(0), oid, ts, 1 - passive_side)
    _take(st, slot, qty)
    return 0


@njit(cache=True)
def _replace(st, ts, oid, price, qty, new_oid):
    slot = _known(st, oid)
    if slot < 0:
        return E_UNKNOWN
    side = side_of(st.oq, slot)
    err = _check(side, price, qty)
    if err != 0:
        return err
    if new_oid < 0 or new_oid >= ANON_BASE:
        return E_ORDER_ID
    if new_oid != oid and ix_find(st, new_oid) >= 0:
        return E_DUPLICATE
    same = st.oq[slot, O_PRICE] == price
    if not _fits(st, side, price, qty - (st.oq[slot, O_VIS] if same else 0)):
        return E_LEVEL_QTY
    ensure_room(st, 1, 1, 0, 0)
    _take(st, slot, st.oq[slot, O_REM])
    _insert(st, new_oid, side, price, qty, ts)
    return 0


@njit(cache=True)
def _adjust(st, ts, side, price, qty):
    """Add (qty > 0) or remove anonymous quantity at a level; answer what it could not remove."""
    if side != 0 and side != 1:
        return np.int64(E_SIDE)
    if price < 1 or price > MAX_PRICE:
        return np.int64(E_PRICE)
    if qty < -MAX_QTY or qty > MAX_QTY:
        return np.int64(E_QTY)
    if qty > 0 and not _fits(st, side, price, qty):
        return np.int64(E_LEVEL_QTY)
    anon = _anon_id(side, price)
    slot = ix_find(st, anon)
    left = np.int64(0)
    if qty > 0:
        if slot >= 0:
            li = level_find(st, side, key_of(side, price))
            st.oq[slot, O_REM] += qty
            st.oq[slot, O_VIS] += qty
            st.oq[slot, O_QTY] += qty
            st.lv[side, li, V_QTY] += qty
        else:
            ensure_room(st, 1, 1, 0, 0)
            _insert(st, anon, side, price, qty, ts)
    elif qty < 0:
        if slot < 0:
            left = -qty
        else:
            have = st.oq[slot, O_REM]
            _take(st, slot, min(have, -qty))
            left = max(np.int64(0), -qty - have)
    st.hdr[H_CLOCK] = ts
    refresh_best(st)
    return left


@njit(cache=True)
def feed_clear(state):
    """Empty the book (trades are kept)."""
    st = view(state)
    purge_dead(st)
    free_slots_where(st, (1 << ST_NEW) | (1 << ST_PARTIAL) | (1 << ST_FILLED) | (1 << ST_CANCELLED))
    levels_clear(st)
    st.hdr[H_NRESTING] = 0
    refresh_best(st)


@njit(cache=True)
def feed_apply(state, events, start, stop, out):
    """Apply ``events[start:stop]``; write each answer into ``out``; answer the refusals."""
    st = view(state)
    refused = 0
    for i in range(start, stop):
        e = events[i]
        code = feed_event(
            st,
            e["ts_ns"],
            np.int64(e["kind"]),
            np.int64(e["side"]),
            e["order_id"],
            e["price"],
            e["qty"],
            e["new_order_id"],
        )
        out[i] = code
        if code < 0:
            refused += 1
    return refused


@njit(cache=True)
def level_of(state, side, price):
    """Return (displayed quantity, order count) at ``price`` on ``side``; zeros if none."""
    st = view(state)
    li = level_find(st, side, key_of(side, price))
    if li < 0:
        return np.int64(0), np.int64(0)
    return st.lv[side, li, V_QTY], st.lv[side, li, V_COUNT]
