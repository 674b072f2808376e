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

from tickbook.book._answers import cancel_answer, submit_answer
from tickbook.book._layout import (
    C_PEAK,
    C_TS,
    E_KIND,
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
    H_ATR_N,
    H_NLEV,
    H_NPENDING,
    H_NSTOPS,
    H_NTRADES,
    H_OP_HI,
    H_OP_LO,
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
    MAX_ATR_PERIOD,
    MAX_PRICE,
    MAX_QTY,
    O_ID,
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
    V_KEY,
    V_QTY,
    V_TAIL,
)
from tickbook.book._matching import (
    _check_order,
    _next_id,
    _place,
    _price_of,
    _refused,
    _shrink_resting,
    _tick,
)
from tickbook.book._state import view
from tickbook.book._stops import (
    _check_stop,
    _run_stops,
)
from tickbook.book._store import (
    compact_orders,
    free_slots_where,
    has_room,
    is_dead,
    ix_find,
    key_of,
    level_emptied,
    level_search,
    link_next,
    log_event,
    owner_of,
    queue_bury,
    queue_drop_dead,
    queue_unlink,
    refresh_best,
    room_needed,
    set_status,
    side_of,
    status_of,
    tif_of,
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
    if not has_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0):
        return _refused(E_ROOM)
    ts = _tick(st)
    log_event(st, K_LIMIT, side, tif, flags, owner, price, qty, peak)
    res = _place(st, _next_id(st), side, price, qty, tif, flags, owner, peak, ts)
    _after(st)
    return res


@njit(cache=True)
def limit(state, side, price, qty, tif):
    """Submit a plain limit order (the hot path); answers a ``SubmitResult``."""
    st = view(state)
    return submit_answer(_limit(st, side, price, qty, tif, 0, 0, 0), st.hdr[H_TRADE_LOG])


@njit(cache=True)
def limit_ex(state, side, price, qty, tif, flags, owner, peak):
    """Submit a limit order with post-only, owner / self-trade and iceberg options."""
    st = view(state)
    return submit_answer(_limit(st, side, price, qty, tif, flags, owner, peak), st.hdr[H_TRADE_LOG])


@njit(cache=True)
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
    li, _ = level_search(st, side, key_of(side, oq[slot, O_PRICE]))
    rem = oq[slot, O_REM]
    if slot == st.lv[side, li, V_HEAD] or slot == st.lv[side, li, V_TAIL]:
        queue_unlink(st, side, li, slot, oq[slot, O_VIS])  # one neighbour (quote and pull)
    else:
        queue_bury(st, side, li, slot)  # stays linked, dead: no neighbour rows touched
    oq[slot, O_REM] = 0
    oq[slot, O_VIS] = 0
    set_status(oq, slot, ST_CANCELLED)
    if st.lv[side, li, V_COUNT] == 0:
        level_emptied(st, side, li)
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


@njit(cache=True)
def _find_stop(st, oid):
    sp = st.sp
    for r in range(st.hdr[H_NSTOPS]):
        if sp[r, S_ID] == oid:
            return r
    return -1


@njit(cache=True)
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
        r = _find_stop(st, oid)
        if r < 0:
            return np.int64(E_UNKNOWN), np.int64(0)
        if st.sp[r, S_STATUS] != SS_PENDING:
            return np.int64(E_NOT_ACTIVE), np.int64(0)
        if not has_room(st, 0, 0, 1, 0):
            return np.int64(E_ROOM), np.int64(0)
        _tick(st)
        log_event(st, K_CANCEL, 0, 0, 0, 0, 0, 0, oid)
        st.sp[r, S_STATUS] = SS_CANCELLED
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


@njit(cache=True)
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
    if not has_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0):
        return _refused(E_ROOM) + (np.int64(0),)
    ts = _tick(st)
    log_event(st, K_MODIFY, 0, 0, 0, 0, price, qty, oid)
    oq = st.oq
    side = side_of(oq, slot)
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


