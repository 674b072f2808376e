"""Column and header indices shared by the kernels and their wrappers.

The book state is a handful of plain arrays (see ``_jit/_state.py``). These constants name
their columns so that kernels read ``oq[slot, O_PRICE]`` instead of magic numbers. All of them
are module-level ints, which Numba freezes into the compiled code. Values that mirror a public
enum (sides, statuses, time in force, self-trade modes) are taken from ``tickbook.core``.
"""

import numpy as np

from tickbook.core import OrderStatus, SelfTradePrevention, Side, TimeInForce

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
ST_NEW = int(OrderStatus.NEW)
ST_PARTIAL = int(OrderStatus.PARTIALLY_FILLED)
ST_FILLED = int(OrderStatus.FILLED)
ST_CANCELLED = int(OrderStatus.CANCELLED)
ST_FREE = 255

BUY, SELL = int(Side.BUY), int(Side.SELL)
GTC, IOC, FOK = int(TimeInForce.GTC), int(TimeInForce.IOC), int(TimeInForce.FOK)
STP_NONE = int(SelfTradePrevention.NONE)
STP_CANCEL_NEWEST = int(SelfTradePrevention.CANCEL_NEWEST)
STP_CANCEL_OLDEST = int(SelfTradePrevention.CANCEL_OLDEST)
STP_CANCEL_BOTH = int(SelfTradePrevention.CANCEL_BOTH)
STP_DECREMENT = int(SelfTradePrevention.DECREMENT)

# -- price levels ------------------------------------------------------------------------------
#: lv (int64 [2, L, 5]): per side a pool of level records, rows 0..H_NLEV-1, in no order; a
#: closed level's row is a hole (key 0, on a free list) until reused or compacted away.
#: key = price on the bid side and -price on the ask side, so both sides ascend toward the best.
V_KEY, V_QTY, V_HEAD, V_TAIL, V_COUNT = range(5)
#: lx (int64 [2, chunks, 2, CHUNK]): the levels' order, as chunks of up to CHUNK sorted keys
#: (row X_KEY) with the pool row of each (row X_SLOT)
X_KEY, X_SLOT = range(2)
CHUNK = 64
#: ld (int64 [2, 4, chunks]): the chunk directory. D_CHUNK and D_MAX are indexed by position
#: (chunk ids in key order, and the largest key of each); D_COUNT by chunk id (keys held);
#: D_FREE is a stack of free chunk ids
D_CHUNK, D_MAX, D_COUNT, D_FREE = range(4)
#: a level's total quantity stays at most this (int64 would wrap past 2**63)
MAX_LEVEL_QTY = 1 << 62
#: below this many resting orders of at most MAX_QTY each, no level can reach MAX_LEVEL_QTY
SAFE_RESTING = 1 << 22

# -- trades: tr (int64 [cap, 7]) --------------------------------------------------------------
T_ID, T_PRICE, T_QTY, T_AGGRESSOR, T_PASSIVE, T_TS, T_SIDE = range(7)
TRADE_COLS = 7

# -- stop orders: sp (int64 [cap, 17]), rows in id order -----------------------------------------
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
    S_POS,
    S_TPOS,
) = range(17)
STOP_COLS = 17
#: S_POS: the stop's place in its side's trigger heap; S_TPOS: its place in the trailing list
#: (-1 for a plain stop). sx (int64 [3, cap]): row BUY a min-heap of buy stops by stop price,
#: row SELL a max-heap of sell stops, row X_TRAIL the pending trailing stops (sp rows)
X_TRAIL = 2
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
H_NCH = 28  # +side: chunks in the level order (positions used in ld[side, D_CHUNK])
H_TRADE_LOG = 30  # address of the owning Exchange's current TradeLog, 0 for none (_answers.py)
H_TOP = 32  # +side: pool row of the best level, -1 when the side is empty
H_CH_USED = 34  # +side: chunk ids ever handed out
H_CH_FREE = 36  # +side: free chunk ids on the D_FREE stack
H_CAP_CHUNKS = 38
H_NHEAP = 39  # +side: stops in each side's trigger heap
H_NTRAIL = 41  # pending trailing stops
H_STOPS_DUE = 42  # 1 when the stops must be checked although nothing traded
H_LV_FREE = 43  # +side: first closed pool row (a hole, linked through V_HEAD), -1 for none
H_LV_HOLES = 45  # +side: closed pool rows below H_NLEV
HDR_SIZE = 48

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
E_LEVEL_QTY = -20  # the price level's total quantity would pass MAX_LEVEL_QTY

MAX_PRICE = (1 << 52) - 1
MAX_QTY = (1 << 40) - 1
MAX_OWNER = (1 << 31) - 1
