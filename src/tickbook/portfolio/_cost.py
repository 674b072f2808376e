"""``CostModel``: what a trade costs on top of its notional."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tickbook.core._checks import check_float, check_int

__all__ = ["CostModel"]

#: A basis point as a fraction.
BPS = 1e-4


def _bps(value: Any, field: str) -> float:
    expected = "a number of basis points in [0, 10000)"
    value = check_float(value, field, lo=0.0, hi=10_000.0, hi_open=True, expected=expected)
    return value


@dataclass(frozen=True, slots=True)
class CostModel:
    """Commission, slippage and a minimum fee per trade.

    Attributes:
        commission_bps: commission as basis points of the traded notional.
        slippage_bps: the fill price moves this many basis points against the trader (buys
            pay more, sells receive less). Order-book fills ignore it: the book is the slippage.
        min_trade_fee: the least commission charged on any trade, in cents.
    """

    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    min_trade_fee: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "commission_bps", _bps(self.commission_bps, "commission_bps"))
        object.__setattr__(self, "slippage_bps", _bps(self.slippage_bps, "slippage_bps"))
        fee = check_int(
            self.min_trade_fee,
            "min_trade_fee",
            lo=0,
            hi=1 << 40,
            expected="a non-negative integer (cents)",
        )
        object.__setattr__(self, "min_trade_fee", fee)

    @classmethod
    def zero(cls) -> CostModel:
        """Return the model that charges nothing."""
        return cls()

    @property
    def is_zero(self) -> bool:
        """Whether every cost is zero."""
        return self.commission_bps == 0 and self.slippage_bps == 0 and self.min_trade_fee == 0

    def compute_cost(self, notional: int) -> int:
        """Return the commission (cents) on a trade of ``notional`` cents (sign ignored).

        Rounded half up to a whole cent, and at least ``min_trade_fee``; nothing for no trade.
        """
        notional = abs(check_int(notional, "notional", lo=-(1 << 62), hi=1 << 62, expected="cents"))
        if notional == 0:
            return 0
        fee = math.floor(notional * self.commission_bps * BPS + 0.5)
        return max(fee, self.min_trade_fee)

    def fill_price(self, price: int, buying: bool) -> int:
        """Return the price in ticks a trade at ``price`` fills at after slippage.

        Rounded against the trader (buys up, sells down), so slippage never turns into a gain.
        """
        if self.slippage_bps == 0:
            return price
        if buying:
            return math.ceil(price * (1.0 + self.slippage_bps * BPS) - 1e-9)
        return max(1, math.floor(price * (1.0 - self.slippage_bps * BPS) + 1e-9))

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (for JSON)."""
        return {
            "commission_bps": self.commission_bps,
            "slippage_bps": self.slippage_bps,
            "min_trade_fee": self.min_trade_fee,
        }