@njit(cache=True)
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
    li, _ = level_search(st, side, key_of(side, st.oq[slot, O_PRICE]))
    _shrink_resting(st, side, li, slot, new_qty)
    return np.int64(0), rem - new_qty


@njit(cache=True)
def clear_history(state):
    """Forget filled and cancelled orders and finished stops; answer how many orders (or E_ROOM).

    Their ids become unknown.
    """
    st = view(state)
    if not has_room(st, 0, 0, 1, 0):
        return np.int64(E_ROOM)
    _tick(st)
    log_event(st, K_CLEAR_HISTORY, 0, 0, 0, 0, 0, 0, 0)
    freed = free_slots_where(st, (1 << ST_FILLED) | (1 << ST_CANCELLED))
    sp = st.sp
    kept = 0
    for r in range(st.hdr[H_NSTOPS]):
        if sp[r, S_STATUS] == SS_PENDING:
            if kept != r:
                sp[kept] = sp[r]
            kept += 1
    st.hdr[H_NSTOPS] = kept
    return freed


# -- stops ------------------------------------------------------------------------------------


@njit(cache=True)
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
    _after(st)
    return oid, st.sp[_find_stop(st, oid), S_STATUS]


# -- batch ------------------------------------------------------------------------------------


@njit(cache=True)
def run_commands(state, cmds, start, base, out):
    """Run ``cmds[start:]`` in order, writing one answer row per command into ``out``.

    ``out[i]`` is (order id, error code, status, filled, resting, cancelled, trade_start,
    trade_end), the layout of ``BATCH_RESULT_DTYPE``; trade rows count from row ``base`` of the
    trade log (the batch's first trade). A refused command has order id 0 and a negative
    error, changes nothing, and the batch goes on. A trailing-stop command takes the next
    K_TRAIL_PARAMS row as parameters. Answers the index of the first command not run:
    ``cmds.shape[0]``, or one that lacks room.
    """
    st = view(state)
    i = start
    n = cmds.shape[0]
    while i < n:
        c = cmds[i]
        kind = c["kind"]
        side = np.int64(c["side"])
        tif = np.int64(c["tif"])
        flags = np.int64(c["flags"])
        owner = np.int64(c["owner"])
        price = c["price"]
        qty = c["qty"]
        ref = c["ref"]
        res = _refused(E_KIND)
        if kind == K_LIMIT:
            res = _limit(st, side, price, qty, tif, flags, owner, ref)
        elif kind == K_MARKET:
            res = _market(st, side, qty, flags, owner)
        elif kind == K_CANCEL:
            code, done = _cancel(st, ref)
            res = (
                ref if code == 0 else code,
                np.int64(ST_CANCELLED),
                np.int64(0),
                np.int64(0),
                done,
                np.int64(0),
                np.int64(0),
            )
        elif kind == K_MODIFY:
            m = modify(st, ref, price, qty)
            res = (m[0], m[1], m[2], m[3], m[4], m[5], m[6])
        elif kind == K_REDUCE:
            code, done = reduce(st, ref, qty)
            res = (
                ref if code == 0 else code,
                np.int64(ST_PARTIAL),
                np.int64(0),
                qty,
                done,
                np.int64(0),
                np.int64(0),
            )
        elif kind == K_STOP_MARKET or kind == K_STOP_LIMIT:
            lim = price if kind == K_STOP_LIMIT else np.int64(0)
            if kind == K_STOP_LIMIT and price == 0:
                lim = np.int64(-1)  # a stop-limit needs a limit price
            oid, status = stop(st, side, ref, lim, qty, tif, flags, owner, 0, 0, 0)
            res = (oid, status, np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(0))
        elif kind == K_TRAIL_MARKET or kind == K_TRAIL_LIMIT:
            if i + 1 < n and cmds[i + 1]["kind"] == K_TRAIL_PARAMS:
                p = cmds[i + 1]
                lim = price if kind == K_TRAIL_LIMIT else np.int64(0)
                if kind == K_TRAIL_LIMIT and price == 0:
                    lim = np.int64(-1)
                oid, status = stop(
                    st, side, ref, lim, qty, tif, flags, owner, p["ref"], p["price"], p["qty"]
                )
                if oid == E_ROOM:
                    return i
                res = (oid, status, np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(0))
                for k in range(8):
                    out[i + 1, k] = 0
                _answer(out, i, res, base)
                i += 2
                continue
            res = _refused(E_TRAIL)
        elif kind == K_CLEAR_HISTORY:
            freed = clear_history(st)
            res = (
                np.int64(E_ROOM) if freed == E_ROOM else np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
            )
        if res[0] == E_ROOM:
            return i  # nothing changed: the caller makes room and resumes here
        _answer(out, i, res, base)
        i += 1
    return i


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


