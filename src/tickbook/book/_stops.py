"""Stop orders: trailing updates and the trigger cascade.

A stop waits in ``sp`` until the last trade price reaches it (buy: last >= stop; sell:
last <= stop), then runs through ``_place`` as a market or limit order with the same id.
Each round fires every stop the current last price has reached, in id order; a fill may
reach more stops, so rounds repeat, at most ``MAX_CASCADE`` per call.
"""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    BUY,
    E_PERIOD,
    E_STOP_PRICE,
    E_TRAIL,
    F_MARKET,
    H_ATR_N,
    H_LAST_PRICE,
    H_NPENDING,
    H_NSTOPS,
    H_OP_HI,
    H_OP_LO,
    MAX_ATR_PERIOD,
    MAX_CASCADE,
    MAX_PRICE,
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
    S_VALUE,
    SS_PENDING,
    SS_TRIGGERED,
    TRAIL_ATR,
    TRAIL_FIXED,
    TRAIL_NONE,
    TRAIL_PERCENT,
)
from tickbook.book._matching import _check_order, _place, _tick

_FIRING = 3  # a stop chosen in this cascade round, about to run


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
    # the cap was reached: let the pending stops see the last round's prices now, so that
    # nothing is left over for a stop submitted later
    _update_trailing(st, hdr[H_OP_HI], hdr[H_OP_LO])
    hdr[H_OP_HI] = 0
    hdr[H_OP_LO] = 0
