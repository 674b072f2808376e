"""A tiny, obviously-correct model of ``tickbook.book.Exchange``, for differential tests.

Plain Python written from the documented rules, not from the kernels: each side of the book is
a dict ``price -> list of orders`` (the list is the FIFO queue), and everything is a linear
scan. Clarity over speed.

- Price-time priority; a trade happens at the resting order's price. The logical clock moves
  by one per accepted operation; trades carry the timestamp of the operation that made them.
  Ids count from 1 and are shared by orders and stops.
- GTC rests the remainder, IOC cancels it, FOK trades all of it or does nothing. A market
  order is an IOC at any price. A post-only order that would cross is cancelled whole.
- An iceberg shows ``min(display, open)``; when the shown slice is used up and quantity is
  left, a new slice is shown at the back of its level's queue. Depth shows displayed quantity.
- Self-trade prevention (incoming owner != 0 and stp set, resting order of the same owner):
  CANCEL_NEWEST cancels the incoming remainder; CANCEL_OLDEST cancels the resting order and
  goes on; CANCEL_BOTH cancels both; DECREMENT takes the smaller open quantity off both without
  a trade (a resting order brought to 0 is cancelled) and goes on.
- FOK is decided by simulating the match on a copy of the book: the order goes ahead only if
  the simulation fills all of it (so with STP it counts only what is reachable before a
  same-owner order stops the match).
- Stops wait for the last trade price (buy: last >= stop, sell: last <= stop; at once if already
  past). After each order-carrying operation, rounds run: every pending stop the current last
  price reaches fires, in id order, as an order with the stop's id (stop-market: market IOC;
  stop-limit: limit with its tif); then the check repeats, at most 100 rounds. Before each
  round's check, trailing stops move only in the protective direction: a sell stop to
  ``max(stop, high - trail(high))`` with ``high`` the highest trade price since submission; a
  buy stop to ``min(stop, low + trail(low))``.
  Trail amounts: fixed ``value`` ticks; percentage ``floor(extreme * ppb / 1e9)`` with
  ``ppb = max(1, round(fraction * 1e9))``; ATR ``floor((ppb / 1e9) * sum / period)`` (float)
  over the last ``period`` absolute changes between consecutive trade prices (all trades of
  the exchange), and no move until that many changes exist.

- The clock orders every order the book creates. The reference (nanobook's developer
  reference, ``../shared/seeds/000_*``: "Timestamp = monotonic nanosecond counter (not system
  clock), guaranteeing deterministic ordering"; each ``Order`` carries its own ``timestamp``)
  gives each order a fresh step of the counter, and a triggered stop is a new order on the
  book (stop-market: a market order; stop-limit: a limit order), so each triggered stop takes
  its own step, in firing order, and its trades carry that step. An operation that triggers
  k stops therefore moves the clock by 1 + k. (Rule taken from the reference, not from the
  engine; ``tests/book/test_stops.py`` checks the engine against the same numbers.)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

BUY, SELL = 0, 1
NEW, PARTIALLY_FILLED, FILLED, CANCELLED = 0, 1, 2, 3
PENDING, TRIGGERED, STOP_CANCELLED = "pending", "triggered", "cancelled"
STP_MODES = ("none", "cancel_newest", "cancel_oldest", "cancel_both", "decrement")
PPB = 1_000_000_000
MAX_CASCADE = 100


class RefError(Exception):
    """A refused operation: ``kind`` is "invalid", "unknown" or "not_active"; ``field`` names it."""

    def __init__(self, kind: str, field: str) -> None:
        super().__init__(f"{kind}: {field}")
        self.kind = kind
        self.field = field


@dataclass
class RefOrder:
    id: int
    side: int
    price: int  # 0 for a market order
    quantity: int
    tif: str
    owner: int
    stp: str
    post_only: bool
    display: int  # 0: not an iceberg
    timestamp: int
    filled: int = 0
    open: int = 0  # open quantity, hidden part included
    visible: int = 0
    status: int = NEW

    @property
    def cancelled(self) -> int:
        return self.quantity - self.filled - self.open


@dataclass
class RefStop:
    id: int
    side: int
    stop_price: int
    limit_price: int  # 0: stop-market
    quantity: int
    tif: str
    owner: int
    timestamp: int
    trail: str | None = None  # "fixed", "percentage", "atr"
    value: int = 0  # ticks (fixed) or parts per billion
    period: int = 0
    extreme: int | None = None
    status: str = PENDING


@dataclass(frozen=True)
class RefTrade:
    id: int
    price: int
    quantity: int
    aggressor_order_id: int
    passive_order_id: int
    timestamp: int
    aggressor_side: int


@dataclass(frozen=True)
class RefSubmit:
    order_id: int
    status: int
    filled_quantity: int
    resting_quantity: int
    cancelled_quantity: int
    trades: list[RefTrade] = field(default_factory=list)


def side_of(side: str | int) -> int:
    if side in ("buy", BUY):
        return BUY
    if side in ("sell", SELL):
        return SELL
    raise RefError("invalid", "side")


class RefBook:
    """Two dicts of price -> FIFO list of resting orders."""

    def __init__(self) -> None:
        self.sides: tuple[dict[int, list[RefOrder]], dict[int, list[RefOrder]]] = ({}, {})

    def best(self, side: int) -> int | None:
        prices = self.sides[side]
        if not prices:
            return None
        return max(prices) if side == BUY else min(prices)

    def add(self, order: RefOrder) -> None:
        self.sides[order.side].setdefault(order.price, []).append(order)

    def remove(self, order: RefOrder) -> None:
        queue = self.sides[order.side][order.price]
        queue.remove(order)
        if not queue:
            del self.sides[order.side][order.price]

    def levels(self, side: int) -> list[tuple[int, int, int]]:
        """(price, displayed quantity, order count), best first."""
        prices = sorted(self.sides[side], reverse=side == BUY)
        return [
            (p, sum(o.visible for o in self.sides[side][p]), len(self.sides[side][p]))
            for p in prices
        ]

    def orders(self, side: int) -> list[tuple[int, int, int, int, int, int]]:
        """L3 rows in priority order: (id, price, visible, open, owner, timestamp)."""
        rows = []
        for p in sorted(self.sides[side], reverse=side == BUY):
            for o in self.sides[side][p]:
                rows.append((o.id, o.price, o.visible, o.open, o.owner, o.timestamp))
        return rows


def _reaches(side: int, price: int, limit: int | None) -> bool:
    """Whether an order on ``side`` with ``limit`` (None: market) may trade at ``price``."""
    if limit is None:
        return True
    return price <= limit if side == BUY else price >= limit


class RefExchange:
    """The reference exchange; method names and arguments follow ``Exchange``."""

    def __init__(self) -> None:
        self.book = RefBook()
        self.orders_by_id: dict[int, RefOrder] = {}
        self.stops: dict[int, RefStop] = {}
        self.trade_log: list[RefTrade] = []
        self.clock = 0
        self.next_id = 1
        self.next_trade_id = 1
        self.last: int | None = None
        self.changes: list[int] = []  # |price - previous price| for every trade after the first

    # -- helpers ----------------------------------------------------------------------------

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    def _new_id(self) -> int:
        oid = self.next_id
        self.next_id += 1
        return oid

    def _record_trade(self, price, qty, aggressor, passive, ts, side) -> RefTrade:
        trade = RefTrade(self.next_trade_id, price, qty, aggressor, passive, ts, side)
        self.next_trade_id += 1
        self.trade_log.append(trade)
        if self.last is not None:
            self.changes.append(abs(price - self.last))
        self.last = price
        for stop in self.stops.values():
            if stop.status == PENDING and stop.trail is not None:
                if stop.side == SELL:
                    stop.extreme = price if stop.extreme is None else max(stop.extreme, price)
                else:
                    stop.extreme = price if stop.extreme is None else min(stop.extreme, price)
        return trade

    def _match(self, book, side, limit, qty, owner, stp, aggressor, ts, trades):
        """Trade ``qty`` against ``book``; return (filled, left, killed)."""
        opp = 1 - side
        left, filled, killed = qty, 0, False
        while left > 0 and not killed:
            price = book.best(opp)
            if price is None or not _reaches(side, price, limit):
                break
            queue = book.sides[opp][price]
            while left > 0 and queue:
                o = queue[0]  # the matched order is always the head of its queue
                if stp != "none" and owner != 0 and o.owner == owner:
                    if stp == "cancel_newest":
                        killed = True
                        break
                    if stp in ("cancel_oldest", "cancel_both"):
                        queue.pop(0)
                        o.open = o.visible = 0
                        o.status = CANCELLED
                        if stp == "cancel_both":
                            killed = True
                            break
                    else:  # decrement
                        d = min(left, o.open)
                        left -= d
                        o.open -= d
                        o.visible = min(o.visible, o.open)
                        if o.open == 0:
                            queue.pop(0)
                            o.status = CANCELLED
                    continue
                take = min(left, o.visible)
                if trades is not None:
                    trades.append(self._record_trade(price, take, aggressor, o.id, ts, side))
                left -= take
                filled += take
                o.visible -= take
                o.open -= take
                o.filled += take
                if o.visible > 0:
                    o.status = PARTIALLY_FILLED
                elif o.open > 0:  # iceberg: a new slice at the back of the queue
                    o.status = PARTIALLY_FILLED
                    queue.append(queue.pop(0))
                    o.visible = min(o.display, o.open)
                else:
                    o.status = FILLED
                    queue.pop(0)
            if not queue:
                del book.sides[opp][price]
        return filled, left, killed

    def _fok_fillable(self, side, limit, qty, owner, stp) -> bool:
        book = copy.deepcopy(self.book)
        filled, _, _ = self._match(book, side, limit, qty, owner, stp, 0, 0, None)
        return filled == qty

    def _place(self, oid, side, price, qty, tif, post_only, owner, stp, display, ts, market):
        order = RefOrder(oid, side, 0 if market else price, qty, tif, owner, stp, post_only,
                         display, ts)  # fmt: skip
        self.orders_by_id[oid] = order
        limit = None if market else price
        trades: list[RefTrade] = []
        filled, left, killed = 0, qty, False
        opp_best = self.book.best(1 - side)
        if post_only:
            killed = opp_best is not None and _reaches(side, opp_best, limit)
        elif tif == "fok":
            killed = not self._fok_fillable(side, limit, qty, owner, stp)
        if not killed:
            filled, left, killed = self._match(
                self.book, side, limit, qty, owner, stp, oid, ts, trades
            )
        order.filled = filled
        if left > 0 and not killed and tif == "gtc" and not market:
            order.open = left
            order.visible = left if display == 0 else min(display, left)
            order.status = PARTIALLY_FILLED if filled else NEW
            self.book.add(order)
            cut = qty - filled - left  # taken off by self-trade DECREMENT
            return RefSubmit(oid, order.status, filled, left, cut, trades)
        order.open = order.visible = 0
        order.status = FILLED if filled == qty else CANCELLED
        return RefSubmit(oid, order.status, filled, 0, qty - filled, trades)

    def _active(self, oid: int) -> RefOrder:
        order = self.orders_by_id.get(oid)
        if order is None:
            raise RefError("unknown", "order_id")
        if order.status not in (NEW, PARTIALLY_FILLED):
            raise RefError("not_active", "order_id")
        return order

    # -- stops ------------------------------------------------------------------------------

    def _trail_amount(self, stop: RefStop, extreme: int) -> int | None:
        if stop.trail == "fixed":
            return stop.value
        if stop.trail == "percentage":
            return extreme * stop.value // PPB
        if len(self.changes) < stop.period:
            return None
        total = sum(self.changes[-stop.period :])
        return math.floor((stop.value / PPB) * total / stop.period)

    def _update_trailing(self) -> None:
        for stop in sorted(self.stops.values(), key=lambda s: s.id):
            if stop.status != PENDING or stop.trail is None or stop.extreme is None:
                continue
            amount = self._trail_amount(stop, stop.extreme)
            if amount is None:
                continue
            if stop.side == SELL:
                stop.stop_price = max(stop.stop_price, stop.extreme - amount)
            else:
                stop.stop_price = min(stop.stop_price, stop.extreme + amount)

    def _run_stops(self) -> None:
        for _ in range(MAX_CASCADE):
            pending = [s for s in self.stops.values() if s.status == PENDING]
            if not pending or self.last is None:
                return
            self._update_trailing()
            last = self.last
            fired = sorted(
                (
                    s
                    for s in pending
                    if (s.side == BUY and last >= s.stop_price)
                    or (s.side == SELL and last <= s.stop_price)
                ),
                key=lambda s: s.id,
            )
            if not fired:
                return
            for s in fired:
                s.status = TRIGGERED
            for s in fired:
                ts = self._tick()  # a triggered stop is a new order: its own clock step
                market = s.limit_price == 0
                self._place(
                    s.id, s.side, s.limit_price, s.quantity, "ioc" if market else s.tif,
                    False, s.owner, "none", 0, ts, market,
                )  # fmt: skip

    # -- orders -----------------------------------------------------------------------------

    def submit_limit(
        self,
        side,
        price: int,
        quantity: int,
        tif: str = "gtc",
        *,
        post_only: bool = False,
        display_quantity: int = 0,
        owner: int = 0,
        stp: str | None = None,
    ) -> RefSubmit:
        s = side_of(side)
        if post_only and tif != "gtc":
            raise RefError("invalid", "tif")
        if not 0 <= display_quantity <= quantity:
            raise RefError("invalid", "display_quantity")
        ts = self._tick()
        res = self._place(
            self._new_id(), s, price, quantity, tif, post_only, owner, stp or "none",
            display_quantity, ts, False,
        )  # fmt: skip
        self._run_stops()
        return res

    def submit_market(self, side, quantity: int, *, owner: int = 0, stp=None) -> RefSubmit:
        s = side_of(side)
        ts = self._tick()
        res = self._place(
            self._new_id(), s, 0, quantity, "ioc", False, owner, stp or "none", 0, ts, True
        )
        self._run_stops()
        return res

    def cancel(self, oid: int) -> int:
        """Cancel an order or a pending stop; return the cancelled quantity."""
        if oid not in self.orders_by_id and oid in self.stops:
            stop = self.stops[oid]
            if stop.status != PENDING:
                raise RefError("not_active", "order_id")
            self._tick()
            stop.status = STOP_CANCELLED
            return stop.quantity
        order = self._active(oid)
        self._tick()
        cut = order.open
        self.book.remove(order)
        order.open = order.visible = 0
        order.status = CANCELLED
        return cut

    def modify(self, oid: int, new_price: int, new_quantity: int) -> tuple[int, RefSubmit]:
        """Cancel and replace; return (old open quantity cancelled, the new order's result)."""
        old = self._active(oid)
        ts = self._tick()
        cut = old.open
        self.book.remove(old)
        old.open = old.visible = 0
        old.status = CANCELLED
        res = self._place(
            self._new_id(), old.side, new_price, new_quantity, old.tif, old.post_only,
            old.owner, old.stp, min(old.display, new_quantity), ts, False,
        )  # fmt: skip
        self._run_stops()
        return cut, res

    def reduce(self, oid: int, new_quantity: int) -> int:
        """Lower the open quantity in place; return the cut."""
        order = self._active(oid)
        if not 1 <= new_quantity < order.open:
            raise RefError("invalid", "new_quantity")
        self._tick()
        cut = order.open - new_quantity
        order.open = new_quantity
        order.visible = min(order.visible, new_quantity)
        return cut

    def _stop(self, side, stop_price, limit_price, quantity, tif, owner, trail, value, period):
        ts = self._tick()
        stop = RefStop(
            self._new_id(), side_of(side), stop_price, limit_price, quantity,
            tif if limit_price else "ioc", owner, ts, trail, value, period,
        )  # fmt: skip
        self.stops[stop.id] = stop
        self._run_stops()
        return stop.id, stop.status

    def submit_stop_market(self, side, stop_price: int, quantity: int, *, owner: int = 0):
        return self._stop(side, stop_price, 0, quantity, "ioc", owner, None, 0, 0)

    def submit_stop_limit(
        self, side, stop_price: int, limit_price: int, quantity: int, tif="gtc", *, owner=0
    ):
        return self._stop(side, stop_price, limit_price, quantity, tif, owner, None, 0, 0)

    def submit_trailing_stop_market(
        self, side, initial_stop_price, quantity, trail_type, trail_value, atr_period=None
    ):
        value, period = _trail_params(trail_type, trail_value, atr_period)
        return self._stop(
            side, initial_stop_price, 0, quantity, "ioc", 0, trail_type, value, period
        )

    def submit_trailing_stop_limit(
        self,
        side,
        initial_stop_price,
        limit_price,
        quantity,
        trail_type,
        trail_value,
        tif="gtc",
        atr_period=None,
    ):
        value, period = _trail_params(trail_type, trail_value, atr_period)
        return self._stop(
            side, initial_stop_price, limit_price, quantity, tif, 0, trail_type, value, period
        )

    def clear_order_history(self) -> int:
        self._tick()
        done = [oid for oid, o in self.orders_by_id.items() if o.status in (FILLED, CANCELLED)]
        for oid in done:
            del self.orders_by_id[oid]
        self.stops = {i: s for i, s in self.stops.items() if s.status == PENDING}
        return len(done)

    # -- queries ----------------------------------------------------------------------------

    def best_bid_ask(self) -> tuple[int | None, int | None]:
        return self.book.best(BUY), self.book.best(SELL)

    def last_trade_price(self) -> int | None:
        return self.last

    def pending_stop_count(self) -> int:
        return sum(s.status == PENDING for s in self.stops.values())


def _trail_params(trail_type: str, trail_value, atr_period) -> tuple[int, int]:
    if trail_type == "fixed":
        return int(trail_value), 0
    value = max(1, round(trail_value * PPB))
    return value, (atr_period if trail_type == "atr" else 0)


def engine_fingerprint(ex: Any) -> tuple[Any, ...]:
    """Everything observable about an ``Exchange`` (public queries only), for equality checks.

    Depth, L3 queues of both sides, trades, clock, last price, every order and stop by id (ids
    never exceed the clock), the event log when it is recorded, and the next order and trade
    ids (read from a copy of the exchange, which is then traded on).
    """
    book = ex.full_book()
    ids = range(1, ex.clock + 2)
    try:
        events = ex.events().tolist()
    except Exception:  # not recording
        events = None
    return (
        book.bid_array.tolist(),
        book.ask_array.tolist(),
        ex.orders("buy").tolist(),
        ex.orders("sell").tolist(),
        ex.trades_array().tolist(),
        ex.clock,
        ex.last_trade_price(),
        ex.best_bid_ask(),
        ex.pending_stop_count(),
        [ex.get_order(i) for i in ids],
        [ex.get_stop_order(i) for i in ids],
        next_ids(ex),
        events,  # last: a book that does not record is compared on ``[:-1]``
    )


def next_ids(ex: Any) -> tuple[int, int]:
    """Return (next order id, next trade id) of ``ex`` without touching it: probe a copy."""
    probe = copy.deepcopy(ex)
    seen = len(probe.trades_array())
    order_id = probe.submit_limit("buy", (1 << 52) - 1, 1).order_id
    probe.submit_market("sell", 1)  # trades with that bid if it did not trade at once
    return order_id, int(probe.trades_array()["id"][seen])
