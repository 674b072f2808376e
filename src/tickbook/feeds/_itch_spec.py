"""The NASDAQ TotalView-ITCH 5.0 message layouts, as data.

One table (``MESSAGES``) holds every message type of the specification: its length on the
wire and its fields (name, byte offset, size, kind). The parser, the encoder and the columnar
dtypes are all derived from it, so they cannot drift apart.

Field kinds:

* ``u``   unsigned big-endian integer (2, 4 or 8 bytes), decoded to a native integer
* ``ts``  6-byte big-endian timestamp, nanoseconds after midnight, decoded to int64
* ``p4``  4-byte price with 4 implied decimals, decoded to int64 (dollars x 10,000)
* ``p8``  8-byte price with 8 implied decimals, decoded to int64 (dollars x 100,000,000)
* ``a``   ASCII alphanumeric, left-justified and space-padded, kept as ``bytes`` (``S<n>``)

Every message starts with the same 11-byte header: type (1), stock locate (2), tracking
number (2), timestamp (6). In a NASDAQ "BinaryFILE" each message is preceded by its 2-byte
big-endian length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HEADER",
    "MESSAGES",
    "MessageSpec",
    "dtype_of",
    "length_table",
    "spec_of",
]

HEADER = (
    ("stock_locate", 1, 2, "u"),
    ("tracking_number", 3, 2, "u"),
    ("timestamp", 5, 6, "ts"),
)


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One ITCH 5.0 message type: its type byte, name, wire length and fields."""

    type: str
    name: str
    length: int
    fields: tuple[tuple[str, int, int, str], ...]  # (name, offset, size, kind), header first


def _m(type_: str, name: str, length: int, *body: tuple[str, int, int, str]) -> MessageSpec:
    return MessageSpec(type_, name, length, HEADER + body)


_STOCK = ("stock", 11, 8, "a")

