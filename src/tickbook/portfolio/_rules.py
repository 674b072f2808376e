"""``RebalanceRules``: the one record of how a rebalance turns target weights into orders.

``Portfolio`` and ``backtest_weights`` take the same rules, in the same units (money in
integer ticks, cents by default), checked by the same code, and hand them to the same
planning kernel (``_kernels.plan_orders``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tickbook.core._checks import check_float, check_int, refuse
from tickbook.portfolio._inputs import money, quantity_step

__all__ = ["RULE_FIELDS", "RebalanceRules"]


@dataclass(frozen=True, slots=True)
class RebalanceRules:
    """How a rebalance sizes, filters and caps its orders.

    Attributes:
        quantity_step: share granularity of orders: 1.0 whole shares (the default), 0.001
            for thousandths, 0 for micro-shares (effectively continuous).
        min_order_value: skip orders worth less than this (ticks; 0: no minimum).
        max_order_value: shrink orders worth more than this to fit (ticks; 0: no maximum).
        no_trade_band_bps: leave a holding alone while its weight is within this many basis
            points of its target.
        max_trades_per_rebalance: keep at most this many orders, those with the largest
            drift from target (ties by symbol); ``None``: no cap.
        max_rebalance_notional: cap on the value traded per rebalance (ticks; 0: none),
            spent on the largest drifts first; the order that crosses it is shrunk to fit.
    """

    quantity_step: float = 1.0
    min_order_value: int = 0
    max_order_value: int = 0
    no_trade_band_bps: float = 0.0
    max_trades_per_rebalance: int | None = None
    max_rebalance_notional: int = 0

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "quantity_step", quantity_step(self.quantity_step))
        for name in ("min_order_value", "max_order_value", "max_rebalance_notional"):
            put(self, name, money(getattr(self, name), name))
        band = check_float(
            self.no_trade_band_bps,
            "no_trade_band_bps",
            lo=0.0,
            hi=1e8,
            expected="a number of basis points >= 0",
        )
        put(self, "no_trade_band_bps", band)
        if self.max_trades_per_rebalance is not None:
            put(
                self,
                "max_trades_per_rebalance",
                check_int(
                    self.max_trades_per_rebalance,
                    "max_trades_per_rebalance",
                    lo=0,
                    hi=1 << 31,
                    expected="None or an integer >= 0",
                ),
            )

    @classmethod
    def of(cls, rules: Any, **options: Any) -> RebalanceRules:
        """Return ``rules`` (a record or ``None``), or build one from the loose ``options``.

        Giving both a record and a loose option that differs from its default is refused.
        """
        if rules is None:
            return cls(**options)
        if not isinstance(rules, RebalanceRules):
            raise refuse("rules", "a RebalanceRules or None", rules)
        default = cls()
        for name, value in options.items():
            if value != getattr(default, name):
                raise refuse(name, "to be left out when `rules` is given", value)
        return rules

    def kernel_args(self) -> tuple[float, float, float, float, int, float]:
        """(step, band, min value, max value, max trades or -1, max notional) for the kernel."""
        max_trades = self.max_trades_per_rebalance
        return (
            self.quantity_step,
            self.no_trade_band_bps,
            float(self.min_order_value),
            float(self.max_order_value),
            -1 if max_trades is None else max_trades,
            float(self.max_rebalance_notional),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the rules as JSON-ready data."""
        return {name: getattr(self, name) for name in RULE_FIELDS}


#: The rules' field names, in declaration order.
RULE_FIELDS = tuple(RebalanceRules.__dataclass_fields__)
