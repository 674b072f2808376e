"""Matching kernels: every operation of the Exchange, over the arrays of a ``BookState``.

Each public kernel validates its arguments first and answers a negative ``E_*`` code, with the
state untouched, when it refuses them. Otherwise it makes room, stamps the logical clock,
records the command in the event log and runs it. Interactive calls, the batch entry point
(``run_commands``) and replay all go through the same ``_place`` / ``_match`` code.

An order answer is a tuple ``(order_id, status, filled, resting, cancelled, trade_lo,
trade_hi)``: the aggressor's trades are rows ``[trade_lo, trade_hi)`` of the trade log.
"""

import numpy as np
from numba import njit

from tickbook.book._index import ix_find
from tickbook.book._jit import COMMANDS, GRID, INT, cancel_answer, entry, submit_answer, view
from tickbook.book._layout import (
    C_PEAK,
    E_KIND,
    E_LEVEL_QTY,
    E_NEW_QTY,
    E_NOT_ACTIVE,
    E_POST_ONLY_TIF,
    E_PRICE,
    E_QTY,
    E_ROOM,
    E_TRAIL,
    E_UNKNOWN,
    F_MARKET,
    F_POST_ONLY,
    GTC,
    H_NPENDING,
    H_NSTOPS,
    H_OP_HI,
    H_OP_LO,
    H_STOPS_DUE,
    H_TRADE_LOG,
    K_CANCEL,
    K_CLEAR_HISTORY,
    K_LIMIT,
    K_MARKET,
    K_MODIFY,
    K_REDUCE,
    K_STOP_LIMIT,
    K_STOP_MARKET,
    K_TRAIL_LIMIT,
    K_TRAIL_MARKET,
    K_TRAIL_PARAMS,
    MAX_PRICE,
    MAX_QTY,
    O_META,
    O_PRICE,
    O_REM,
    O_VIS,
    S_EXTREME,
    S_FLAGS,
    S_ID,
    S_LIMIT,
    S_LIMIT_ORDER,
    S_OWNER,
    S_PERIOD,
    S_QTY,
    S_SIDE,
    S_STATUS,
    S_STOP,
    S_TIF,
    S_TRAIL,
    S_TS,
    S_VALUE,
    SS_CANCELLED,
    SS_PENDING,
    ST_CANCELLED,
    ST_FILLED,
    ST_PARTIAL,
    TRAIL_NONE,
    V_COUNT,
    V_HEAD,
    V_TAIL,
)
from tickbook.book._levels import (
    key_of,
    level_close,
    level_find,
    purge_dead,
    queue_bury,
    queue_unlink,
    refresh_best,
)
from tickbook.book._log import log_event
from tickbook.book._matching import (
    _check_order,
    _next_id,
    _place,
    _refused,
    _shrink_resting,
    _tick,
    level_fits,
)
from tickbook.book._queries import (
    atr_changes,
    book_orders,
    clear_trades,
    compact,
    levels,
    order_slot,
    snapshot,
)
from tickbook.book._room import has_room, room_needed
from tickbook.book._slots import (
    free_slots_where,
    owner_of,
    set_status,
    side_of,
    status_of,
    tif_of,
)
from tickbook.book._stops import (
    _check_stop,
    _run_stops,
    find_stop,
    stop_index,
    stop_unindex,
    stops_reindex,
)


@njit(cache=True)
def _after(st):
    if st.hdr[H_NPENDING] > 0:
        _run_stops(st)
    refresh_best(st)


# -- orders -----------------------------------------------------------------------------------


@njit(cache=True)
def _limit(st, side, price, qty, tif, flags, owner, peak):
    err = _check_order(side, price, qty, tif, flags, owner, peak, False)
    if err != 0:
        return _refused(err)
    if tif == GTC and not level_fits(st, side, price, qty):
        return _refused(E_LEVEL_QTY)
    if not has_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0):
        return _refused(E_ROOM)
    ts = _tick(st)
    log_event(st, K_LIMIT, side, tif, flags, owner, price, qty, peak)
    res = _place(st, _next_id(st), side, price, qty, tif, flags, owner, peak, ts)
    _after(st)
    return res


@entry(INT, INT, INT, INT)
def limit(state, side, price, qty, tif):
    """Submit a plain limit order (the hot path); answers a ``SubmitResult``."""
    st = view(state)
    return submit_answer(_limit(st, side, price, qty, tif, 0, 0, 0), st.hdr[H_TRADE_LOG])


@entry(INT, INT, INT, INT, INT, INT, INT)
def limit_ex(state, side, price, qty, tif, flags, owner, peak):
    """Submit a limit order with post-only, owner / self-trade and iceberg options."""
    st = view(state)
    return submit_answer(_limit(st, side, price, qty, tif, flags, owner, peak), st.hdr[H_TRADE_LOG])


