"""Argument checks shared by the Exchange's order and stop methods.

Sides and times in force go through the one parser in ``tickbook.core`` (``side_code``,
``tif_code``); a hot path may look a ``str`` up in ``SIDE_TEXT``/``TIF_TEXT`` first.
"""

from __future__ import annotations

from typing import Any

from tickbook.book import _layout as lay
from tickbook.core import SelfTradePrevention, Side, TimeInForce, side_code, tif_code
from tickbook.core._checks import check_int, refuse
from tickbook.core._types import enum_text

__all__ = ["SIDE_TEXT", "TIF_TEXT", "as_int", "flags", "side_code", "tif_code"]

#: the common spellings of sides and times in force (``str`` keys only), for hot paths
SIDE_TEXT = enum_text(Side)
TIF_TEXT = enum_text(TimeInForce)


def as_int(value: Any, field: str) -> int:
    """Coerce an integral value to ``int`` (range checks are the kernel's)."""
    return check_int(value, field, lo=-(1 << 63), hi=(1 << 63) - 1, expected="an integer")


def flags(post_only: bool, stp: Any) -> int:
    """Return the order flags for ``post_only`` and a self-trade prevention mode."""
    if type(post_only) is not bool:
        raise refuse("post_only", "True or False", post_only)
    mode = SelfTradePrevention.parse("none" if stp is None else stp)
    return (lay.F_POST_ONLY if post_only else 0) | (int(mode) << lay.STP_SHIFT)
