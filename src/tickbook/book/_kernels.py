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

from tickbook.book._layout import (
    BUY,
    C_PEAK,
    C_TS,
    E_DISPLAY,
    E_FLAGS,
    E_KIND,
    E_NEW_QTY,
    E_NOT_ACTIVE,
    E_OWNER,
    E_PERIOD,
    E_POST_ONLY_TIF,
    E_PRICE,
    E_QTY,
    E_SIDE,
    E_STOP_PRICE,
    E_STP,
    E_TIF,
    E_TRAIL,
    E_UNKNOWN,
    F_MARKET,
    F_POST_ONLY,
    FOK,
    GTC,
    H_ATR_N,
    H_CLOCK,
    H_LAST_PRICE,
    H_NEXT_ID,
    H_NLEV,
    H_NPENDING,
    H_NSTOPS,
    H_NTRADES,
    H_OP_HI,
    H_OP_LO,
    H_USED,
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
    MARKET_BUY_LIMIT,
    MARKET_SELL_LIMIT,
    MAX_ATR_PERIOD,
    MAX_CASCADE,
    MAX_OWNER,
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
    PPB,
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
    SS_TRIGGERED,
    ST_CANCELLED,
    ST_FILLED,
    ST_NEW,
    ST_PARTIAL,
    STP_CANCEL_BOTH,
    STP_CANCEL_NEWEST,
    STP_CANCEL_OLDEST,
    STP_MASK,
    STP_NONE,
    STP_SHIFT,
    TRAIL_ATR,
    TRAIL_FIXED,
    TRAIL_NONE,
    TRAIL_PERCENT,
    V_COUNT,
    V_HEAD,
    V_KEY,
    V_QTY,
)
from tickbook.book._store import (  # noqa: F401  (adopt: re-exported for the wrappers)
    adopt,
    alloc_slot,
    compact_orders,
    ensure_room,
    free_slot,
    ix_find,
    ix_insert,
    key_of,
    level_insert,
    level_remove,
    level_search,
    link_next,
    log_event,
    make_meta,
    owner_of,
    queue_append,
    queue_unlink,
    record_trade,
    refresh_best,
    room_needed,
    set_status,
    side_of,
    status_of,
    tif_of,
)

_USER_FLAGS = F_POST_ONLY | (STP_MASK << STP_SHIFT)
_FIRING = 3  # a stop chosen in this cascade round, about to run


# -- validation -------------------------------------------------------------------------------


@njit(cache=True)
def _check_order(side, price, qty, tif, flags, owner, peak, is_market):
    if side != 0 and side != 1:
        return E_SIDE
    if not is_market and (price < 1 or price > MAX_PRICE):
        return E_PRICE
    if qty < 1 or qty > MAX_QTY:
        return E_QTY
    if tif < 0 or tif > 2:
        return E_TIF
    if flags < 0 or (flags & ~_USER_FLAGS) != 0:
        return E_FLAGS
    if ((flags >> STP_SHIFT) & STP_MASK) > 4:
        return E_STP
    if (flags & F_POST_ONLY) != 0 and tif != GTC:
        return E_POST_ONLY_TIF
    if owner < 0 or owner > MAX_OWNER:
        return E_OWNER
    if peak < 0 or peak > qty:
        return E_DISPLAY
    return 0


# -- matching ---------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _price_of(side, key):
    return key if side == 0 else -key


@njit(cache=True)
def _crosses(st, side, limit):
    opp = 1 - side
    n = st.hdr[H_NLEV + opp]
    if n == 0:
        return False
    best = _price_of(opp, st.lv[opp, n - 1, V_KEY])
    return best <= limit if side == BUY else best >= limit


