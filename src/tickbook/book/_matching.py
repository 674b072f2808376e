"""Matching: validate an order, walk the opposite side, trade, rest or cancel the rest.

``_place`` is the one path every order takes: interactive calls, the batch entry point,
replay and triggered stops. Price-time priority; the trade price is the resting order's.
Kernels here trust their callers to have made room (``ensure_room``) first.
"""

import numpy as np
from numba import njit

from tickbook.book._index import ix_insert
from tickbook.book._layout import (
    BUY,
    C_PEAK,
    C_TS,
    D_CHUNK,
    D_COUNT,
    E_DISPLAY,
    E_FLAGS,
    E_OWNER,
    E_POST_ONLY_TIF,
    E_PRICE,
    E_QTY,
    E_SIDE,
    E_STP,
    E_TIF,
    F_MARKET,
    F_POST_ONLY,
    FOK,
    GTC,
    H_CLOCK,
    H_NCH,
    H_NEXT_ID,
    H_NLEV,
    H_NRESTING,
    H_NTRADES,
    H_TOP,
    MARKET_BUY_LIMIT,
    MARKET_SELL_LIMIT,
    MAX_LEVEL_QTY,
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
    SAFE_RESTING,
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
    V_COUNT,
    V_HEAD,
    V_KEY,
    V_QTY,
    X_SLOT,
)
from tickbook.book._levels import (
    is_dead,
    key_of,
    level_close,
    level_find,
    level_open,
    price_of,
    queue_append,
    queue_drop_dead,
    queue_unlink,
)
from tickbook.book._log import record_trade
from tickbook.book._slots import alloc_slot, link_next, make_meta, owner_of, set_status

_USER_FLAGS = F_POST_ONLY | (STP_MASK << STP_SHIFT)


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


_price_of = price_of


@njit(cache=True)
def level_fits(st, side, price, qty):
    """Whether ``qty`` more can rest at ``price`` on ``side`` without passing MAX_LEVEL_QTY.

    Below SAFE_RESTING resting orders (each at most MAX_QTY) no level can: one header read.
    """
    if st.hdr[H_NRESTING] < SAFE_RESTING:
        return True
    li = level_find(st, side, key_of(side, price))
    return li < 0 or st.lv[side, li, V_QTY] <= MAX_LEVEL_QTY - qty


@njit(cache=True)
def _crosses(st, side, limit):
    opp = 1 - side
    top = st.hdr[H_TOP + opp]
    if top < 0:
        return False
    best = _price_of(opp, st.lv[opp, top, V_KEY])
    return best <= limit if side == BUY else best >= limit


@njit(cache=True)
def _fillable(st, side, limit, qty, owner, stp):
    """Quantity a FOK order could trade, walking the book as ``_match`` would.

    It changes nothing observable; the dead entries it passes are unlinked on the way, so no
    walk pays for them twice.

    A same-owner order that stops matching (any self-trade mode but CANCEL_OLDEST) ends the
    walk. An iceberg's hidden part is reachable only when no such order waits at its level:
    a refreshed slice queues behind everything already there.
    """
    opp = 1 - side
    lv = st.lv
    guarded = stp != STP_NONE and owner != 0
    avail = 0
    for d in range(st.hdr[H_NCH + opp] - 1, -1, -1):
        c = st.ld[opp, D_CHUNK, d]
        for j in range(st.ld[opp, D_COUNT, c] - 1, -1, -1):
            li = st.lx[opp, c, X_SLOT, j]
            price = _price_of(opp, lv[opp, li, V_KEY])
            if (side == BUY and price > limit) or (side != BUY and price < limit):
                return avail
            avail, done = _fillable_at(st, opp, li, qty, owner, stp, guarded, avail)
            if done:
                return avail
    return avail


@njit(cache=True)
def _fillable_at(st, opp, li, qty, owner, stp, guarded, avail):
    """Add what level ``li`` can fill to ``avail``; answer (avail, whether the walk ends)."""
    lv = st.lv
    oq = st.oq
    stopper = False
    if guarded and stp != STP_CANCEL_OLDEST:
        o = lv[opp, li, V_HEAD]
        while o >= 0 and not stopper:
            if is_dead(oq, o):
                o = queue_drop_dead(st, opp, li, o)
                continue
            stopper = owner_of(oq, o) == owner
            o = link_next(oq, o)
    o = lv[opp, li, V_HEAD]
    while o >= 0:
        if is_dead(oq, o):
            o = queue_drop_dead(st, opp, li, o)
            continue
        if guarded and owner_of(oq, o) == owner:
            if stp != STP_CANCEL_OLDEST:
                return avail, True
        else:
            avail += oq[o, O_VIS] if stopper else oq[o, O_REM]
            if avail >= qty:
                return avail, True
        o = link_next(oq, o)
    return avail, False


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
        li = hdr[H_TOP + opp]
        if li < 0:
            break
        price = _price_of(opp, lv[opp, li, V_KEY])
        if (side == BUY and price > limit) or (side != BUY and price < limit):
            break
        o = lv[opp, li, V_HEAD]
        while left > 0 and o >= 0:
            if is_dead(oq, o):  # a cancelled order left in the queue: unlink it now
                o = queue_drop_dead(st, opp, li, o)
                continue
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
            level_close(st, opp, li)
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
    vis = left if peak == 0 or peak >= left else peak
    # a triggered stop was checked long before: should its level be full, it does not rest
    rests = left > 0 and not killed and tif == GTC and not is_market
    if rests and level_fits(st, side, price, vis):
        oq[slot, O_REM] = left
        oq[slot, O_VIS] = vis
        key = key_of(side, price)
        li = level_find(st, side, key)
        if li < 0:
            li = level_open(st, side, key)
        queue_append(st, side, li, slot, vis)
        status = ST_PARTIAL if filled > 0 else ST_NEW
        resting = left
        cancelled = qty - filled - left  # self-trade DECREMENT may have taken some off
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
