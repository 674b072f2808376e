"""The account behind ``SimBroker``: orders, books, cash and positions (private).

Everything is integer cents and shares. ``check`` is pure (it raises or returns; it changes
nothing), so ``SimBroker`` can journal a command between the check and the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tickbook.brokers._errors import InsufficientFunds, UnknownSymbol
from tickbook.brokers._sim_market import MARKET, USER, Mark, scratch_match, touch
from tickbook.brokers._types import (
    Account,
    BrokerOrder,
    BrokerOrderStatus,
    OrderRequest,
    OrderType,
    Position,
)
from tickbook.core import Side, TimeInForce

__all__ = ["SimAccount", "SimOrder"]

_S = BrokerOrderStatus


@dataclass(slots=True)
class SimOrder:
    """An order as the simulated broker holds it (mutable; ``snapshot`` is the answer)."""

    id: str
    cid: str
    request: OrderRequest
    status: BrokerOrderStatus = _S.NEW
    filled: int = 0
    value: int = 0
    commission: int = 0
    xid: int | None = None  # id in the symbol's Exchange while it rests there
    pending_stop: bool = False
    reason: str = ""
    ts: int = 0

    @property
    def remaining(self) -> int:
        return self.request.quantity - self.filled

    @property
    def buying(self) -> bool:
        return self.request.side is Side.BUY

    def snapshot(self) -> BrokerOrder:
        """Return the frozen ``BrokerOrder``."""
        r = self.request
        return BrokerOrder(
            order_id=self.id,
            client_order_id=self.cid,
            symbol=r.symbol,
            side=r.side,
            order_type=r.order_type,
            quantity=r.quantity,
            status=self.status,
            filled_quantity=self.filled,
            filled_value_cents=self.value,
            limit_price_cents=r.limit_price_cents,
            stop_price_cents=r.stop_price_cents,
            tif=r.tif,
            reason=self.reason,
            ts_ns=self.ts,
            commission_cents=self.commission,
        )


def _round_div(num: int, den: int) -> int:
    """Round ``num / den`` half away from zero (den > 0)."""
    q = (2 * abs(num) + den) // (2 * den)
    return q if num >= 0 else -q


class SimAccount:
    """Cash, holdings, marks, books and orders of one simulated account."""

    def __init__(self, cash: int, costs: Any, model: Any, allow_short: bool) -> None:
        self.cash = cash
        self.costs = costs
        self.model = model
        self.allow_short = allow_short
        self.holdings: dict[str, list[int]] = {}  # symbol -> [shares, cost basis in cents]
        self.marks: dict[str, Mark] = {}
        self.books: dict[str, Any] = {}
        self.orders: list[SimOrder] = []
        self.working: dict[str, SimOrder] = {}  # the open orders, oldest first
        self.by_id: dict[str, SimOrder] = {}
        self.by_cid: dict[str, SimOrder] = {}
        self.by_xid: dict[tuple[str, int], SimOrder] = {}

    # -- reports -------------------------------------------------------------------------------

    def positions(self) -> list[Position]:
        out = []
        for sym in sorted(self.holdings):
            qty, cost = self.holdings[sym]
            if qty == 0:
                continue
            value = qty * self.marks[sym].last
            avg = abs(_round_div(cost, abs(qty)))
            out.append(Position(sym, qty, avg, value, value - cost))
        return out

    def account(self) -> Account:
        values = [qty * self.marks[s].last for s, (qty, _) in self.holdings.items()]
        equity = self.cash + sum(values)
        gross = sum(abs(v) for v in values)
        return Account(equity, self.buying_power(), self.cash, gross)

    def buying_power(self) -> int:
        """Cash less what open buys hold back and the value of short positions."""
        held = 0
        for o in self.working.values():
            limit = o.request.limit_price_cents
            if o.buying and limit is not None:
                held += self._cost(o.remaining * limit)
        shorts = sum(-q * self.marks[s].last for s, (q, _) in self.holdings.items() if q < 0)
        return self.cash - held - shorts

    def _cost(self, notional: int) -> int:
        return notional + self.costs.compute_cost(notional)

    def _free_shares(self, symbol: str) -> int:
        qty = self.holdings.get(symbol, [0, 0])[0]
        selling = sum(
            o.remaining
            for o in self.working.values()
            if o.request.symbol == symbol and not o.buying
        )
        return qty - selling

    # -- checks (pure) -------------------------------------------------------------------------

    def check(self, request: OrderRequest, clock: int) -> list[tuple[int, int]] | None:
        """Raise ``UnknownSymbol`` or ``InsufficientFunds`` for an order that cannot be taken.

        Return the fills it would get now (``submit`` reuses them), ``None`` for a stop.
        """
        mark = self.marks.get(request.symbol)
        if mark is None:
            raise UnknownSymbol(
                f"unknown symbol {request.symbol!r}: no price for it",
                field="symbol",
                value=request.symbol,
            )
        kind = request.order_type
        now = kind in (OrderType.MARKET, OrderType.LIMIT) or self._triggered(request, mark)
        fills = self._match(request, request.quantity) if now else []
        result = fills if request.stop_price_cents is None else None
        filled = sum(q for _, q in fills)
        notional = sum(p * q for p, q in fills)
        rests = request.limit_price_cents is not None and request.tif is TimeInForce.GTC
        if request.side is Side.BUY:
            need = self._cost(notional) if filled else 0
            if rests:
                need += self._cost((request.quantity - filled) * request.limit_price_cents)
            if need > self.buying_power():
                raise InsufficientFunds(
                    f"insufficient funds: the order needs {need} cents, buying power is "
                    f"{self.buying_power()} cents",
                    field="quantity",
                    value=request.quantity,
                )
            return result
        free = self._free_shares(request.symbol)
        short = request.quantity - max(free, 0)
        if short <= 0:
            return result
        if not self.allow_short:
            raise InsufficientFunds(
                f"insufficient position: selling {request.quantity} {request.symbol}, "
                f"{max(free, 0)} free to sell (shorting is off)",
                field="quantity",
                value=request.quantity,
            )
        price = request.limit_price_cents or touch(self.model, mark)[0]
        if short * price > self.buying_power():
            raise InsufficientFunds(
                f"insufficient funds to short {short} {request.symbol}: needs {short * price} "
                f"cents, buying power is {self.buying_power()} cents",
                field="quantity",
                value=request.quantity,
            )
        return result

    def _triggered(self, request: OrderRequest, mark: Mark) -> bool:
        stop = request.stop_price_cents
        if stop is None:
            return False
        return mark.last >= stop if request.side is Side.BUY else mark.last <= stop

    def _match(self, request: OrderRequest, quantity: int) -> list[tuple[int, int]]:
        mark = self.marks[request.symbol]
        return scratch_match(
            self.model, mark, request.side, quantity, request.limit_price_cents, request.tif
        )

    # -- changes -------------------------------------------------------------------------------

    def submit(
        self, request: OrderRequest, cid: str, clock: int, fills: list | None = None
    ) -> SimOrder:
        """Take a checked order: trade what can trade now, rest or expire the remainder.

        ``fills`` are ``check``'s for this state (recomputed when ``None``: a replay).
        """
        order = SimOrder(str(len(self.orders) + 1), cid, request, ts=clock)
        self.orders.append(order)
        self.by_id[order.id] = order
        self.by_cid[cid] = order
        self.working[order.id] = order
        if request.stop_price_cents is not None:
            order.pending_stop = True
            self._trigger(request.symbol, clock)
        else:
            self._execute(order, clock, fills)
        return order

    def _settle(self, order: SimOrder) -> None:
        if not order.status.is_open():
            self.working.pop(order.id, None)

    def cancel(self, order: SimOrder, clock: int) -> None:
        """Cancel a working order (resting in its book, or a pending stop)."""
        if order.xid is not None:
            self.books[order.request.symbol].cancel(order.xid)
            del self.by_xid[(order.request.symbol, order.xid)]
            order.xid = None
        order.pending_stop = False
        order.status = _S.CANCELLED
        order.ts = clock
        self._settle(order)

    def mark(self, symbol: str, mark: Mark, clock: int) -> None:
        """Move a symbol's market; fill the resting orders it crosses, trigger stops."""
        self.marks[symbol] = mark
        self._cross(symbol, clock)
        self._trigger(symbol, clock)

    def _execute(self, order: SimOrder, clock: int, fills: list | None = None) -> None:
        request = order.request
        if fills is None:
            fills = self._match(request, order.remaining)
        if order.buying and fills:
            need = self._cost(sum(p * q for p, q in fills))
            own = 0  # what buying_power holds back for this very order
            if request.limit_price_cents is not None and order.status.is_open():
                own = self._cost(order.remaining * request.limit_price_cents)
            if need > self.buying_power() + own:  # a triggered stop may find the cash gone
                order.status, order.reason, order.ts = _S.REJECTED, "insufficient funds", clock
                self._settle(order)
                return
        self._fill(order, fills, clock)
        if order.remaining == 0:
            order.status = _S.FILLED
        elif request.limit_price_cents is None or request.tif is not TimeInForce.GTC:
            order.status = _S.EXPIRED
            order.reason = "no liquidity" if request.limit_price_cents is None else "ioc/fok"
        else:
            self._rest(order, clock)
        order.ts = clock
        self._settle(order)

    def _rest(self, order: SimOrder, clock: int) -> None:
        from tickbook.book import Exchange

        sym = order.request.symbol
        book = self.books.get(sym)
        if book is None:
            book = self.books[sym] = Exchange(record_events=False, order_capacity=64)
        side, price = order.request.side, order.request.limit_price_cents
        result = book.submit_limit(
            side, price, order.remaining, "gtc", owner=USER, stp="cancel_newest"
        )
        if result.resting_quantity == 0:  # it would have traded with the account's own order
            order.status, order.reason = _S.EXPIRED, "self-trade prevention"
            return
        order.xid = result.order_id
        self.by_xid[(sym, order.xid)] = order
        order.status = _S.PARTIALLY_FILLED if order.filled else _S.NEW

    def _fill(self, order: SimOrder, fills: list[tuple[int, int]], clock: int) -> None:
        if not fills:
            return
        notional = 0
        holding = self.holdings.setdefault(order.request.symbol, [0, 0])
        for price, qty in fills:
            signed = qty if order.buying else -qty
            holding[0], holding[1] = _add_position(holding[0], holding[1], signed, price)
            notional += price * qty
        fee = self.costs.compute_cost(notional)
        self.cash += -notional - fee if order.buying else notional - fee
        order.filled += sum(q for _, q in fills)
        order.value += notional
        order.commission += fee
        order.ts = clock
        if order.remaining == 0:
            order.status = _S.FILLED
            self._settle(order)
        elif order.filled:
            order.status = _S.PARTIALLY_FILLED

    def _cross(self, symbol: str, clock: int) -> None:
        """Send the market's flow into the book through every resting order it crosses."""
        book = self.books.get(symbol)
        if book is None or not self.by_xid:
            return
        bid, ask = touch(self.model, self.marks[symbol])
        for side, price in ((Side.SELL, ask), (Side.BUY, bid)):
            crossed = [
                o
                for (sym, _), o in self.by_xid.items()
                if sym == symbol
                and o.request.side is not side
                and (o.request.limit_price_cents >= price if side is Side.SELL
                     else o.request.limit_price_cents <= price)
            ]  # fmt: skip
            if not crossed:
                continue
            result = book.submit_limit(
                side, price, sum(o.remaining for o in crossed), "ioc", owner=MARKET
            )
            per_order: dict[int, list[tuple[int, int]]] = {}
            for t in result.trades:
                per_order.setdefault(t.passive_order_id, []).append((t.price, t.quantity))
            for xid, fills in per_order.items():
                order = self.by_xid[(symbol, xid)]
                self._fill(order, fills, clock)
                if order.remaining == 0:
                    del self.by_xid[(symbol, xid)]
                    order.xid = None

    def _trigger(self, symbol: str, clock: int) -> None:
        mark = self.marks[symbol]
        for order in list(self.working.values()):
            if (
                order.pending_stop
                and order.request.symbol == symbol
                and self._triggered(order.request, mark)
            ):
                order.pending_stop = False
                self._execute(order, clock)


def _add_position(qty: int, cost: int, signed: int, price: int) -> tuple[int, int]:
    """Book ``signed`` shares at ``price`` into (shares, cost basis): average cost method."""
    if qty == 0 or (qty > 0) == (signed > 0):
        return qty + signed, cost + signed * price
    if abs(signed) <= abs(qty):
        left = abs(qty) - abs(signed)
        return qty + signed, _round_div(cost * left, abs(qty))
    return qty + signed, (qty + signed) * price