@njit(cache=True)
def _fillable(st, side, limit, qty, owner, stp):
    """Quantity a FOK order could trade, walking the book as ``_match`` would, without changes."""
    opp = 1 - side
    lv = st.lv
    avail = 0
    for li in range(st.hdr[H_NLEV + opp] - 1, -1, -1):
        price = _price_of(opp, lv[opp, li, V_KEY])
        if (side == BUY and price > limit) or (side != BUY and price < limit):
            break
        o = lv[opp, li, V_HEAD]
        oq = st.oq
        while o >= 0:
            if stp != STP_NONE and owner != 0 and owner_of(oq, o) == owner:
                if stp != STP_CANCEL_OLDEST:
                    return avail
            else:
                avail += oq[o, O_REM]
                if avail >= qty:
                    return avail
            o = link_next(oq, o)
    return avail


@njit(cache=True)
def _drop_resting(st, side, li, slot):
    """Cancel a resting order at level ``li`` (the level may be left empty)."""
    queue_unlink(st, side, li, slot, st.oq[slot, O_VIS])
    st.oq[slot, O_REM] = 0
    st.oq[slot, O_VIS] = 0
    set_status(st.oq, slot, ST_CANCELLED)


@njit(cache=True)
def _shrink_resting(st, side, li, slot, new_rem):
    """Lower a resting order's open quantity in place, keeping its queue position."""
    if new_rem == 0:
        _drop_resting(st, side, li, slot)
        return
    oq = st.oq
    vis = oq[slot, O_VIS]
    if vis > new_rem:
        st.lv[side, li, V_QTY] -= vis - new_rem
        oq[slot, O_VIS] = new_rem
    oq[slot, O_REM] = new_rem


@njit(cache=True)
def _match(st, side, limit, qty, owner, stp, aggressor, ts):
    """Trade ``qty`` against the opposite side up to ``limit``; return (filled, left, killed).

    Price-time priority; the trade price is the resting order's. ``killed`` means self-trade
    prevention cancelled the aggressor's remainder.
    """
    opp = 1 - side
    hdr = st.hdr
    lv = st.lv
    oq = st.oq
    oc = st.oc
    left = qty
    filled = 0
    killed = False
    while left > 0 and not killed:
        n = hdr[H_NLEV + opp]
        if n == 0:
            break
        li = n - 1
        price = _price_of(opp, lv[opp, li, V_KEY])
        if (side == BUY and price > limit) or (side != BUY and price < limit):
            break
        o = lv[opp, li, V_HEAD]
        while left > 0 and o >= 0:
            if stp != STP_NONE and owner != 0 and owner_of(oq, o) == owner:
                if stp == STP_CANCEL_NEWEST:
                    killed = True
                    break
                nxt = link_next(oq, o)
                if stp == STP_CANCEL_OLDEST or stp == STP_CANCEL_BOTH:
                    _drop_resting(st, opp, li, o)
                    if stp == STP_CANCEL_BOTH:
                        killed = True
                        break
                else:  # decrement both by the smaller quantity, no trade
                    d = min(left, oq[o, O_REM])
                    left -= d
                    _shrink_resting(st, opp, li, o, oq[o, O_REM] - d)
                o = nxt if oq[o, O_REM] == 0 else o
                continue
            vis = oq[o, O_VIS]
            take = left if left < vis else vis
            record_trade(st, price, take, aggressor, oq[o, O_ID], ts, side)
            left -= take
            filled += take
            oq[o, O_VIS] = vis - take
            oq[o, O_REM] -= take
            oq[o, O_FILLED] += take
            lv[opp, li, V_QTY] -= take
            if take < vis:
                set_status(oq, o, ST_PARTIAL)
            elif oq[o, O_REM] > 0:
                # iceberg: show a new slice, which goes to the back of the queue
                rem = oq[o, O_REM]
                peak = oc[o, C_PEAK]
                set_status(oq, o, ST_PARTIAL)
                queue_unlink(st, opp, li, o, 0)
                queue_append(st, opp, li, o, peak if peak < rem else rem)
                oq[o, O_VIS] = peak if peak < rem else rem
                o = lv[opp, li, V_HEAD]
            else:
                set_status(oq, o, ST_FILLED)
                nxt = link_next(oq, o)
                queue_unlink(st, opp, li, o, 0)
                o = nxt
        if lv[opp, li, V_COUNT] == 0:
            level_remove(st, opp, li)
    return filled, left, killed