#: Every message type of ITCH 5.0, keyed by its type byte (as a one-character str).
MESSAGES: dict[str, MessageSpec] = {
    m.type: m
    for m in (
        _m("S", "system_event", 12, ("event_code", 11, 1, "a")),
        _m(
            "R",
            "stock_directory",
            39,
            _STOCK,
            ("market_category", 19, 1, "a"),
            ("financial_status_indicator", 20, 1, "a"),
            ("round_lot_size", 21, 4, "u"),
            ("round_lots_only", 25, 1, "a"),
            ("issue_classification", 26, 1, "a"),
            ("issue_sub_type", 27, 2, "a"),
            ("authenticity", 29, 1, "a"),
            ("short_sale_threshold_indicator", 30, 1, "a"),
            ("ipo_flag", 31, 1, "a"),
            ("luld_reference_price_tier", 32, 1, "a"),
            ("etp_flag", 33, 1, "a"),
            ("etp_leverage_factor", 34, 4, "u"),
            ("inverse_indicator", 38, 1, "a"),
        ),
        _m(
            "H",
            "stock_trading_action",
            25,
            _STOCK,
            ("trading_state", 19, 1, "a"),
            ("reserved", 20, 1, "a"),
            ("reason", 21, 4, "a"),
        ),
        _m("Y", "reg_sho_restriction", 20, _STOCK, ("reg_sho_action", 19, 1, "a")),
        _m(
            "L",
            "market_participant_position",
            26,
            ("mpid", 11, 4, "a"),
            ("stock", 15, 8, "a"),
            ("primary_market_maker", 23, 1, "a"),
            ("market_maker_mode", 24, 1, "a"),
            ("market_participant_state", 25, 1, "a"),
        ),
        _m(
            "V",
            "mwcb_decline_level",
            35,
            ("level1", 11, 8, "p8"),
            ("level2", 19, 8, "p8"),
            ("level3", 27, 8, "p8"),
        ),
        _m("W", "mwcb_status", 12, ("breached_level", 11, 1, "a")),
        _m(
            "K",
            "ipo_quoting_period_update",
            28,
            _STOCK,
            ("ipo_quotation_release_time", 19, 4, "u"),
            ("ipo_quotation_release_qualifier", 23, 1, "a"),
            ("ipo_price", 24, 4, "p4"),
        ),
        _m(
            "J",
            "luld_auction_collar",
            35,
            _STOCK,
            ("auction_collar_reference_price", 19, 4, "p4"),
            ("upper_auction_collar_price", 23, 4, "p4"),
            ("lower_auction_collar_price", 27, 4, "p4"),
            ("auction_collar_extension", 31, 4, "u"),
        ),
        _m(
            "h",
            "operational_halt",
            21,
            _STOCK,
            ("market_code", 19, 1, "a"),
            ("operational_halt_action", 20, 1, "a"),
        ),
        _m(
            "A",
            "add_order",
            36,
            ("order_ref", 11, 8, "u"),
            ("side", 19, 1, "a"),
            ("shares", 20, 4, "u"),
            ("stock", 24, 8, "a"),
            ("price", 32, 4, "p4"),
        ),
        _m(
            "F",
            "add_order_mpid",
            40,
            ("order_ref", 11, 8, "u"),
            ("side", 19, 1, "a"),
            ("shares", 20, 4, "u"),
            ("stock", 24, 8, "a"),
            ("price", 32, 4, "p4"),
            ("attribution", 36, 4, "a"),
        ),
        _m(
            "E",
            "order_executed",
            31,
            ("order_ref", 11, 8, "u"),
            ("executed_shares", 19, 4, "u"),
            ("match_number", 23, 8, "u"),
        ),
        _m(
            "C",
            "order_executed_with_price",
            36,
            ("order_ref", 11, 8, "u"),
            ("executed_shares", 19, 4, "u"),
            ("match_number", 23, 8, "u"),
            ("printable", 31, 1, "a"),
            ("execution_price", 32, 4, "p4"),
        ),
        _m(
            "X",
            "order_cancel",
            23,
            ("order_ref", 11, 8, "u"),
            ("cancelled_shares", 19, 4, "u"),
        ),
        _m("D", "order_delete", 19, ("order_ref", 11, 8, "u")),
        _m(
            "U",
            "order_replace",
            35,
            ("original_order_ref", 11, 8, "u"),
            ("new_order_ref", 19, 8, "u"),
            ("shares", 27, 4, "u"),
            ("price", 31, 4, "p4"),
        ),
        _m(
            "P",
            "trade",
            44,
            ("order_ref", 11, 8, "u"),
            ("side", 19, 1, "a"),
            ("shares", 20, 4, "u"),
            ("stock", 24, 8, "a"),
            ("price", 32, 4, "p4"),
            ("match_number", 36, 8, "u"),
        ),
        _m(
            "Q",
            "cross_trade",
            40,
            ("shares", 11, 8, "u"),
            ("stock", 19, 8, "a"),
            ("cross_price", 27, 4, "p4"),
            ("match_number", 31, 8, "u"),
            ("cross_type", 39, 1, "a"),
        ),
        _m("B", "broken_trade", 19, ("match_number", 11, 8, "u")),
        _m(
            "I",
            "noii",
            50,
            ("paired_shares", 11, 8, "u"),
            ("imbalance_shares", 19, 8, "u"),
            ("imbalance_direction", 27, 1, "a"),
            ("stock", 28, 8, "a"),
            ("far_price", 36, 4, "p4"),
            ("near_price", 40, 4, "p4"),
            ("current_reference_price", 44, 4, "p4"),
            ("cross_type", 48, 1, "a"),
            ("price_variation_indicator", 49, 1, "a"),
        ),
        _m("N", "rpii", 20, _STOCK, ("interest_flag", 19, 1, "a")),
        _m(
            "O",
            "dlcr",
            48,
            _STOCK,
            ("open_eligibility_status", 19, 1, "a"),
            ("minimum_allowable_price", 20, 4, "p4"),
            ("maximum_allowable_price", 24, 4, "p4"),
            ("near_execution_price", 28, 4, "p4"),
            ("near_execution_time", 32, 8, "u"),
            ("lower_price_range_collar", 40, 4, "p4"),
            ("upper_price_range_collar", 44, 4, "p4"),
        ),
    )
}

_BY_NAME = {m.name: m for m in MESSAGES.values()}

#: Native column type per (kind, size); unsigned fields keep their width.
_NATIVE = {("u", 2): "<u2", ("u", 4): "<u4", ("u", 8): "<u8"}


def spec_of(key: str) -> MessageSpec:
    """Return the spec for a type byte (``"A"``) or a message name (``"add_order"``)."""
    spec = MESSAGES.get(key) or _BY_NAME.get(key)
    if spec is None:
        from tickbook.core import ValidationError

        raise ValidationError(
            f"invalid `message_type`: expected an ITCH 5.0 type byte or name, got {key!r}",
            field="message_type",
            value=key,
        )
    return spec


def _column_type(kind: str, size: int) -> str:
    if kind == "a":
        return f"S{size}"
    if kind in ("ts", "p4", "p8"):
        return "<i8"
    return _NATIVE[(kind, size)]


def dtype_of(key: str) -> np.dtype:
    """Return the native structured dtype of one message type's columnar form.

    Columns are ``index`` (position of the message in the file, from 0) and the spec fields;
    the type byte itself is implied by the table.
    """
    spec = spec_of(key)
    cols = [("index", "<i8")]
    cols += [(name, _column_type(kind, size)) for name, _, size, kind in spec.fields]
    return np.dtype(cols)


def length_table() -> np.ndarray:
    """Return a 256-entry table: the wire length of each type byte, 0 for unknown types."""
    table = np.zeros(256, np.int64)
    for spec in MESSAGES.values():
        table[ord(spec.type)] = spec.length
    return table
