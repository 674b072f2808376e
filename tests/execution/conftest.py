"""A handler-style fake broker (the Broker protocol's shape) with fault injection."""

from __future__ import annotations

import itertools

import pytest

from tickbook.brokers import (
    Account,
    BrokerOrder,
    BrokerOrderStatus,
    Instrument,
    OrderNotFound,
    OrderRequest,
    OrderType,
    Position,
    Quote,
    RateLimited,
    UnknownOutcome,
)
from tickbook.core import Side


class FakeBroker:
    """Fills a limit that crosses the quote at the touch, at once; rests the others.

    ``unknown`` lists client ids whose submission is applied but answered with UnknownOutcome;
    ``lost`` lists ids answered with UnknownOutcome and NOT applied; ``rate_limit`` counts
    submissions to refuse with RateLimited first. ``submits`` counts every accepted id.
    """

    def __init__(self, cash=1_000_000_00, quotes=None, positions=None):
        self.cash = cash
        self.quotes = dict(quotes or {})  # symbol -> (bid, ask)
        self.held = dict(positions or {})
        self.orders: dict[str, dict] = {}
        self.submits: dict[str, int] = {}
        self.unknown: set[str] = set()
        self.lost: set[str] = set()
        self.rate_limit = 0
        self.volume: dict[str, int] = {}
        self.fill_cap: int | None = None  # most shares a crossing order gets at once
        self._ids = itertools.count(1)

    # protocol ---------------------------------------------------------------------------------
    def positions(self):
        return [Position(s, q, 0, q * self._mid(s), 0) for s, q in sorted(self.held.items()) if q]

    def account(self):
        gross = sum(abs(q) * self._mid(s) for s, q in self.held.items())
        equity = self.cash + sum(q * self._mid(s) for s, q in self.held.items())
        return Account(equity, equity, self.cash, gross)

    def quote(self, symbol):
        bid, ask = self.quotes[symbol]
        return Quote(symbol, bid, ask, (bid + ask) // 2, self.volume.get(symbol, 0))

    def instrument(self, symbol):
        return Instrument(symbol)

    def submit_order(self, symbol, side, quantity, order_type="market", **kw):
        request = OrderRequest(
            symbol=symbol, side=side, quantity=quantity, order_type=order_type, **kw
        )
        if self.rate_limit:
            self.rate_limit -= 1
            raise RateLimited("slow down", retry_after=0.01)
        cid = request.client_order_id
        if cid in self.lost:
            self.lost.discard(cid)
            raise UnknownOutcome("timeout", client_order_id=cid)
        if cid in self.orders:
            return self._view(cid)
        self.submits[cid] = self.submits.get(cid, 0) + 1
        self.orders[cid] = {
            "req": request, "filled": 0, "value": 0, "status": 0, "id": next(self._ids)
        }  # fmt: skip
        self._cross(cid)
        if cid in self.unknown:
            self.unknown.discard(cid)
            raise UnknownOutcome("timeout", client_order_id=cid)
        return self._view(cid)

    def order_status(self, order_id=None, *, client_order_id=None, symbol=None):
        if client_order_id not in self.orders:
            raise OrderNotFound("no such order", field="client_order_id", value=client_order_id)
        return self._view(client_order_id)

    def cancel_order(self, order_id=None, *, client_order_id=None, symbol=None):
        o = self.orders[client_order_id]
        if o["status"] in (0, 1):
            o["status"] = 3
        return self._view(client_order_id)

    def open_orders(self, symbol=None):
        return [self._view(c) for c, o in self.orders.items() if o["status"] in (0, 1)]

    # test controls ----------------------------------------------------------------------------
    def set_quote(self, symbol, bid, ask, volume=0):
        self.quotes[symbol] = (bid, ask)
        self.volume[symbol] = self.volume.get(symbol, 0) + volume
        for cid, o in self.orders.items():
            if o["req"].symbol == symbol and o["status"] in (0, 1):
                self._cross(cid)

    def _mid(self, s):
        bid, ask = self.quotes[s]
        return (bid + ask) // 2

    def _cross(self, cid):
        o = self.orders[cid]
        r = o["req"]
        bid, ask = self.quotes[r.symbol]
        buy = r.side is Side.BUY
        price = ask if buy else bid
        if r.order_type is OrderType.LIMIT and (
            (buy and r.limit_price_cents < ask) or (not buy and r.limit_price_cents > bid)
        ):
            return
        qty = r.quantity - o["filled"]
        if self.fill_cap is not None:
            qty = min(qty, self.fill_cap)
        o["filled"] += qty
        o["value"] += qty * price
        o["status"] = 2 if o["filled"] == r.quantity else 1
        sign = 1 if buy else -1
        self.held[r.symbol] = self.held.get(r.symbol, 0) + sign * qty
        self.cash -= sign * qty * price

    def _view(self, cid):
        o = self.orders[cid]
        r = o["req"]
        return BrokerOrder(
            order_id=str(o["id"]),
            client_order_id=cid,
            symbol=r.symbol,
            side=r.side,
            order_type=r.order_type,
            quantity=r.quantity,
            status=BrokerOrderStatus(o["status"]),
            filled_quantity=o["filled"],
            filled_value_cents=o["value"],
            limit_price_cents=r.limit_price_cents,
        )


class FakeClock:
    """A monotonic clock that sleeping moves forward."""

    def __init__(self):
        self.ns = 0

    def __call__(self):
        return self.ns

    def sleep(self, seconds):
        self.ns += max(1, int(seconds * 1e9))


@pytest.fixture
def broker():
    return FakeBroker(
        quotes={"AAPL": (184_90, 185_10), "MSFT": (369_80, 370_20), "XOM": (99_95, 100_05)},
        positions={"XOM": 100},
    )


@pytest.fixture
def clock():
    return FakeClock()
