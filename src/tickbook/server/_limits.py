"""Per-account limits: order rate, max order value, max open orders.

This is the server's small stand-in for ``tickbook.risk``: the core calls ``check_rate`` at
the gateway (wall clock, never journaled) and ``check_order`` before a command changes state
(live only: replay never re-checks limits, so a changed limit cannot refuse the journal).
A ``tickbook.risk`` engine plugs in by providing these two methods.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from tickbook.server._ledger import LimitExceeded

__all__ = ["AccountLimits", "Limits"]


class Limits(Protocol):
    """What the core asks of a limits engine."""

    def check_rate(self, account: int) -> None:
        """Refuse (``LimitExceeded``) an order over the account's rate."""

    def check_order(
        self, ledger: Any, account: int, spec: Any, fields: dict[str, Any], reserve: int
    ) -> None:
        """Refuse (``LimitExceeded``) an order over a value or open-order limit."""


@dataclass(slots=True)
class AccountLimits:
    """Token-bucket order rate, max notional per order (quote units), max open orders.

    Args:
        orders_per_second: sustained order rate per account (burst = one second of it).
        max_order_value: largest reservation of one order, in the reserved asset's minor
            units (``None``: no limit).
        max_open_orders: most orders an account may have open at once.
    """

    orders_per_second: float = 5000.0
    max_order_value: int | None = None
    max_open_orders: int = 10000
    _buckets: dict[int, list[float]] = field(default_factory=dict)

    def check_rate(self, account: int) -> None:
        """Refuse an order over the account's rate (token bucket on the monotonic clock)."""
        now = time.monotonic()
        bucket = self._buckets.get(account)
        if bucket is None:
            bucket = self._buckets[account] = [self.orders_per_second, now]
        tokens = min(self.orders_per_second, bucket[0] + (now - bucket[1]) * self.orders_per_second)
        bucket[1] = now
        if tokens < 1:
            bucket[0] = tokens
            raise LimitExceeded(
                f"order rate limit: at most {self.orders_per_second:g} orders/s per account",
                field="rate",
                value=self.orders_per_second,
            )
        bucket[0] = tokens - 1

    def check_order(
        self, ledger: Any, account: int, spec: Any, fields: dict[str, Any], reserve: int
    ) -> None:
        """Refuse an order over the value or open-order limits."""
        if self.max_order_value is not None and reserve > self.max_order_value:
            raise LimitExceeded(
                f"order value limit: the order reserves {reserve} units, at most "
                f"{self.max_order_value}",
                field="quantity",
                value=spec.qty(fields["quantity"]),
            )
        if ledger.open_count.get(account, 0) >= self.max_open_orders:
            raise LimitExceeded(
                f"open orders limit: at most {self.max_open_orders} open orders per account",
                field="open_orders",
                value=self.max_open_orders,
            )
