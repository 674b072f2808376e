"""The trade log and the event log: appending rows."""

import numpy as np
from numba import njit

from tickbook.book._layout import (
    H_ATR_N,
    H_LAST_PRICE,
    H_NEVENTS,
    H_NEXT_TRADE_ID,
    H_NPENDING,
    H_NTRADES,
    H_OP_HI,
    H_OP_LO,
    H_RECORD,
    MAX_ATR_PERIOD,
    T_AGGRESSOR,
    T_ID,
    T_PASSIVE,
    T_PRICE,
    T_QTY,
    T_SIDE,
    T_TS,
    TRADE_COLS,
)


@njit(cache=True)
def record_trade(st, price, qty, aggressor, passive, ts, side):
    """Append a trade to the log (growing it) and feed the last-price statistics."""
    hdr = st.hdr
    n = hdr[H_NTRADES]
    if n == st.tr.shape[0]:
        grown = np.empty((2 * n, TRADE_COLS), np.int64)
        grown[:n] = st.tr
        st.tr = grown
    tr = st.tr
    tr[n, T_ID] = hdr[H_NEXT_TRADE_ID]
    tr[n, T_PRICE] = price
    tr[n, T_QTY] = qty
    tr[n, T_AGGRESSOR] = aggressor
    tr[n, T_PASSIVE] = passive
    tr[n, T_TS] = ts
    tr[n, T_SIDE] = side
    hdr[H_NTRADES] = n + 1
    hdr[H_NEXT_TRADE_ID] += 1
    last = hdr[H_LAST_PRICE]
    if last > 0:
        st.ring[hdr[H_ATR_N] % MAX_ATR_PERIOD] = abs(price - last)
        hdr[H_ATR_N] += 1
    hdr[H_LAST_PRICE] = price
    if hdr[H_NPENDING] > 0:
        if hdr[H_OP_HI] == 0 or price > hdr[H_OP_HI]:
            hdr[H_OP_HI] = price
        if hdr[H_OP_LO] == 0 or price < hdr[H_OP_LO]:
            hdr[H_OP_LO] = price


@njit(cache=True)
def log_event(st, kind, side, tif, flags, owner, price, qty, ref):
    """Append one command to the event log when recording is on (room ensured)."""
    hdr = st.hdr
    if hdr[H_RECORD] == 0:
        return
    n = hdr[H_NEVENTS]
    e = st.ev[n]
    e["kind"] = kind
    e["side"] = side
    e["tif"] = tif
    e["flags"] = flags
    e["owner"] = owner
    e["price"] = price
    e["qty"] = qty
    e["ref"] = ref
    hdr[H_NEVENTS] = n + 1