@njit(cache=True)
def _place(st, oid, side, price, qty, tif, flags, owner, peak, ts):
    """Run a validated order through the book: match, then rest, cancel or fill."""
    hdr = st.hdr
    oq = st.oq
    is_market = (flags & F_MARKET) != 0
    slot = alloc_slot(st)
    oq[slot, O_ID] = oid
    oq[slot, O_PRICE] = 0 if is_market else price
    oq[slot, O_QTY] = qty
    oq[slot, O_META] = make_meta(side, ST_NEW, tif, flags, owner)
    oq[slot, O_LINK] = -1  # no queue until it rests
    st.oc[slot, C_PEAK] = peak
    st.oc[slot, C_TS] = ts
    ix_insert(st, oid, slot)
    if is_market:
        limit = MARKET_BUY_LIMIT if side == BUY else MARKET_SELL_LIMIT
    else:
        limit = price
    stp = (flags >> STP_SHIFT) & STP_MASK
    tlo = hdr[H_NTRADES]
    filled = 0
    left = qty
    killed = False
    if (flags & F_POST_ONLY) != 0:
        killed = _crosses(st, side, limit)
    elif tif == FOK:
        killed = _fillable(st, side, limit, qty, owner, stp) < qty
    if not killed and hdr[H_NLEV + 1 - side] > 0:
        filled, left, killed = _match(st, side, limit, qty, owner, stp, oid, ts)
    oq[slot, O_FILLED] = filled
    if left > 0 and not killed and tif == GTC and not is_market:
        vis = left if peak == 0 or peak >= left else peak
        oq[slot, O_REM] = left
        oq[slot, O_VIS] = vis
        key = key_of(side, price)
        li, found = level_search(st, side, key)
        if not found:
            level_insert(st, side, li, key)
        queue_append(st, side, li, slot, vis)
        status = ST_PARTIAL if filled > 0 else ST_NEW
        resting = left
        cancelled = 0
    else:
        oq[slot, O_REM] = 0
        oq[slot, O_VIS] = 0
        status = ST_FILLED if filled == qty else ST_CANCELLED
        resting = 0
        cancelled = qty - filled
    set_status(oq, slot, status)
    return oid, np.int64(status), filled, resting, cancelled, tlo, hdr[H_NTRADES]


@njit(cache=True, inline="always")
def _tick(st):
    ts = st.hdr[H_CLOCK] + 1
    st.hdr[H_CLOCK] = ts
    return ts


@njit(cache=True, inline="always")
def _next_id(st):
    oid = st.hdr[H_NEXT_ID]
    st.hdr[H_NEXT_ID] = oid + 1
    return oid


@njit(cache=True, inline="always")
def _refused(code):
    z = np.int64(0)
    return np.int64(code), z, z, z, z, z, z


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
    ensure_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0)
    ts = _tick(st)
    log_event(st, K_LIMIT, side, tif, flags, owner, price, qty, peak)
    res = _place(st, _next_id(st), side, price, qty, tif, flags, owner, peak, ts)
    _after(st)
    return res


@njit(cache=True)
def limit(st, side, price, qty, tif):
    """Submit a plain limit order (the hot path)."""
    return _limit(st, side, price, qty, tif, 0, 0, 0)


@njit(cache=True)
def limit_ex(st, side, price, qty, tif, flags, owner, peak):
    """Submit a limit order with post-only, owner / self-trade and iceberg options."""
    return _limit(st, side, price, qty, tif, flags, owner, peak)