@entry(INT, INT, INT, INT)
def market(state, side, qty, flags, owner):
    """Submit a market order: immediate or cancel at any price; answers a ``SubmitResult``."""
    st = view(state)
    return submit_answer(_market(st, side, qty, flags, owner), st.hdr[H_TRADE_LOG])


@njit(cache=True)
def _market(st, side, qty, flags, owner):
    err = _check_order(side, 0, qty, 1, flags, owner, 0, True)
    if err != 0:
        return _refused(err)
    if (flags & F_POST_ONLY) != 0:
        return _refused(E_POST_ONLY_TIF)
    if not has_room(st, room_needed(st), st.hdr[H_NPENDING], 2, 0):
        return _refused(E_ROOM)
    ts = _tick(st)
    log_event(st, K_MARKET, side, 1, flags, owner, 0, qty, 0)
    res = _place(st, _next_id(st), side, 0, qty, 1, flags | F_MARKET, owner, 0, ts)
    _after(st)
    return res


@njit(cache=True)
def _cancel_slot(st, slot):
    oq = st.oq
    side = side_of(oq, slot)
    li = level_find(st, side, key_of(side, oq[slot, O_PRICE]))
    rem = oq[slot, O_REM]
    if slot == st.lv[side, li, V_HEAD] or slot == st.lv[side, li, V_TAIL]:
        queue_unlink(st, side, li, slot, oq[slot, O_VIS])  # one neighbour (quote and pull)
    else:
        queue_bury(st, side, li, slot)  # stays linked, dead: no neighbour rows touched
    oq[slot, O_REM] = 0
    oq[slot, O_VIS] = 0
    set_status(oq, slot, ST_CANCELLED)
    if st.lv[side, li, V_COUNT] == 0:
        level_close(st, side, li)
    return rem


@njit(cache=True)
def _find_active(st, oid):
    """Return (slot, 0) for a resting order, or (-1, error code)."""
    if oid < 1:
        return -1, E_UNKNOWN
    slot = ix_find(st, oid)
    if slot < 0:
        return -1, E_UNKNOWN
    if status_of(st.oq, slot) > ST_PARTIAL:
        return -1, E_NOT_ACTIVE
    return slot, 0


@entry(INT)
def cancel(state, oid):
    """Cancel a resting order or a pending stop; answers a ``CancelResult``."""
    st = view(state)
    code, quantity = _cancel(st, oid)
    return cancel_answer(code, quantity)


@njit(cache=True)
def _cancel(st, oid):
    """Cancel a resting order or a pending stop; answer (0 or error, cancelled quantity)."""
    slot, err = _find_active(st, oid)
    if err == E_UNKNOWN:
        r = find_stop(st, oid)
        if r < 0:
            return np.int64(E_UNKNOWN), np.int64(0)
        if st.sp[r, S_STATUS] != SS_PENDING:
            return np.int64(E_NOT_ACTIVE), np.int64(0)
        if not has_room(st, 0, 0, 1, 0):
            return np.int64(E_ROOM), np.int64(0)
        _tick(st)
        log_event(st, K_CANCEL, 0, 0, 0, 0, 0, 0, oid)
        st.sp[r, S_STATUS] = SS_CANCELLED
        stop_unindex(st, r)
        st.hdr[H_NPENDING] -= 1
        return np.int64(0), st.sp[r, S_QTY]
    if err != 0:
        return np.int64(err), np.int64(0)
    if not has_room(st, 0, 0, 1, 0):
        return np.int64(E_ROOM), np.int64(0)
    _tick(st)
    log_event(st, K_CANCEL, 0, 0, 0, 0, 0, 0, oid)
    done = _cancel_slot(st, slot)
    refresh_best(st)
    return np.int64(0), done


@entry(INT, INT, INT)
def modify(state, oid, price, qty):
    """Cancel a resting order and submit its replacement (new id, back of the queue)."""
    st = view(state)
    if price < 1 or price > MAX_PRICE:
        return _refused(E_PRICE) + (np.int64(0),)
    if qty < 1 or qty > MAX_QTY:
        return _refused(E_QTY) + (np.int64(0),)
    slot, err = _find_active(st, oid)
    if err != 0:
        return _refused(err) + (np.int64(0),)
    side = side_of(st.oq, slot)
    if tif_of(st.oq, slot) == GTC and not level_fits(st, side, price, qty):
        return _refused(E_LEVEL_QTY) + (np.int64(0),)
    if not has_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0):
        return _refused(E_ROOM) + (np.int64(0),)
    ts = _tick(st)
    log_event(st, K_MODIFY, 0, 0, 0, 0, price, qty, oid)
    oq = st.oq
    tif = tif_of(oq, slot)
    flags = (oq[slot, O_META] >> 24) & 0xFF
    owner = owner_of(oq, slot)
    peak = st.oc[slot, C_PEAK]
    if peak > qty:
        peak = qty
    old = _cancel_slot(st, slot)
    res = _place(st, _next_id(st), side, price, qty, tif, flags, owner, peak, ts)
    _after(st)
    return res + (old,)


