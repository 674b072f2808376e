"""Convert a LOBSTER day into ITCH 5.0 order messages (LOBSTER was built from ITCH).

The LOBSTER replay logs each book operation it applied; each becomes one ITCH message:

* a submission of a known order -> ``A`` (add order) with LOBSTER's order id;
* a cancel / delete / execution of a known order -> ``X`` / ``D`` / ``E``;
* quantity applied by price level (the seed from orderbook row 0, orders the file never
  added, levels revealed by the orderbook file) -> one synthetic order per price level:
  ``A`` when the level has none, ``U`` (replace by a bigger one) to add to it, ``X`` / ``D`` /
  ``E`` to take from it;
* hidden executions -> ``P`` (non-cross trade); cross trades -> ``Q``.

So replaying the ITCH file and the LOBSTER pair gives the same book after every row.
"""

from __future__ import annotations

import numpy as np

from tickbook.core import ValidationError
from tickbook.feeds._itch_encode import encode_itch
from tickbook.feeds._itch_spec import dtype_of
from tickbook.feeds.lobster import LobsterData, LobsterReplay, replay_lobster

TAG_EXECUTED = 1  # as _lobster_kernel.TAG_EXECUTED (not imported: that loads Numba)

__all__ = ["LobsterItch", "lobster_to_itch"]

#: synthetic order ids (one per price level) start here, far above LOBSTER's ids
SYNTHETIC_BASE = 1 << 40


class LobsterItch:
    """The ITCH bytes of a LOBSTER day, and where each LOBSTER row ends in them."""

    def __init__(self, data: bytes, row_ends: np.ndarray, replay: LobsterReplay) -> None:
        self.data = data  #: the BinaryFILE bytes
        self.row_ends = row_ends  #: ITCH message number of the last message of each row
        self.replay = replay  #: the LOBSTER replay that produced it


def lobster_to_itch(data: LobsterData, symbol: str = "AMZN", locate: int = 1) -> LobsterItch:
    """Encode a LOBSTER pair as an ITCH 5.0 BinaryFILE for one stock (``locate``)."""
    if not 1 <= locate < 1 << 16:
        raise ValidationError(
            f"invalid `locate`: expected 1..65535, got {locate!r}", field="locate", value=locate
        )
    from tickbook.book import FeedEventKind

    replay = replay_lobster(data, log=True)
    rows: dict[str, list[tuple]] = {t: [] for t in "SRAEXDUPQ"}
    first_ts = int(data.messages[0]["time_ns"]) if len(data.messages) else 0
    rows["S"].append((0, 0, 0, first_ts, "O"))
    rows["R"].append((1, locate, 0, first_ts, symbol))
    synthetic: dict[tuple[int, int], list[int]] = {}  # (side, price) -> [id, qty]
    next_id = SYNTHETIC_BASE
    n = 2
    written = np.zeros(len(replay.events) + 1, np.int64)  # ITCH messages before each event
    for j, (ts, kind, side, oid, price, qty, tag) in enumerate(replay.events.tolist()):
        written[j] = n - 2
        head = (n, locate, 0, ts)
        if kind == FeedEventKind.ADD:
            rows["A"].append((*head, oid, "BS"[side], qty, symbol, price))
        elif kind == FeedEventKind.EXECUTE:
            rows["E"].append((*head, oid, qty, 0))
        elif kind == FeedEventKind.CANCEL:
            rows["X"].append((*head, oid, qty))
        elif kind == FeedEventKind.DELETE:
            rows["D"].append((*head, oid))
        elif kind == FeedEventKind.ADJUST_LEVEL:
            next_id = _level(rows, head, synthetic, next_id, side, price, qty, tag == TAG_EXECUTED)
        elif tag == 5:  # hidden execution: a print on the hidden order's side
            rows["P"].append((*head, 0, "BS"[1 - side], qty, symbol, price, 0))
        elif tag == 6:  # cross trade
            rows["Q"].append((*head, qty, symbol, price, 0, "I"))
        else:  # the trade of a level execution: its E on the synthetic order records it
            continue
        n += 1
    written[-1] = n - 2
    tables = {t: _table(t, r) for t, r in rows.items()}
    ends = written[replay.row_ends] + 1  # + 2 header messages - 1
    return LobsterItch(encode_itch(tables), ends, replay)


def _level(rows, head, synthetic, next_id, side, price, delta, executed) -> int:
    # quantity applied by price level: one synthetic order per level carries it
    symbol, have = rows["R"][0][4], synthetic.get((side, price))
    if delta > 0 and have is None:
        synthetic[(side, price)] = [next_id, delta]
        rows["A"].append((*head, next_id, "BS"[side], delta, symbol, price))
        return next_id + 1
    if delta > 0:
        rows["U"].append((*head, have[0], next_id, have[1] + delta, price))
        have[0], have[1] = next_id, have[1] + delta
        return next_id + 1
    have[1] += delta
    _take(rows, head, have[0], -delta, have[1] == 0, executed)
    if have[1] == 0:
        del synthetic[(side, price)]
    return next_id


def _take(rows: dict[str, list[tuple]], head: tuple, oid: int, qty: int, gone: bool, execute: bool):
    if execute:
        rows["E"].append((*head, oid, qty, 0))
    elif gone:
        rows["D"].append((*head, oid))
    else:
        rows["X"].append((*head, oid, qty))


def _table(message_type: str, rows: list[tuple]) -> np.ndarray:
    dtype = dtype_of(message_type)
    names = dtype.names
    if message_type == "R":
        names = ("index", "stock_locate", "tracking_number", "timestamp", "stock")
    elif message_type == "S":
        names = ("index", "stock_locate", "tracking_number", "timestamp", "event_code")
    table = np.zeros(len(rows), dtype)
    if rows:
        for j, name in enumerate(names):
            table[name] = [r[j] for r in rows]
    return table