# -- queries and upkeep -----------------------------------------------------------------------


@njit(cache=True)
def levels(state, side, n, out):
    """Write the best ``n`` levels of ``side`` into ``out`` as (price, qty, orders) rows."""
    st = view(state)
    lv = st.lv
    k = 0
    li = st.hdr[H_NLEV + side] - 1
    while k < n and li >= 0:
        if lv[side, li, V_COUNT] > 0:  # skip empty levels kept in place (level_emptied)
            out[k, 0] = _price_of(side, lv[side, li, V_KEY])
            out[k, 1] = lv[side, li, V_QTY]
            out[k, 2] = lv[side, li, V_COUNT]
            k += 1
        li -= 1
    return k


@njit(cache=True)
def snapshot(state, n, out):
    """Write the best ``n`` bid levels into ``out[:n]`` and asks into ``out[n:]``.

    Rows are (price, qty, orders); answer the number of bid levels * 2**32 + ask levels.
    """
    st = view(state)
    nb = levels(st, 0, n, out[:n])
    na = levels(st, 1, n, out[n:])
    return (nb << 32) | na


@njit(cache=True)
def book_orders(state, side, out):
    """Write the resting orders of ``side`` in priority order; answer the count.

    Rows are (id, price, visible, open quantity, owner, timestamp).
    """
    st = view(state)
    lv = st.lv
    k = 0
    for li in range(st.hdr[H_NLEV + side] - 1, -1, -1):
        o = lv[side, li, V_HEAD]
        while o >= 0:
            if is_dead(st.oq, o):
                o = queue_drop_dead(st, side, li, o)  # unlinked once, not walked again
                continue
            out[k, 0] = st.oq[o, O_ID]
            out[k, 1] = st.oq[o, O_PRICE]
            out[k, 2] = st.oq[o, O_VIS]
            out[k, 3] = st.oq[o, O_REM]
            out[k, 4] = owner_of(st.oq, o)
            out[k, 5] = st.oc[o, C_TS]
            k += 1
            o = link_next(st.oq, o)
    return k


@njit(cache=True)
def compact(state):
    """Shrink the order table and index to the live orders, and the trade log to its rows."""
    st = view(state)
    cap = compact_orders(st)
    n = st.hdr[H_NTRADES]
    rows = 256
    while rows < n:
        rows *= 2
    if rows < st.tr.shape[0]:
        tr = np.zeros((rows, st.tr.shape[1]), np.int64)
        tr[:n] = st.tr[:n]
        st.tr = tr
    return cap


@njit(cache=True)
def clear_trades(state):
    """Start a fresh trade log; trade ids keep counting."""
    st = view(state)
    st.tr = np.zeros((256, st.tr.shape[1]), np.int64)
    st.hdr[H_NTRADES] = 0


@njit(cache=True)
def order_slot(state, oid):
    """Return the slot of order ``oid`` or -1."""
    st = view(state)
    if oid < 1:
        return np.int64(-1)
    return ix_find(st, oid)


@njit(cache=True)
def atr_changes(state, period):
    """Return the mean of the last ``period`` absolute trade-price changes (-1 if too few)."""
    st = view(state)
    seen = st.hdr[H_ATR_N]
    if period < 1 or period > MAX_ATR_PERIOD or seen < period:
        return -1.0
    total = 0
    for k in range(seen - period, seen):
        total += st.ring[k % MAX_ATR_PERIOD]
    return total / period