@entry(INT, INT)
def reduce(state, oid, new_qty):
    """Lower a resting order's open quantity, keeping its place; answer (0 or error, cut)."""
    st = view(state)
    slot, err = _find_active(st, oid)
    if err != 0:
        return np.int64(err), np.int64(0)
    rem = st.oq[slot, O_REM]
    if new_qty < 1 or new_qty >= rem:
        return np.int64(E_NEW_QTY), np.int64(0)
    if not has_room(st, 0, 0, 1, 0):
        return np.int64(E_ROOM), np.int64(0)
    _tick(st)
    log_event(st, K_REDUCE, 0, 0, 0, 0, 0, new_qty, oid)
    side = side_of(st.oq, slot)
    li = level_find(st, side, key_of(side, st.oq[slot, O_PRICE]))
    _shrink_resting(st, side, li, slot, new_qty)
    return np.int64(0), rem - new_qty


@entry()
def clear_history(state):
    """Forget filled and cancelled orders and finished stops; answer how many orders (or E_ROOM).

    Their ids become unknown.
    """
    st = view(state)
    if not has_room(st, 0, 0, 1, 0):
        return np.int64(E_ROOM)
    _tick(st)
    log_event(st, K_CLEAR_HISTORY, 0, 0, 0, 0, 0, 0, 0)
    purge_dead(st)
    freed = free_slots_where(st, (1 << ST_FILLED) | (1 << ST_CANCELLED))
    sp = st.sp
    kept = 0
    for r in range(st.hdr[H_NSTOPS]):
        if sp[r, S_STATUS] == SS_PENDING:
            if kept != r:
                sp[kept] = sp[r]
            kept += 1
    st.hdr[H_NSTOPS] = kept
    stops_reindex(st)
    return freed


# -- stops ------------------------------------------------------------------------------------


@entry(INT, INT, INT, INT, INT, INT, INT, INT, INT, INT)
def stop(state, side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period):
    """Submit a stop order (``limit_price`` 0 for stop-market), trailing when ``trail`` > 0.

    Answers (order id or error, stop status). It triggers at once if the last trade price is
    already past the stop.
    """
    st = view(state)
    err = _check_stop(side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period)
    if err != 0:
        return np.int64(err), np.int64(0)
    if not has_room(st, room_needed(st) + 1, 2 + st.hdr[H_NPENDING], 3, 1):
        return np.int64(E_ROOM), np.int64(0)
    ts = _tick(st)
    is_limit = limit_price > 0
    if trail == TRAIL_NONE:
        kind = K_STOP_LIMIT if is_limit else K_STOP_MARKET
        log_event(st, kind, side, tif, flags, owner, limit_price, qty, stop_price)
    else:
        kind = K_TRAIL_LIMIT if is_limit else K_TRAIL_MARKET
        log_event(st, kind, side, tif, flags, owner, limit_price, qty, stop_price)
        log_event(st, K_TRAIL_PARAMS, 0, 0, 0, 0, value, period, trail)
    oid = _next_id(st)
    hdr = st.hdr
    r = hdr[H_NSTOPS]
    sp = st.sp
    sp[r, S_ID] = oid
    sp[r, S_SIDE] = side
    sp[r, S_LIMIT_ORDER] = 1 if is_limit else 0
    sp[r, S_STOP] = stop_price
    sp[r, S_LIMIT] = limit_price
    sp[r, S_QTY] = qty
    sp[r, S_TIF] = tif if is_limit else 1
    sp[r, S_OWNER] = owner
    sp[r, S_TRAIL] = trail
    sp[r, S_VALUE] = value
    sp[r, S_PERIOD] = period
    sp[r, S_EXTREME] = 0  # a trailing stop follows only trades after its submission
    if hdr[H_NPENDING] == 0:  # nothing pending: forget prices seen before this stop
        hdr[H_OP_HI] = 0
        hdr[H_OP_LO] = 0
    sp[r, S_TS] = ts
    sp[r, S_STATUS] = SS_PENDING
    sp[r, S_FLAGS] = flags
    hdr[H_NSTOPS] = r + 1
    hdr[H_NPENDING] += 1
    stop_index(st, r)
    hdr[H_STOPS_DUE] = 1  # the last price may already be past it
    _after(st)
    return oid, st.sp[r, S_STATUS]


# -- batch ------------------------------------------------------------------------------------