@njit(cache=True)
def market(st, side, qty, flags, owner):
    """Submit a market order: immediate or cancel at any price."""
    err = _check_order(side, 0, qty, 1, flags, owner, 0, True)
    if err != 0:
        return _refused(err)
    if (flags & F_POST_ONLY) != 0:
        return _refused(E_POST_ONLY_TIF)
    ensure_room(st, room_needed(st), st.hdr[H_NPENDING], 2, 0)
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
    _drop_resting(st, side, li, slot)
    if st.lv[side, li, V_COUNT] == 0:
        level_remove(st, side, li)
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
def cancel(st, oid):
    """Cancel a resting order or a pending stop; answer (0 or error, cancelled quantity)."""
    slot, err = _find_active(st, oid)
    if err == E_UNKNOWN:
        r = _find_stop(st, oid)
        if r < 0:
            return np.int64(E_UNKNOWN), np.int64(0)
        if st.sp[r, S_STATUS] != SS_PENDING:
            return np.int64(E_NOT_ACTIVE), np.int64(0)
        ensure_room(st, 0, 0, 1, 0)
        _tick(st)
        log_event(st, K_CANCEL, 0, 0, 0, 0, 0, 0, oid)
        st.sp[r, S_STATUS] = SS_CANCELLED
        st.hdr[H_NPENDING] -= 1
        return np.int64(0), st.sp[r, S_QTY]
    if err != 0:
        return np.int64(err), np.int64(0)
    ensure_room(st, 0, 0, 1, 0)
    _tick(st)
    log_event(st, K_CANCEL, 0, 0, 0, 0, 0, 0, oid)
    done = _cancel_slot(st, slot)
    refresh_best(st)
    return np.int64(0), done


@njit(cache=True)
def modify(st, oid, price, qty):
    """Cancel a resting order and submit its replacement (new id, back of the queue)."""
    if price < 1 or price > MAX_PRICE:
        return _refused(E_PRICE) + (np.int64(0),)
    if qty < 1 or qty > MAX_QTY:
        return _refused(E_QTY) + (np.int64(0),)
    slot, err = _find_active(st, oid)
    if err != 0:
        return _refused(err) + (np.int64(0),)
    ensure_room(st, room_needed(st), 1 + st.hdr[H_NPENDING], 2, 0)
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
def reduce(st, oid, new_qty):
    """Lower a resting order's open quantity, keeping its place; answer (0 or error, cut)."""
    slot, err = _find_active(st, oid)
    if err != 0:
        return np.int64(err), np.int64(0)
    rem = st.oq[slot, O_REM]
    if new_qty < 1 or new_qty >= rem:
        return np.int64(E_NEW_QTY), np.int64(0)
    ensure_room(st, 0, 0, 1, 0)
    _tick(st)
    log_event(st, K_REDUCE, 0, 0, 0, 0, 0, new_qty, oid)
    side = side_of(st.oq, slot)
    li, _ = level_search(st, side, key_of(side, st.oq[slot, O_PRICE]))
    _shrink_resting(st, side, li, slot, new_qty)
    return np.int64(0), rem - new_qty


@njit(cache=True)
def clear_history(st):
    """Forget filled and cancelled orders and finished stops; their ids become unknown."""
    ensure_room(st, 0, 0, 1, 0)
    _tick(st)
    log_event(st, K_CLEAR_HISTORY, 0, 0, 0, 0, 0, 0, 0)
    oq = st.oq
    freed = 0
    for slot in range(st.hdr[H_USED]):
        status = status_of(oq, slot)
        if status == ST_FILLED or status == ST_CANCELLED:
            free_slot(st, slot)
            freed += 1
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
def _check_stop(side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period):
    err = _check_order(side, limit_price, qty, tif, flags, owner, 0, limit_price == 0)
    if err != 0:
        return err
    if stop_price < 1 or stop_price > MAX_PRICE:
        return E_STOP_PRICE
    if trail < TRAIL_NONE or trail > TRAIL_ATR:
        return E_TRAIL
    if trail == TRAIL_FIXED and (value < 1 or value > MAX_PRICE):
        return E_TRAIL
    if (trail == TRAIL_PERCENT or trail == TRAIL_ATR) and (value < 1 or value > 100 * PPB):
        return E_TRAIL
    if trail == TRAIL_PERCENT and value >= PPB:
        return E_TRAIL
    if trail == TRAIL_ATR and (period < 1 or period > MAX_ATR_PERIOD):
        return E_PERIOD
    return 0


