"""``Position``: one symbol's holding, its VWAP entry price and its realized PnL.

Quantities are kept as integer micro-shares (1 share = 1,000,000 units) so that fractional
steps such as 0.001 share add up exactly; money (cost basis, PnL) is integer cents.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

from tickbook.core import Symbol
from tickbook.core._checks import MAX_PRICE, check_int, refuse

__all__ = ["MICRO", "Position", "notional", "to_micro"]

#: Micro-shares per share.
MICRO = 1_000_000
_MAX_MICRO = (1 << 40) * MICRO


def to_micro(quantity: Any, field: str = "quantity") -> int:
    """Return ``quantity`` (shares, int or float) as integer micro-shares.

    Refuses bools, non-finite values and quantities finer than one micro-share.
    """
    if isinstance(quantity, bool):
        raise refuse(field, "a number of shares", quantity)
    if isinstance(quantity, int):
        micro = quantity * MICRO
    elif isinstance(quantity, float):
        if not math.isfinite(quantity):
            raise refuse(field, "a finite number of shares", quantity)
        scaled = quantity * MICRO
        micro = round(scaled)
        if abs(scaled - micro) > 1e-3 + 1e-12 * abs(scaled):
            raise refuse(field, "a number of shares in steps of 0.000001", quantity)
    else:
        try:
            return to_micro(operator.index(quantity), field)
        except TypeError:
            pass
        if isinstance(quantity, numbers.Real):
            return to_micro(float(quantity), field)
        raise refuse(field, "a number of shares", quantity)
    if abs(micro) > _MAX_MICRO:
        raise refuse(field, "a number of shares below 2**40", quantity)
    return micro


def notional(micro: int, price: int) -> int:
    """Return ``micro`` micro-shares times ``price`` ticks, in whole ticks (half away from 0)."""
    whole, rest = divmod(abs(micro) * price, MICRO)
    value = whole + (2 * rest >= MICRO)
    return value if micro >= 0 else -value


def _div_round(a: int, b: int) -> int:
    """Return ``a / b`` rounded half away from zero (``b > 0``)."""
    whole, rest = divmod(abs(a), b)
    value = whole + (2 * rest >= b)
    return value if a >= 0 else -value


class Position:
    """A signed holding in one symbol with its cost basis and realized PnL.

    ``total_cost`` is the signed cost basis in cents (negative for a short);
    ``avg_entry_price`` is the VWAP of the fills that opened the current holding. Reducing a
    holding realizes PnL against that price; crossing through zero closes the holding and
    opens the other side at the fill price.
    """

    __slots__ = ("_micro", "realized_pnl", "symbol", "total_cost")

    def __init__(self, symbol: str) -> None:
        self.symbol = Symbol(symbol)
        self._micro = 0
        self.total_cost = 0
        self.realized_pnl = 0

    @property
    def quantity(self) -> float:
        """Signed quantity in shares (fractional where the account allows it)."""
        return self._micro / MICRO

    @property
    def quantity_micro(self) -> int:
        """Signed quantity in micro-shares, exact."""
        return self._micro

    @property
    def quantity_whole(self) -> int:
        """Signed quantity in whole shares, truncated toward zero."""
        return int(self._micro / MICRO) if abs(self._micro) < 1 << 53 else self._micro // MICRO

    @property
    def is_flat(self) -> bool:
        """Whether nothing is held."""
        return self._micro == 0

    @property
    def avg_entry_price(self) -> float:
        """VWAP entry price of the current holding, in ticks (0.0 when flat)."""
        if self._micro == 0:
            return 0.0
        return self.total_cost * MICRO / self._micro

    def market_value(self, price: int) -> int:
        """Return the signed value of the holding at ``price``, in cents."""
        return notional(self._micro, price)

    def unrealized_pnl(self, price: int) -> int:
        """Return the PnL (cents) of closing the holding at ``price``."""
        return notional(self._micro, price) - self.total_cost

    def apply_fill(self, quantity: float, price: int) -> int:
        """Apply a fill of ``quantity`` shares (positive buys, negative sells) at ``price``.

        Returns the PnL this fill realized (cents). Refused values change nothing.
        """
        price = check_int(price, "price", lo=1, hi=MAX_PRICE, expected="a positive integer (ticks)")
        micro = to_micro(quantity)
        if micro == 0:
            raise refuse("quantity", "a non-zero number of shares", quantity)
        return self._apply_micro(micro, price)

    def _apply_micro(self, micro: int, price: int) -> int:
        held = self._micro
        if held == 0 or (held > 0) == (micro > 0):
            self._micro = held + micro
            self.total_cost += notional(micro, price)
            return 0
        closing = min(abs(micro), abs(held))
        signed_closing = closing if held > 0 else -closing
        basis = _div_round(self.total_cost * closing, abs(held))
        pnl = notional(signed_closing, price) - basis
        self.realized_pnl += pnl
        self._micro = held - signed_closing
        self.total_cost = 0 if self._micro == 0 else self.total_cost - basis
        rest = abs(micro) - closing
        if rest:
            self._micro = rest if micro > 0 else -rest
            self.total_cost = notional(self._micro, price)
        return pnl

    def to_dict(self) -> dict[str, Any]:
        """Return the state as a dict (for JSON)."""
        return {
            "symbol": str(self.symbol),
            "quantity_micro": self._micro,
            "total_cost": self.total_cost,
            "realized_pnl": self.realized_pnl,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Position:
        """Rebuild a position from ``to_dict`` output (the caller checks the types)."""
        pos = cls(data["symbol"])
        pos._micro = data["quantity_micro"]
        pos.total_cost = data["total_cost"]
        pos.realized_pnl = data["realized_pnl"]
        return pos

    def __repr__(self) -> str:
        return (
            f"Position({self.symbol!s}, quantity={self.quantity:g}, "
            f"avg_entry_price={self.avg_entry_price:.2f}, realized_pnl={self.realized_pnl})"
        )
