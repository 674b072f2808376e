"""From target weights and a broker's account to a plan: share quantities and limit prices."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from tickbook.core._checks import check_int, refuse
from tickbook.core._errors import ValidationError
from tickbook.execution._target import Target

__all__ = ["Plan", "PlanRow", "RebalanceConfig", "limit_price", "make_plan"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceConfig:
    """How the rebalancer trades (the ``[rebalance]`` table of ``config.toml``).

    Attributes:
        limit_offset_bps: limit price distance past the touch (buy: ask + offset, sell:
            bid - offset), basis points; negative rests inside the spread (passive).
        order_timeout_s: a working order older than this is cancelled and replaced.
        poll_interval_s: time between order status polls.
        max_attempts: timeouts or rejections per symbol before it is given up.
        orders_per_second: the most orders sent per second.
    """

    limit_offset_bps: float = 5.0
    order_timeout_s: float = 10.0
    poll_interval_s: float = 0.1
    max_attempts: int = 3
    orders_per_second: float = 5.0

    def __post_init__(self) -> None:
        for name, lo, hi in (
            ("limit_offset_bps", -1000.0, 1000.0),
            ("order_timeout_s", 0.0, 86400.0),
            ("poll_interval_s", 0.0, 60.0),
            ("orders_per_second", 0.001, 10_000.0),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not lo <= value <= hi
            ):
                raise refuse(name, f"a number in [{lo}, {hi}]", value)
        check_int(self.max_attempts, "max_attempts", lo=1, hi=99, expected="an integer in [1, 99]")

    @classmethod
    def from_dict(cls, values: Any, where: str = "rebalance") -> RebalanceConfig:
        """Build from a mapping; unknown keys are refused."""
        if not isinstance(values, dict):
            raise refuse(where, "a table of rebalance settings", values)
        known = {f.name for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                names = ", ".join(sorted(known))
                raise ValidationError(
                    f"invalid `{where}`: unknown setting {key!r} (known: {names})",
                    field=key,
                    value=value,
                )
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One symbol: held and target shares, the order between them, its limit price."""

    symbol: str
    held: int
    target_qty: int
    price_cents: int  #: reference price (mid, or last) the target quantity was sized at
    limit_cents: int
    weight_now: float
    weight_target: float
    qty_decimals: int = 0  #: quantities count 10**-qty_decimals units (crypto venues)

    @property
    def value_cents(self) -> int:
        """Value of the order at its limit price."""
        return abs(self.delta) * self.limit_cents // 10**self.qty_decimals

    @property
    def delta(self) -> int:
        """Signed shares to trade (positive buys)."""
        return self.target_qty - self.held

    @property
    def side(self) -> str:
        """``"buy"``, ``"sell"`` or ``"-"`` when there is nothing to trade."""
        return "buy" if self.delta > 0 else "sell" if self.delta < 0 else "-"


@dataclass(frozen=True, slots=True)
class Plan:
    """A rebalance plan: the rows (sells first) and the orders the risk check sees."""

    run_id: str
    target: Target
    equity_cents: int
    rows: tuple[PlanRow, ...]
    orders: tuple[tuple[str, str, int, int], ...]  #: (symbol, side, qty, limit) slices

    def to_json(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (for the audit log)."""
        return [
            {
                "symbol": r.symbol,
                "held": r.held,
                "target_qty": r.target_qty,
                "price_cents": r.price_cents,
                "limit_cents": r.limit_cents,
                "weight_now": r.weight_now,
                "weight_target": r.weight_target,
                "qty_decimals": r.qty_decimals,
            }
            for r in self.rows
        ]


def limit_price(quote: Any, buying: bool, offset_bps: float, tick: int = 1) -> int:
    """Return the limit price: past the touch by ``offset_bps``, on the tick grid."""
    touch = quote.ask_cents if buying else quote.bid_cents
    if touch is None:
        touch = quote.last_cents
    if touch is None:
        raise refuse("quote", f"a price for {quote.symbol}", quote)
    raw = touch * (1.0 + offset_bps / 10_000.0) if buying else touch * (1.0 - offset_bps / 10_000.0)
    ticks = math.floor(raw / tick) if buying else math.ceil(raw / tick)
    return max(tick, int(ticks) * tick)


def reference_price(quote: Any) -> int:
    """Mid of bid and ask when both are there, else the last price."""
    if quote.bid_cents is not None and quote.ask_cents is not None:
        return (quote.bid_cents + quote.ask_cents) // 2
    if quote.last_cents is None:
        raise refuse("quote", f"a price for {quote.symbol}", quote)
    return quote.last_cents


def slices(quantity: int, limit: int, cap_cents: int, scale: int = 1, lot: int = 1) -> list[int]:
    """Split ``quantity`` into orders worth at most ``cap_cents`` each (multiples of ``lot``)."""
    per = cap_cents * scale // max(1, limit)
    per = max(lot, per - per % lot)
    full, rest = divmod(quantity, per)
    return [per] * full + ([rest] if rest else [])


def make_plan(
    run_id: str,
    target: Target,
    broker: Any,
    config: RebalanceConfig,
    order_cap_cents: int,
) -> Plan:
    """Read positions, account and quotes from ``broker`` and size every symbol's order."""
    held = {p.symbol: p.quantity for p in broker.positions()}
    equity = broker.account().equity_cents
    if equity <= 0:
        raise refuse("equity_cents", "a positive account equity", equity)
    symbols = list(target.weights) + [s for s in sorted(held) if s not in target.weights]
    rows = []
    for sym in symbols:
        quote = broker.quote(sym)
        price = reference_price(quote)
        inst = broker.instrument(sym)
        w = target.weights.get(sym, 0.0)
        scale = 10**inst.qty_decimals
        raw = int(w * equity * scale / price)  # toward zero: never past the weight
        lot = max(1, inst.lot)
        qty = raw - raw % lot if raw >= 0 else -((-raw) - (-raw) % lot)
        now = held.get(sym, 0)
        buying = qty > now
        limit = limit_price(quote, buying, config.limit_offset_bps, max(1, inst.tick_cents))
        if qty != now and (
            abs(qty - now) < inst.min_qty
            or inst.notional_cents(abs(qty - now), limit) < inst.min_notional_cents
        ):
            qty = now  # below the venue's minimum order: nothing to do
        rows.append(
            PlanRow(sym, now, qty, price, limit, now * price / scale / equity, w, inst.qty_decimals)
        )
    rows.sort(key=lambda r: (r.delta >= 0, r.symbol))  # sells first: they free cash
    orders = []
    for r in rows:
        if r.delta:
            scale = 10**r.qty_decimals
            for q in slices(abs(r.delta), r.limit_cents, order_cap_cents, scale):
                orders.append((r.symbol, r.side, q, r.limit_cents))
    return Plan(run_id, target, equity, tuple(rows), tuple(orders))
