"""``execute``: work a schedule's parent order at a broker on the caller's clock.

At each time of ``clock`` (int ns, increasing): ``on_step(ts)`` lets the caller move the market
(``SimBroker.set_quote`` / ``advance``), the working child is refreshed, replaced when its slice
ended or it timed out, and a new child closes the gap between the schedule's due quantity and
what is done, one child at a time. Every child passes the risk engine (``check_order`` with
``ts_ns``: its rate limits, kill switch and breaker) and the broker's rate (``max_per_second``).
The report measures implementation shortfall against the arrival mid.

Backtests: ``tickbook.backtest.run_event_driven`` takes target weights from its strategy and
fills each decision at once; it has no hook for child orders, so a schedule does not run inside
it. Replay one over history instead with a ``SimBroker`` on a price panel, advancing a row per
clock tick: ``execute(TWAP(...), sim, days, on_step=lambda ts: ts and sim.advance())``.

POV reads the market's volume from the quote's ``volume``, taken as cumulative (a session's
volume so far).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tickbook.brokers import OrderRejected, RateLimited
from tickbook.core import Side
from tickbook.core._checks import refuse
from tickbook.execution._algos import Schedule

__all__ = ["ChildFill", "ExecutionReport", "execute"]

_SECOND = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ChildFill:
    """One child order as it ended."""

    client_order_id: str
    ts_ns: int  #: when it was sent
    quantity: int
    filled: int
    filled_value_cents: int
    status: str


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What a schedule achieved; shortfall is a cost (positive: worse than the arrival mid).

    ``shortfall_cents`` = executed cost against the arrival mid plus the opportunity cost of
    the unfilled rest at the final mid; ``shortfall_bps`` divides it by the parent's value at
    arrival.
    """

    parent_id: str
    algorithm: str
    side: Side
    quantity: int
    filled: int
    filled_value_cents: int
    arrival_mid_cents: float
    final_mid_cents: float
    shortfall_cents: float
    shortfall_bps: float
    children: tuple[ChildFill, ...]
    denied: int  #: children the risk engine refused

    @property
    def avg_price_cents(self) -> float | None:
        """Average fill price, or None before any fill."""
        return self.filled_value_cents / self.filled if self.filled else None


def _mid(quote: Any) -> float:
    if quote.bid_cents is not None and quote.ask_cents is not None:
        return (quote.bid_cents + quote.ask_cents) / 2
    if quote.last_cents is None:
        raise refuse("quote", f"a price for {quote.symbol}", quote)
    return float(quote.last_cents)


class _Run:
    # the state of one execution: done quantities, the working child, counters
    def __init__(self, schedule: Schedule, broker: Any, risk: Any, per_second: int | None):
        self.s, self.p, self.broker, self.risk = schedule, schedule.parent, broker, risk
        self.per_second = per_second
        self.filled = self.value = self.n = self.denied = 0
        self.children: list[ChildFill] = []
        self.working: Any = None
        self.working_ts = 0
        self.sent: list[int] = []
        self.own_fills = 0

    def refresh(self) -> None:
        if self.working is None:
            return
        o = self.broker.order_status(
            client_order_id=self.working.client_order_id, symbol=self.p.symbol
        )
        self.working = o
        if o.status.is_terminal():
            self.close(o)

    def close(self, o: Any) -> None:
        self.filled += o.filled_quantity
        self.value += o.filled_value_cents
        self.children.append(
            ChildFill(o.client_order_id, self.working_ts, o.quantity, o.filled_quantity,
                      o.filled_value_cents, o.status.name)
        )  # fmt: skip
        self.working = None
        if self.risk is not None:
            self.risk.on_order_closed()

    def cancel(self) -> None:
        o = self.broker.cancel_order(
            client_order_id=self.working.client_order_id, symbol=self.p.symbol
        )
        self.working = o
        if o.status.is_terminal():
            self.close(o)

    def send(self, ts: int, qty: int, quote: Any) -> None:
        if self.per_second is not None:
            recent = [t for t in self.sent if t > ts - _SECOND]
            if len(recent) >= self.per_second:
                return
        buying = self.p.side is Side.BUY
        price = self.p.limit_price_cents
        if price is None:
            price = quote.ask_cents if buying else quote.bid_cents
            price = price if price is not None else quote.last_cents
        if self.risk is not None:
            equity = self.broker.account().equity_cents
            held = [(x.symbol, x.quantity) for x in self.broker.positions()]
            report = self.risk.check_order(
                self.p.symbol,
                self.p.side,
                qty,
                price,
                equity_cents=equity,
                positions=held,
                ts_ns=ts,
            )
            if report.has_failures():
                self.denied += 1
                return
        self.n += 1
        cid = f"{self.p.parent_id}-{self.n}"
        try:
            order = self.broker.submit_order(
                self.p.symbol, self.p.side, qty, "limit", limit_price_cents=price,
                client_order_id=cid,
            )  # fmt: skip
        except RateLimited:
            self.n -= 1  # nothing was sent; the same id goes next time
            return
        except OrderRejected:
            return
        self.sent.append(ts)
        if self.risk is not None:
            self.risk.on_order_sent(ts)
        self.working, self.working_ts = order, ts
        if order.status.is_terminal():
            self.close(order)


def execute(
    schedule: Schedule,
    broker: Any,
    clock: Iterable[int],
    *,
    risk: Any = None,
    on_step: Callable[[int], None] | None = None,
    child_timeout_ns: int | None = None,
    max_per_second: int | None = None,
) -> ExecutionReport:
    """Work ``schedule.parent`` at ``broker`` over the times of ``clock``; see the module notes."""
    if not isinstance(schedule, Schedule):
        raise refuse("schedule", "a TWAP, VWAP, POV or Iceberg schedule", schedule)
    run = _Run(schedule, broker, risk, max_per_second)
    p = schedule.parent
    arrival = final = None
    last_volume: int | None = None
    market = 0
    last_ts = -1
    for ts in clock:
        if type(ts) is not int or ts <= last_ts:
            raise refuse("clock", "increasing integer times (ns)", ts)
        last_ts = ts
        if on_step is not None:
            on_step(ts)
        quote = broker.quote(p.symbol)
        final = _mid(quote)
        arrival = final if arrival is None else arrival
        run.refresh()
        if last_volume is not None:
            market += max(0, quote.volume - last_volume)
        last_volume = quote.volume
        if run.working is not None and (
            schedule.new_slice(ts)
            or (child_timeout_ns is not None and ts - run.working_ts >= child_timeout_ns)
        ):
            run.cancel()
        else:
            schedule.new_slice(ts)
        if run.filled >= p.quantity:
            break
        if run.working is None:
            want = min(schedule.due(ts, market, run.filled), p.quantity) - run.filled
            if want > 0:
                run.send(ts, want, quote)
    if run.working is not None:
        run.cancel()
        if run.working is not None:  # the venue had not confirmed: take what it says now
            run.close(run.working)
    if arrival is None:
        raise refuse("clock", "at least one time", "empty")
    sign = 1 if p.side is Side.BUY else -1
    executed = sign * (run.value - run.filled * arrival)
    opportunity = sign * (p.quantity - run.filled) * (final - arrival)
    shortfall = executed + opportunity
    return ExecutionReport(
        p.parent_id, schedule.name, p.side, p.quantity, run.filled, run.value, arrival, final,
        shortfall, shortfall / (p.quantity * arrival) * 1e4, tuple(run.children), run.denied,
    )  # fmt: skip
