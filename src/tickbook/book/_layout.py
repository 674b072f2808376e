"""Column and header indices shared by the kernels and their wrappers.

The book state is a handful of plain arrays (see ``_state.py``). These constants name their
columns so that kernels read ``oq[slot, O_PRICE]`` instead of magic numbers. All of them are
module-level ints, which Numba freezes into the compiled code.
"""

import numpy as np

# -- orders: oq (int64 [cap, 8]: one 64-byte cache line per order), oc (int64 [cap, 2]) -------
#: the hot row: everything matching and cancelling touch, in one cache line
O_ID, O_PRICE, O_REM, O_VIS, O_QTY, O_FILLED, O_LINK, O_META = range(8)
#: O_LINK packs the queue links: next slot in the low 32 bits, previous slot in the high 32
#: O_META packs side (bits 0-7), status (8-15), tif (16-23), flags (24-31), owner (32-62)
#: the cold row: read only by queries and iceberg refreshes
C_TS, C_PEAK = range(2)
LO32 = 0xFFFFFFFF

#: order flag bits (om[:, M_FLAGS]); the self-trade mode sits in bits 2..4
F_POST_ONLY = 1
F_MARKET = 2
STP_SHIFT = 2
STP_MASK = 7

#: order statuses (OrderStatus values) plus the marker of a free slot
ST_NEW, ST_PARTIAL, ST_FILLED, ST_CANCELLED = 0, 1, 2, 3
ST_FREE = 255

BUY, SELL = 0, 1
GTC, IOC, FOK = 0, 1, 2
STP_NONE, STP_CANCEL_NEWEST, STP_CANCEL_OLDEST, STP_CANCEL_BOTH, STP_DECREMENT = range(5)

# -- price levels: lv (int64 [2, L, 5]); per side sorted by key, best level last ----------------
#: key = price on the bid side and -price on the ask side, so both sides ascend toward the best
V_KEY, V_QTY, V_HEAD, V_TAIL, V_COUNT = range(5)

# -- trades: tr (int64 [cap, 7]) --------------------------------------------------------------
T_ID, T_PRICE, T_QTY, T_AGGRESSOR, T_PASSIVE, T_TS, T_SIDE = range(7)
TRADE_COLS = 7

# -- stop orders: sp (int64 [cap, 15]) ---------------------------------------------------------
(
    S_ID,
    S_SIDE,
    S_LIMIT_ORDER,
    S_STOP,
    S_LIMIT,
    S_QTY,
    S_TIF,
    S_OWNER,
    S_TRAIL,
    S_VALUE,
    S_PERIOD,
    S_EXTREME,
    S_TS,
    S_STATUS,
    S_FLAGS,
) = range(15)
STOP_COLS = 15
SS_PENDING, SS_TRIGGERED, SS_CANCELLED = 0, 1, 2
TRAIL_NONE, TRAIL_FIXED, TRAIL_PERCENT, TRAIL_ATR = 0, 1, 2, 3
#: trailing percentages and ATR multipliers are stored as integer parts per billion
PPB = 1_000_000_000
#: the longest ATR window; the engine keeps this many recent absolute price changes
MAX_ATR_PERIOD = 1024
#: a stop's fill may trigger further stops; at most this many rounds run in one call
MAX_CASCADE = 100

# -- header: hdr (int64 [32]) -----------------------------------------------------------------
H_NEXT_ID = 0  # next order id (ids start at 1)
H_CLOCK = 1  # logical clock: +1 per operation
H_NEXT_TRADE_ID = 2
H_NTRADES = 3  # rows used in tr
H_LAST_PRICE = 4  # last trade price, 0 when none
H_NLEV = 5  # +side: number of levels per side
H_BEST = 7  # +side: best price per side, 0 when the side is empty
H_FREE = 9  # head of the free-slot list, -1 when empty
H_NFREE = 10
H_USED = 11  # slots ever handed out (high-water mark)
H_IX_COUNT = 12  # keys in the id index
H_IX_BITS = 13  # log2(index size)
H_NEVENTS = 14
H_RECORD = 15  # 1 when the event log is on
H_NSTOPS = 16  # rows used in sp
H_NPENDING = 17  # pending stops
H_ATR_N = 18  # absolute price changes seen
H_NRESTING = 19  # orders resting on the book
H_OP_HI = 20  # highest / lowest trade price since stops were last updated
H_OP_LO = 21
H_FEED = 22  # 1 for a feed-mode book (external ids, no matching)
H_CAP_ORDERS = 23  # capacities, mirrored here so the room check reads one array
H_CAP_INDEX = 24
H_CAP_LEVELS = 25
H_CAP_EVENTS = 26
H_CAP_STOPS = 27
H_NEMPTY = 28  # +side: empty levels kept in place below the best (see level_emptied)
H_TRADE_LOG = 30  # address of the owning Exchange's current TradeLog, 0 for none (_answers.py)
HDR_SIZE = 32

NO_PRICE = 0
EMPTY_SLOT = -1  # an empty bucket of the id index
#: the limit a market order matches against
MARKET_BUY_LIMIT = 1 << 62
MARKET_SELL_LIMIT = 0

# -- commands and events ----------------------------------------------------------------------
#: One row per operation: the batch entry point takes these, and the event log stores them.
COMMAND_DTYPE = np.dtype(
    [
        ("kind", "i1"),
        ("side", "i1"),
        ("tif", "i1"),
        ("flags", "i1"),
        ("owner", "i4"),
        ("price", "i8"),
        ("qty", "i8"),
        ("ref", "i8"),
    ]
)
(
    K_LIMIT,
    K_MARKET,
    K_CANCEL,
    K_MODIFY,
    K_REDUCE,
    K_STOP_MARKET,
    K_STOP_LIMIT,
    K_TRAIL_MARKET,
    K_TRAIL_LIMIT,
    K_TRAIL_PARAMS,
    K_CLEAR_HISTORY,
) = range(1, 12)

# -- kernel answers: negative codes refuse an operation and change nothing --------------------
E_SIDE = -1
E_PRICE = -2
E_QTY = -3
E_TIF = -4
E_DISPLAY = -5
E_OWNER = -6
E_STP = -7
E_POST_ONLY_TIF = -8
E_UNKNOWN = -9
E_NOT_ACTIVE = -10
E_STOP_PRICE = -11
E_TRAIL = -12
E_PERIOD = -13
E_KIND = -14
E_NEW_QTY = -15
E_ORDER_ID = -16
E_DUPLICATE = -17
E_FLAGS = -18
#: not a refusal: the arrays lack room; nothing changed, Python grows them and calls again
E_ROOM = -19

MAX_PRICE = (1 << 52) - 1
MAX_QTY = (1 << 40) - 1
MAX_OWNER = (1 << 31) - 1