@entry(COMMANDS, INT, INT, GRID)
def run_commands(state, cmds, start, base, out):
    """Run ``cmds[start:]`` in order, writing one answer row per command into ``out``.

    ``out[i]`` is (order id, error code, status, filled, resting, cancelled, trade_start,
    trade_end), the layout of ``BATCH_RESULT_DTYPE``; trade rows count from row ``base`` of the
    trade log (the batch's first trade). A refused command has order id 0 and a negative
    error, changes nothing, and the batch goes on. A trailing-stop command takes the next
    K_TRAIL_PARAMS row as parameters (both rows are refused together). Answers the index of
    the first command not run: ``cmds.shape[0]``, or one that lacks room.
    """
    st = view(state)
    i = start
    n = cmds.shape[0]
    while i < n:
        kind = cmds[i]["kind"]
        if kind == K_TRAIL_MARKET or kind == K_TRAIL_LIMIT:
            if i + 1 < n and cmds[i + 1]["kind"] == K_TRAIL_PARAMS:
                res = _run_trailing(st, cmds[i], cmds[i + 1])
                if res[0] == E_ROOM:
                    return i
                _answer(out, i, res, base)
                if res[0] < 0:
                    _answer(out, i + 1, res, base)
                else:
                    out[i + 1, :] = 0
                i += 2
                continue
            res = _refused(E_TRAIL)
        else:
            res = _run_command(st, cmds[i])
        if res[0] == E_ROOM:
            return i  # nothing changed: the caller makes room and resumes here
        _answer(out, i, res, base)
        i += 1
    return i


@njit(cache=True)
def _run_trailing(st, c, p):
    """Run a trailing-stop command ``c`` with its parameter row ``p``."""
    kind = c["kind"]
    if p["ref"] == TRAIL_NONE:  # a trailing stop names its method
        return _refused(E_TRAIL)
    price = c["price"]
    lim = price if kind == K_TRAIL_LIMIT else np.int64(0)
    if kind == K_TRAIL_LIMIT and price == 0:
        lim = np.int64(-1)  # a stop-limit needs a limit price
    oid, status = stop(
        st,
        np.int64(c["side"]),
        c["ref"],
        lim,
        c["qty"],
        np.int64(c["tif"]),
        np.int64(c["flags"]),
        np.int64(c["owner"]),
        p["ref"],
        p["price"],
        p["qty"],
    )
    z = np.int64(0)
    return oid, status, z, z, z, z, z


@njit(cache=True)
def _run_command(st, c):
    """Run one command (not a trailing stop); answer its 7-field order answer."""
    kind = c["kind"]
    side = np.int64(c["side"])
    tif = np.int64(c["tif"])
    flags = np.int64(c["flags"])
    owner = np.int64(c["owner"])
    price = c["price"]
    qty = c["qty"]
    ref = c["ref"]
    z = np.int64(0)
    if kind == K_LIMIT:
        return _limit(st, side, price, qty, tif, flags, owner, ref)
    if kind == K_MARKET:
        return _market(st, side, qty, flags, owner)
    if kind == K_CANCEL:
        code, done = _cancel(st, ref)
        return ref if code == 0 else code, np.int64(ST_CANCELLED), z, z, done, z, z
    if kind == K_MODIFY:
        m = modify(st, ref, price, qty)
        return m[0], m[1], m[2], m[3], m[4], m[5], m[6]
    if kind == K_REDUCE:
        code, done = reduce(st, ref, qty)
        return ref if code == 0 else code, np.int64(ST_PARTIAL), z, qty, done, z, z
    if kind == K_STOP_MARKET or kind == K_STOP_LIMIT:
        lim = price if kind == K_STOP_LIMIT else z
        if kind == K_STOP_LIMIT and price == 0:
            lim = np.int64(-1)  # a stop-limit needs a limit price
        oid, status = stop(st, side, ref, lim, qty, tif, flags, owner, 0, 0, 0)
        return oid, status, z, z, z, z, z
    if kind == K_CLEAR_HISTORY:
        freed = clear_history(st)
        return np.int64(E_ROOM) if freed == E_ROOM else z, z, z, z, z, z, z
    return _refused(E_KIND)


@njit(cache=True, inline="always")
def _answer(out, i, res, base):
    failed = res[0] < 0
    out[i, 0] = 0 if failed else res[0]
    out[i, 1] = res[0] if failed else 0
    out[i, 2] = res[1]
    out[i, 3] = res[2]
    out[i, 4] = res[3]
    out[i, 5] = res[4]
    traded = res[6] > res[5]
    out[i, 6] = res[5] - base if traded else 0
    out[i, 7] = res[6] - base if traded else 0


__all__ = [
    "atr_changes",
    "book_orders",
    "cancel",
    "clear_history",
    "clear_trades",
    "compact",
    "levels",
    "limit",
    "limit_ex",
    "market",
    "modify",
    "order_slot",
    "reduce",
    "run_commands",
    "snapshot",
    "stop",
]
