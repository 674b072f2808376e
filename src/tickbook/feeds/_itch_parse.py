"""Numba kernels of the ITCH 5.0 reader: frame scan, grouping, book events.

The per-type field decoders are generated from the spec table into ``_itch_decode.py``.

Kernels take numpy arrays and scalars only, never raise for bad bytes, and answer a status
(``S_*``) that the Python side turns into a ``DataError`` naming the byte offset.
"""

import numpy as np
from numba import njit

from tickbook.book import BOOK_EVENT_DTYPE, FeedEventKind

#: scan statuses
S_END = 0  #: the buffer ended exactly on a message boundary
S_PARTIAL = 1  #: the buffer ends inside a message (more bytes needed, or a truncated file)
S_UNKNOWN = 2  #: a message type byte that ITCH 5.0 does not define
S_LENGTH = 3  #: a length prefix that does not match the message type's length
S_FULL = 4  #: the output arrays are full

#: event statuses
E_OK = 0
E_SIDE = 1  #: a buy/sell indicator other than 'B' or 'S'

_ADD = np.int8(FeedEventKind.ADD)
_CANCEL = np.int8(FeedEventKind.CANCEL)
_DELETE = np.int8(FeedEventKind.DELETE)
_EXECUTE = np.int8(FeedEventKind.EXECUTE)
_EXECUTE_AT_PRICE = np.int8(FeedEventKind.EXECUTE_AT_PRICE)
_REPLACE = np.int8(FeedEventKind.REPLACE)
_TRADE = np.int8(FeedEventKind.TRADE)

EVENT_DTYPE = BOOK_EVENT_DTYPE


@njit(cache=True)
def scan_frames(buf, start, stop, lengths, offsets, types):
    """Walk 2-byte length-prefixed messages in ``buf[start:stop]``.

    Writes the offset of each message body and its type byte; answers (count, position of
    the first unread byte, status).
    """
    pos = start
    count = 0
    cap = len(offsets)
    status = S_END
    while True:
        if pos == stop:
            status = S_END
            break
        if count == cap:
            status = S_FULL
            break
        if pos + 3 > stop:
            status = S_PARTIAL
            break
        size = (np.int64(buf[pos]) << 8) | np.int64(buf[pos + 1])
        kind = buf[pos + 2]
        want = lengths[kind]
        if want == 0:
            status = S_UNKNOWN
            break
        if size != want:
            status = S_LENGTH
            break
        if pos + 2 + size > stop:
            status = S_PARTIAL
            break
        offsets[count] = pos + 2
        types[count] = kind
        count += 1
        pos += 2 + size
    return count, pos, status


@njit(cache=True)
def bucket_order(keys, nbuckets):
    """Return a stable order that groups ``keys`` (ints in [0, nbuckets)) and the group starts."""
    counts = np.zeros(nbuckets + 1, np.int64)
    for i in range(len(keys)):
        counts[keys[i] + 1] += 1
    for b in range(nbuckets):
        counts[b + 1] += counts[b]
    starts = counts.copy()
    order = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        k = keys[i]
        order[counts[k]] = i
        counts[k] += 1
    return order, starts


@njit(cache=True, inline="always")
def _be(buf, pos, size):
    value = np.int64(0)
    for k in range(size):
        value = (value << 8) | np.int64(buf[pos + k])
    return value


@njit(cache=True, inline="always")
def _side(byte):
    if byte == 66:  # 'B'
        return np.int8(0)
    if byte == 83:  # 'S'
        return np.int8(1)
    return np.int8(-1)


@njit(cache=True, inline="always")
def _is_book(t):
    # A F E C X D U P
    return t == 65 or t == 70 or t == 69 or t == 67 or t == 88 or t == 68 or t == 85 or t == 80


@njit(cache=True)
def count_events(buf, offsets, types, wanted, starts):
    """Count the book messages of each wanted stock; turn ``starts`` into group starts.

    ``starts`` (zeros, 65,537 entries) ends holding where each locate's events begin, and
    ``starts[-1]`` the total.
    """
    for i in range(len(offsets)):
        if _is_book(types[i]):
            p = offsets[i]
            locate = (np.int64(buf[p + 1]) << 8) | np.int64(buf[p + 2])
            if wanted[locate] != 0:
                starts[locate + 1] += 1
    for k in range(len(starts) - 1):
        starts[k + 1] += starts[k]


@njit(cache=True)
def to_events(buf, offsets, types, base_index, wanted, cursor, events, index):
    """Turn the book messages (A F E C X D U P) into feed events grouped by stock.

    ``wanted[locate]`` selects stocks; each event goes to ``cursor[locate]`` (then advanced),
    with its file message number in ``index``. Answers (events written, status, message
    number of a bad message). Order references at or above 2**63 become negative ids, which
    the book refuses.
    """
    n = 0
    for i in range(len(offsets)):
        t = types[i]
        p = offsets[i]
        locate = (np.int64(buf[p + 1]) << 8) | np.int64(buf[p + 2])
        if wanted[locate] == 0:
            continue
        kind = np.int8(0)
        side = np.int8(0)
        oid = np.int64(0)
        price = np.int64(0)
        qty = np.int64(0)
        new_oid = np.int64(0)
        if t == 65 or t == 70:  # A, F
            kind = _ADD
            oid = _be(buf, p + 11, 8)
            side = _side(buf[p + 19])
            qty = _be(buf, p + 20, 4)
            price = _be(buf, p + 32, 4)
        elif t == 69:  # E
            kind = _EXECUTE
            oid = _be(buf, p + 11, 8)
            qty = _be(buf, p + 19, 4)
        elif t == 67:  # C
            kind = _EXECUTE_AT_PRICE
            oid = _be(buf, p + 11, 8)
            qty = _be(buf, p + 19, 4)
            price = _be(buf, p + 32, 4)
        elif t == 88:  # X
            kind = _CANCEL
            oid = _be(buf, p + 11, 8)
            qty = _be(buf, p + 19, 4)
        elif t == 68:  # D
            kind = _DELETE
            oid = _be(buf, p + 11, 8)
        elif t == 85:  # U
            kind = _REPLACE
            oid = _be(buf, p + 11, 8)
            new_oid = _be(buf, p + 19, 8)
            qty = _be(buf, p + 27, 4)
            price = _be(buf, p + 31, 4)
        elif t == 80:  # P: the indicator names the hidden order's side; store the aggressor's
            kind = _TRADE
            oid = _be(buf, p + 11, 8)
            side = _side(buf[p + 19])
            if side >= 0:
                side = np.int8(1) - side
            qty = _be(buf, p + 20, 4)
            price = _be(buf, p + 32, 4)
        else:
            continue
        if side < 0:
            return n, E_SIDE, base_index + i
        at = cursor[locate]
        cursor[locate] += 1
        e = events[at]
        e["ts_ns"] = _be(buf, p + 5, 6)
        e["kind"] = kind
        e["side"] = side
        e["order_id"] = oid
        e["price"] = price
        e["qty"] = qty
        e["new_order_id"] = new_oid
        index[at] = base_index + i
        n += 1
    return n, E_OK, np.int64(-1)
