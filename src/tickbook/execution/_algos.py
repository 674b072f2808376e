"""Execution schedules for one parent order: TWAP, VWAP, POV and iceberg.

A schedule answers one question at a time on the caller's clock: how many shares of the parent
should be done by now (``due(ts_ns, market_volume, filled)``)? ``execute`` (in ``_runner``)
sends child orders to close the gap. Nothing here reads a wall clock or draws a random number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tickbook.brokers._types import check_client_order_id, check_symbol
from tickbook.core import Side
from tickbook.core._checks import check_int, refuse

__all__ = ["POV", "TWAP", "VWAP", "Iceberg", "ParentOrder", "Schedule"]

_MAX_QTY = (1 << 62) - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentOrder:
    """The order to work: children are ``<parent_id>-<n>``.

    ``limit_price_cents`` bounds every child (a buy pays at most, a sell gets at least that);
    without it children take the touch (buy at the ask, sell at the bid).
    """

    parent_id: str
    symbol: str
    side: Side
    quantity: int
    limit_price_cents: int | None = None

    def __post_init__(self) -> None:
        check_client_order_id(self.parent_id, "parent_id")
        if len(self.parent_id) > 30:
            raise refuse("parent_id", "at most 30 characters (children add '-<n>')", self.parent_id)
        check_symbol(self.symbol)
        object.__setattr__(self, "side", Side.parse(self.side))
        check_int(self.quantity, "quantity", lo=1, hi=_MAX_QTY, expected="a positive integer")
        if self.limit_price_cents is not None:
            check_int(
                self.limit_price_cents, "limit_price_cents", lo=1, hi=1 << 52,
                expected="a positive integer (cents) or None",
            )  # fmt: skip


class Schedule:
    """Base of the schedules: ``due`` is the cumulative quantity to have done by ``ts_ns``."""

    name = "schedule"

    def __init__(self, parent: ParentOrder) -> None:
        if not isinstance(parent, ParentOrder):
            raise refuse("parent", "a ParentOrder", parent)
        self.parent = parent

    def due(self, ts_ns: int, market_volume: int, filled: int) -> int:
        """Return the shares that should be done by ``ts_ns`` (0..parent.quantity)."""
        raise NotImplementedError

    def new_slice(self, ts_ns: int) -> bool:
        """Return whether ``ts_ns`` opens a new slice (a working child is then replaced)."""
        return False


def _window(start_ns: Any, end_ns: Any) -> tuple[int, int]:
    start = check_int(start_ns, "start_ns", lo=0, hi=1 << 62, expected="a time in ns >= 0")
    end = check_int(end_ns, "end_ns", lo=start + 1, hi=1 << 62, expected="a time after start_ns")
    return start, end


class _Sliced(Schedule):
    # equal-length buckets over [start, end) with a cumulative fraction per bucket
    def __init__(self, parent: ParentOrder, start_ns: int, end_ns: int, cum: list[float]) -> None:
        super().__init__(parent)
        self.start, self.end = _window(start_ns, end_ns)
        self._cum = cum
        self._last_bucket = -1

    def _bucket(self, ts_ns: int) -> int:
        if ts_ns < self.start:
            return -1
        n = len(self._cum)
        return min(n - 1, (ts_ns - self.start) * n // (self.end - self.start))

    def due(self, ts_ns: int, market_volume: int, filled: int) -> int:
        """The parent's quantity times the cumulative share of the buckets started by now."""
        k = self._bucket(ts_ns)
        if k < 0:
            return 0
        if k == len(self._cum) - 1:
            return self.parent.quantity
        return math.floor(self.parent.quantity * self._cum[k] + 1e-9)

    def new_slice(self, ts_ns: int) -> bool:
        """A bucket boundary was crossed since the last call."""
        k = self._bucket(ts_ns)
        fresh = k != self._last_bucket
        self._last_bucket = k
        return fresh


class TWAP(_Sliced):
    """Equal slices at equal intervals over ``[start_ns, end_ns)``."""

    name = "twap"

    def __init__(self, parent: ParentOrder, start_ns: int, end_ns: int, slices: int) -> None:
        n = check_int(slices, "slices", lo=1, hi=100_000, expected="an integer in [1, 100000]")
        super().__init__(parent, start_ns, end_ns, [(k + 1) / n for k in range(n)])


class VWAP(_Sliced):
    """Slices in proportion to a volume profile (one weight per equal bucket)."""

    name = "vwap"

    def __init__(
        self, parent: ParentOrder, start_ns: int, end_ns: int, profile: Sequence[float]
    ) -> None:
        if isinstance(profile, str) or not hasattr(profile, "__len__") or not len(profile):
            raise refuse("profile", "a non-empty sequence of non-negative volumes", profile)
        vols = []
        for v in profile:
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0 or v == math.inf:
                raise refuse("profile", "finite non-negative volumes", profile)
            vols.append(float(v))
        total = sum(vols)
        if total <= 0:
            raise refuse("profile", "volumes with a positive sum", profile)
        cum, run = [], 0.0
        for v in vols:
            run += v
            cum.append(run / total)
        super().__init__(parent, start_ns, end_ns, cum)


class POV(Schedule):
    """Participate in ``participation`` of the market volume observed since the start."""

    name = "pov"

    def __init__(self, parent: ParentOrder, participation: float, min_child: int = 1) -> None:
        super().__init__(parent)
        if (
            isinstance(participation, bool)
            or not isinstance(participation, int | float)
            or not 0.0 < participation <= 1.0
        ):
            raise refuse("participation", "a fraction in (0, 1]", participation)
        self.participation = float(participation)
        self.min_child = check_int(min_child, "min_child", lo=1, hi=_MAX_QTY, expected="int >= 1")

    def due(self, ts_ns: int, market_volume: int, filled: int) -> int:
        """``participation`` x the market's volume, in steps of at least ``min_child``."""
        want = min(self.parent.quantity, math.floor(self.participation * market_volume + 1e-9))
        if want - filled < self.min_child and want < self.parent.quantity:
            return filled
        return want


class Iceberg(Schedule):
    """Show at most ``display_qty`` at a time; the next slice goes once the last one is done."""

    name = "iceberg"

    def __init__(self, parent: ParentOrder, display_qty: int) -> None:
        super().__init__(parent)
        self.display = check_int(
            display_qty, "display_qty", lo=1, hi=parent.quantity,
            expected=f"a positive integer <= the parent's quantity ({parent.quantity})",
        )  # fmt: skip

    def due(self, ts_ns: int, market_volume: int, filled: int) -> int:
        """What is filled plus one display's worth."""
        return min(self.parent.quantity, filled + self.display)