@njit(cache=True)
def stop(st, side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period):
    """Submit a stop order (``limit_price`` 0 for stop-market), trailing when ``trail`` > 0.

    Answers (order id or error, stop status). It triggers at once if the last trade price is
    already past the stop.
    """
    err = _check_stop(side, stop_price, limit_price, qty, tif, flags, owner, trail, value, period)
    if err != 0:
        return np.int64(err), np.int64(0)
    ensure_room(st, room_needed(st) + 1, 2 + st.hdr[H_NPENDING], 3, 1)
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
    sp[r, S_EXTREME] = hdr[H_LAST_PRICE]
    sp[r, S_TS] = ts
    sp[r, S_STATUS] = SS_PENDING
    sp[r, S_FLAGS] = flags
    hdr[H_NSTOPS] = r + 1
    hdr[H_NPENDING] += 1
    _after(st)
    return oid, st.sp[_find_stop(st, oid), S_STATUS]


@njit(cache=True)
def _trail_amount(st, r, extreme):
    sp = st.sp
    method = sp[r, S_TRAIL]
    value = sp[r, S_VALUE]
    if method == TRAIL_FIXED:
        return value
    if method == TRAIL_PERCENT:  # floor(extreme * value / PPB), exactly, without overflow
        return (extreme // PPB) * value + (extreme % PPB) * value // PPB
    period = sp[r, S_PERIOD]
    seen = st.hdr[H_ATR_N]
    if seen < period:
        return -1  # not enough price changes yet: the stop stays where it is
    total = 0
    for k in range(seen - period, seen):
        total += st.ring[k % MAX_ATR_PERIOD]
    return np.int64(np.floor((value / PPB) * total / period))


@njit(cache=True)
def _update_trailing(st, hi, lo):
    sp = st.sp
    for r in range(st.hdr[H_NSTOPS]):
        if sp[r, S_STATUS] != SS_PENDING or sp[r, S_TRAIL] == TRAIL_NONE:
            continue
        if sp[r, S_SIDE] == BUY:  # protects a short: follows the lowest price down
            if lo > 0 and (sp[r, S_EXTREME] == 0 or lo < sp[r, S_EXTREME]):
                sp[r, S_EXTREME] = lo
            ext = sp[r, S_EXTREME]
            amount = _trail_amount(st, r, ext)
            if ext > 0 and amount >= 0 and ext + amount < sp[r, S_STOP]:
                sp[r, S_STOP] = ext + amount
        else:  # protects a long: follows the highest price up
            if hi > sp[r, S_EXTREME]:
                sp[r, S_EXTREME] = hi
            ext = sp[r, S_EXTREME]
            amount = _trail_amount(st, r, ext)
            if ext > 0 and amount >= 0 and ext - amount > sp[r, S_STOP]:
                sp[r, S_STOP] = ext - amount


@njit(cache=True)
def _run_stops(st):
    """Trigger the stops the last trade price has reached, in rounds, at most MAX_CASCADE."""
    hdr = st.hdr
    sp = st.sp
    for _ in range(MAX_CASCADE):
        last = hdr[H_LAST_PRICE]
        if hdr[H_NPENDING] == 0 or last == 0:
            return
        _update_trailing(st, hdr[H_OP_HI], hdr[H_OP_LO])
        hdr[H_OP_HI] = 0
        hdr[H_OP_LO] = 0
        fired = 0
        for r in range(hdr[H_NSTOPS]):
            if sp[r, S_STATUS] != SS_PENDING:
                continue
            stop_price = sp[r, S_STOP]
            if (sp[r, S_SIDE] == BUY and last >= stop_price) or (
                sp[r, S_SIDE] != BUY and last <= stop_price
            ):
                sp[r, S_STATUS] = _FIRING
                fired += 1
        if fired == 0:
            return
        hdr[H_NPENDING] -= fired
        for r in range(hdr[H_NSTOPS]):
            if sp[r, S_STATUS] != _FIRING:
                continue
            sp[r, S_STATUS] = SS_TRIGGERED
            ts = _tick(st)
            flags = sp[r, S_FLAGS]
            if sp[r, S_LIMIT_ORDER] == 1:
                _place(
                    st,
                    sp[r, S_ID],
                    sp[r, S_SIDE],
                    sp[r, S_LIMIT],
                    sp[r, S_QTY],
                    sp[r, S_TIF],
                    flags,
                    sp[r, S_OWNER],
                    0,
                    ts,
                )
            else:
                _place(
                    st,
                    sp[r, S_ID],
                    sp[r, S_SIDE],
                    0,
                    sp[r, S_QTY],
                    1,
                    flags | F_MARKET,
                    sp[r, S_OWNER],
                    0,
                    ts,
                )


# -- batch ------------------------------------------------------------------------------------


@njit(cache=True)
def run_commands(st, cmds, start, out):
    """Run ``cmds[start:]`` in order, writing one answer row per command into ``out``.

    ``out[i]`` is (order id, error code, status, filled, resting, cancelled, trade_start,
    trade_end), the layout of ``BATCH_RESULT_DTYPE``; trade rows count from the batch's first
    trade. A refused command has order id 0 and a negative error, changes nothing, and the
    batch goes on. A trailing-stop command takes the next K_TRAIL_PARAMS row as parameters.
    """
    base = st.hdr[H_NTRADES]
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
            res = market(st, side, qty, flags, owner)
        elif kind == K_CANCEL:
            code, done = cancel(st, ref)
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
                res = (oid, status, np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(0))
                for k in range(8):
                    out[i + 1, k] = 0
                _answer(out, i, res, base)
                i += 2
                continue
            res = _refused(E_TRAIL)
        elif kind == K_CLEAR_HISTORY:
            clear_history(st)
            res = (
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
                np.int64(0),
            )
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
def levels(st, side, n, out):
    """Write the best ``n`` levels of ``side`` into ``out`` as (price, qty, orders) rows."""
    lv = st.lv
    total = st.hdr[H_NLEV + side]
    k = min(n, total)
    for j in range(k):
        li = total - 1 - j
        out[j, 0] = _price_of(side, lv[side, li, V_KEY])
        out[j, 1] = lv[side, li, V_QTY]
        out[j, 2] = lv[side, li, V_COUNT]
    return k


@njit(cache=True)
def snapshot(st, n, out):
    """Write the best ``n`` bid levels into ``out[:n]`` and asks into ``out[n:]``.

    Rows are (price, qty, orders); answer the number of bid levels * 2**32 + ask levels.
    """
    nb = levels(st, 0, n, out[:n])
    na = levels(st, 1, n, out[n:])
    return (nb << 32) | na


@njit(cache=True)
def book_orders(st, side, out):
    """Write the resting orders of ``side`` in priority order; answer the count.

    Rows are (id, price, visible, open quantity, owner, timestamp).
    """
    lv = st.lv
    k = 0
    for li in range(st.hdr[H_NLEV + side] - 1, -1, -1):
        o = lv[side, li, V_HEAD]
        while o >= 0:
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
def compact(st):
    """Shrink the order table and index to the live orders, and the trade log to its rows."""
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
def clear_trades(st):
    """Start a fresh trade log; trade ids keep counting."""
    st.tr = np.zeros((256, st.tr.shape[1]), np.int64)
    st.hdr[H_NTRADES] = 0


@njit(cache=True)
def order_slot(st, oid):
    """Return the slot of order ``oid`` or -1."""
    if oid < 1:
        return np.int64(-1)
    return ix_find(st, oid)


@njit(cache=True)
def atr_changes(st, period):
    """Return the mean of the last ``period`` absolute trade-price changes (-1 if too few)."""
    seen = st.hdr[H_ATR_N]
    if period < 1 or period > MAX_ATR_PERIOD or seen < period:
        return -1.0
    total = 0
    for k in range(seen - period, seen):
        total += st.ring[k % MAX_ATR_PERIOD]
    return total / period
