"""Binance symbol rules from ``exchangeInfo``, checked before an order leaves (private).

Units: prices are cents of the quote asset, quantities ``10**-qty_decimals`` of the base asset
(8 decimals by default, Binance's finest). Conversions go through ``Decimal``, never floats.
The checks follow Binance's filters document: PRICE_FILTER (``price``/``stopPrice`` within
``[minPrice, maxPrice]`` and on the ``tickSize`` grid; 0 disables a rule), LOT_SIZE and, for
market orders, MARKET_LOT_SIZE (``quantity`` within ``[minQty, maxQty]`` on the ``stepSize``
grid), NOTIONAL and MIN_NOTIONAL (``price * quantity`` against ``minNotional`` /
``maxNotional``; market orders use the last price, where ``applyMinToMarket`` /
``applyToMarket`` say so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from tickbook.brokers._errors import FilterRejected
from tickbook.brokers._types import MAX_BROKER_QTY, Instrument, OrderRequest, OrderType

__all__ = ["SymbolRules", "cents", "decimal_text", "units"]

_ZERO = Decimal(0)


def decimal_text(value: Decimal) -> str:
    """Format a decimal for Binance: plain digits, no exponent, no trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def cents(text: Any, rounding: str = ROUND_HALF_EVEN) -> int:
    """Return a quote-asset amount (decimal string) in integer cents."""
    return int((Decimal(str(text)) * 100).to_integral_value(rounding=rounding))


def units(text: Any, decimals: int) -> int:
    """Return a base-asset amount (decimal string) in integer quantity units (rounded down)."""
    return int(Decimal(str(text)).scaleb(decimals).to_integral_value(rounding=ROUND_FLOOR))


def _d(data: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(data.get(key, "0")))


def _on_grid(value: Decimal, low: Decimal, step: Decimal) -> bool:
    return step == 0 or (value - low) % step == 0


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """One Binance symbol: its assets, status, order types and filters."""

    pair: str
    base: str
    quote: str
    trading: bool
    order_types: frozenset[str]
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> SymbolRules:
        """Read one entry of ``exchangeInfo["symbols"]``."""
        return cls(
            pair=str(data["symbol"]),
            base=str(data["baseAsset"]),
            quote=str(data["quoteAsset"]),
            trading=data.get("status") == "TRADING",
            order_types=frozenset(data.get("orderTypes", ())),
            filters={f["filterType"]: f for f in data.get("filters", ())},
        )

    def instrument(self, symbol: str, qty_decimals: int) -> Instrument:
        """Return the rules as an ``Instrument`` in cents and quantity units."""
        price = self.filters.get("PRICE_FILTER", {})
        lot = self.filters.get("LOT_SIZE", {})
        tick = _d(price, "tickSize") * 100
        notional = self.filters.get("NOTIONAL") or self.filters.get("MIN_NOTIONAL") or {}
        step = _d(lot, "stepSize").scaleb(qty_decimals)
        max_qty = _d(lot, "maxQty").scaleb(qty_decimals)
        return Instrument(
            symbol=symbol,
            qty_decimals=qty_decimals,
            tick_cents=int(tick) if tick >= 1 and tick == tick.to_integral_value() else 1,
            lot=max(1, int(step)),
            min_qty=max(
                1, int(_d(lot, "minQty").scaleb(qty_decimals).to_integral_value(ROUND_CEILING))
            ),
            max_qty=int(max_qty) if max_qty > 0 else MAX_BROKER_QTY,
            min_notional_cents=int(
                (_d(notional, "minNotional") * 100).to_integral_value(ROUND_CEILING)
            ),
        )

    def check(self, request: OrderRequest, qty: Decimal, last: Decimal | None) -> None:
        """Raise ``FilterRejected`` naming the first filter the order would fail."""
        kind = request.order_type
        market = kind in (OrderType.MARKET, OrderType.STOP)
        binance_type = _BINANCE_TYPES[kind]
        if self.order_types and binance_type not in self.order_types:
            raise FilterRejected(
                f"{self.pair} does not take {binance_type} orders "
                f"(it takes {', '.join(sorted(self.order_types))})",
                filter="ORDER_TYPE",
                field="order_type",
                value=kind.name.lower(),
            )
        for name, value in (("limit_price_cents", request.limit_price_cents),
                            ("stop_price_cents", request.stop_price_cents)):  # fmt: skip
            if value is not None:
                self._check_price(Decimal(value).scaleb(-2), name, value)
        self._check_lot("MARKET_LOT_SIZE" if market else "LOT_SIZE", qty, request.quantity)
        if market and "MARKET_LOT_SIZE" in self.filters:
            self._check_lot("LOT_SIZE", qty, request.quantity)
        price = Decimal(request.limit_price_cents).scaleb(-2) if not market else last
        if price is not None:
            self._check_notional(price * qty, market, request.quantity)

    def _check_price(self, price: Decimal, name: str, value: int) -> None:
        f = self.filters.get("PRICE_FILTER")
        if f is None:
            return
        lo, hi, tick = _d(f, "minPrice"), _d(f, "maxPrice"), _d(f, "tickSize")
        problem = None
        if lo > 0 and price < lo:
            problem = f"below minPrice {decimal_text(lo)}"
        elif hi > 0 and price > hi:
            problem = f"above maxPrice {decimal_text(hi)}"
        elif tick > 0 and not _on_grid(price, lo, tick):
            problem = f"not a multiple of tickSize {decimal_text(tick)}"
        if problem:
            raise FilterRejected(
                f"PRICE_FILTER: {self.pair} price {decimal_text(price)} is {problem}",
                filter="PRICE_FILTER",
                field=name,
                value=value,
            )

    def _check_lot(self, name: str, qty: Decimal, value: int) -> None:
        f = self.filters.get(name)
        if f is None:
            return
        lo, hi, step = _d(f, "minQty"), _d(f, "maxQty"), _d(f, "stepSize")
        problem = None
        if qty < lo:
            problem = f"below minQty {decimal_text(lo)}"
        elif hi > 0 and qty > hi:
            problem = f"above maxQty {decimal_text(hi)}"
        elif step > 0 and not _on_grid(qty, lo, step):
            problem = f"not a multiple of stepSize {decimal_text(step)}"
        if problem:
            raise FilterRejected(
                f"{name}: {self.pair} quantity {decimal_text(qty)} is {problem}",
                filter=name,
                field="quantity",
                value=value,
            )

    def _check_notional(self, notional: Decimal, market: bool, value: int) -> None:
        for name in ("NOTIONAL", "MIN_NOTIONAL"):
            f = self.filters.get(name)
            if f is None:
                continue
            lo = _d(f, "minNotional")
            hi = _d(f, "maxNotional")
            if name == "NOTIONAL":
                check_lo = not market or f.get("applyMinToMarket", True)
                check_hi = not market or f.get("applyMaxToMarket", False)
            else:
                check_lo, check_hi = not market or f.get("applyToMarket", True), False
            problem = None
            if check_lo and notional < lo:
                problem = f"below minNotional {decimal_text(lo)}"
            elif check_hi and hi > 0 and notional > hi:
                problem = f"above maxNotional {decimal_text(hi)}"
            if problem:
                raise FilterRejected(
                    f"{name}: {self.pair} notional {decimal_text(notional)} is {problem}",
                    filter=name,
                    field="quantity",
                    value=value,
                )


_BINANCE_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP: "STOP_LOSS",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
}
