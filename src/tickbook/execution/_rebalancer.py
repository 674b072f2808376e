"""The rebalancer: target weights to limit orders at a broker, with a write-ahead audit log.

A run: plan (positions, account, quotes -> share quantities and limit prices), ``check_batch``,
confirm, then per symbol (sells first) send limit orders at a limited rate until the position
equals the planned target quantity; an order still working after ``order_timeout_s`` is
cancelled and replaced at a fresh price. Orders are sized from the broker's position *after*
the previous order ended, never from a remembered delta, so an order whose fate was unknown
cannot be doubled.

Client order ids are ``<run_id>-<symbol>-<n>``: before each order leaves, an ``intent`` line
naming its id is fsynced to the audit log. ``recover`` reads the log of an interrupted run,
asks the broker about every id it may have sent (cancelling any still working), and finishes
the run from the broker's positions with ids the run has not used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tickbook.brokers import (
    OrderNotFound,
    OrderRejected,
    RateLimited,
    UnknownOutcome,
)
from tickbook.core._errors import DataError, TickbookError
from tickbook.execution._audit import AuditLog
from tickbook.execution._plan import (
    Plan,
    PlanRow,
    RebalanceConfig,
    limit_price,
    make_plan,
    reference_price,
    slices,
)
from tickbook.execution._target import Target, parse_target
from tickbook.risk import RiskConfig, RiskEngine, RiskReport

__all__ = ["Rebalancer", "RunResult"]


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended: ``status`` is done, dry_run, rejected, declined, halted or nothing."""

    run_id: str
    status: str
    plan: Plan | None
    report: RiskReport | None
    orders: tuple[dict[str, Any], ...] = ()
    unfilled: tuple[str, ...] = ()


class Halted(TickbookError):
    """The kill switch is on; the run stopped sending orders."""


class Rebalancer:
    """Drive rebalance runs against one broker, recording every step in ``audit``.

    Args:
        broker: any ``tickbook.brokers.Broker``.
        audit: the audit log file (JSON lines).
        risk: the risk limits (a ``RiskConfig``; target constraints can only tighten them).
        config: trading settings.
        clock: monotonic nanoseconds (``time.monotonic_ns``); tests pass a fake.
        sleep: waits seconds (``time.sleep``).
        kill_flag: a file whose existence halts every run (``tickbook rebalance kill``).
        on_step: called with a label at every step boundary (progress, fault injection).
    """

    def __init__(
        self,
        broker: Any,
        audit: str | Path | AuditLog,
        *,
        risk: RiskConfig | None = None,
        config: RebalanceConfig | None = None,
        clock: Callable[[], int] = time.monotonic_ns,
        sleep: Callable[[float], None] = time.sleep,
        kill_flag: str | Path | None = None,
        on_step: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.broker = broker
        self.risk_config = risk or RiskConfig()
        self.config = config or RebalanceConfig()
        self._on_step = on_step
        self.audit = audit if isinstance(audit, AuditLog) else AuditLog(audit)
        self._clock = clock
        self._sleep = sleep
        self._kill_flag = None if kill_flag is None else Path(kill_flag)
        self._next_send = 0
        self._engine = RiskEngine(self.risk_config)

    # -- steps ---------------------------------------------------------------------------------

    def _step(self, label: str, **info: Any) -> None:
        if self._on_step is not None:
            self._on_step(label, info)

    def _log(self, run_id: str, event: str, **fields: Any) -> dict[str, Any]:
        record = self.audit.write(run_id, event, **fields)
        self._step(f"audit:{event}", **record)
        return record

    def killed(self) -> bool:
        """Return whether the kill switch is on."""
        return self._kill_flag is not None and self._kill_flag.exists()

    # -- planning ------------------------------------------------------------------------------

    def _run_id(self, target: Target) -> str:
        return f"r{len(self.audit.runs()) + 1:03d}{target.digest[:6]}"

    def limits_for(self, target: Target) -> RiskConfig:
        """The risk limits of a run: the configured ones, tightened by the target's."""
        return self.risk_config.tightened(**target.constraints)

    def plan(self, target: Target, run_id: str | None = None) -> tuple[Plan, RiskReport]:
        """Plan a run and check it (nothing is sent or logged)."""
        limits = self.limits_for(target)
        cap = min(limits.max_order_value_cents, limits.max_trade_value_cents)
        plan = make_plan(run_id or self._run_id(target), target, self.broker, self.config, cap)
        engine = RiskEngine(limits)
        if self.killed():
            engine.kill()
        report = engine.check_batch(
            list(plan.orders),
            equity_cents=plan.equity_cents,
            positions=[(r.symbol, r.held) for r in plan.rows],
            target_weights=list(target.weights.items()),
            prices=[(r.symbol, r.price_cents) for r in plan.rows],
            qty_decimals={r.symbol: r.qty_decimals for r in plan.rows if r.qty_decimals},
        )
        return plan, report

    def run(
        self,
        target: Target,
        *,
        dry_run: bool = False,
        confirm: Callable[[Plan, RiskReport], bool] | None = None,
        planned: tuple[Plan, RiskReport] | None = None,
    ) -> RunResult:
        """Plan, check, confirm (``confirm`` None: proceed), execute and reconcile.

        ``planned`` is a ``plan(target)`` answer already shown to the user, run as it is.
        """
        plan, report = planned if planned is not None else self.plan(target)
        if dry_run:
            return RunResult(plan.run_id, "dry_run", plan, report)
        run_id = plan.run_id
        self._log(
            run_id,
            "run",
            target=target.to_json(),
            digest=target.digest,
            equity_cents=plan.equity_cents,
            plan=plan.to_json(),
            risk_failed=report.has_failures(),
            checks=report.to_dicts(),
            auto_confirm=confirm is None,
        )
        if report.has_failures():
            self._log(run_id, "abort", reason="risk check failed")
            return RunResult(run_id, "rejected", plan, report)
        if confirm is not None and not confirm(plan, report):
            self._log(run_id, "abort", reason="declined")
            return RunResult(run_id, "declined", plan, report)
        self._log(run_id, "confirmed")
        return self._execute(plan, report, {})

    # -- execution -----------------------------------------------------------------------------

    def _execute(self, plan: Plan, report: RiskReport | None, used: dict[str, int]) -> RunResult:
        run_id = plan.run_id
        limits = self.limits_for(plan.target)
        # the per-order guard (kill switch, breaker, rates, order values): position and short
        # limits get 1% room, as fills at the limit and the spread move weights off the plan's
        room = {
            "max_position_pct": limits.max_position_pct * 1.01,
            "max_short_pct": limits.max_short_pct * 1.01,
        }
        self._engine = RiskEngine(replace(limits, **room))
        if self.killed():
            self._engine.kill()
        cap = min(limits.max_order_value_cents, limits.max_trade_value_cents)
        orders: list[dict[str, Any]] = []
        unfilled: list[str] = []
        try:
            for row in plan.rows:
                done = self._work_symbol(run_id, row.symbol, row.target_qty, cap, used, orders)
                if not done:
                    unfilled.append(row.symbol)
        except Halted:
            self._log(run_id, "abort", reason="kill switch")
            return RunResult(run_id, "halted", plan, report, tuple(orders), tuple(unfilled))
        rows = self.reconcile_rows(plan.target, plan)
        self._log(run_id, "done", unfilled=unfilled, reconcile=rows)
        return RunResult(run_id, "done", plan, report, tuple(orders), tuple(unfilled))

    def _position(self, symbol: str) -> int:
        for p in self.broker.positions():
            if p.symbol == symbol:
                return p.quantity
        return 0

    def _work_symbol(
        self,
        run_id: str,
        symbol: str,
        target_qty: int,
        cap: int,
        used: dict[str, int],
        orders: list[dict[str, Any]],
    ) -> bool:
        failures = 0
        while True:
            if self.killed():
                raise Halted("kill switch on", field="kill", value=True)
            remaining = target_qty - self._position(symbol)
            if remaining == 0:
                return True
            if failures >= self.config.max_attempts:
                self._log(run_id, "give_up", symbol=symbol, remaining=remaining)
                return False
            buying = remaining > 0
            quote = self.broker.quote(symbol)
            inst = self.broker.instrument(symbol)
            limit = limit_price(
                quote, buying, self.config.limit_offset_bps, max(1, inst.tick_cents)
            )
            ref = reference_price(quote)
            scale = 10**inst.qty_decimals
            qty = slices(abs(remaining), max(limit, ref), cap, scale, max(1, inst.lot))[0]
            qty = min(qty, abs(remaining))
            if qty < inst.min_qty or inst.notional_cents(qty, limit) < inst.min_notional_cents:
                self._log(run_id, "below_minimum", symbol=symbol, remaining=remaining)
                return False
            side = "buy" if buying else "sell"
            if not self._risk_ok(run_id, symbol, side, qty, ref, inst.qty_decimals):
                return False
            used[symbol] = used.get(symbol, 0) + 1
            cid = f"{run_id}-{symbol}-{used[symbol]}"
            final = self._send(run_id, cid, symbol, side, qty, limit)
            if final is None or final.get("filled", 0) < qty:
                failures += 1
            if final is not None:
                orders.append(final)

    def _risk_ok(
        self, run_id: str, symbol: str, side: str, qty: int, price: int, decimals: int
    ) -> bool:
        positions = [(p.symbol, p.quantity) for p in self.broker.positions()]
        equity = self.broker.account().equity_cents
        report = self._engine.check_order(
            symbol, side, qty, price, equity_cents=equity, positions=positions,
            ts_ns=self._clock(), qty_decimals=decimals,
        )  # fmt: skip
        if report.has_failures():
            reasons = [r.name for r in report.reasons]
            self._log(run_id, "denied", symbol=symbol, side=side, qty=qty, reasons=reasons)
            return False
        return True

    def _pace(self) -> None:
        now = self._clock()
        if now < self._next_send:
            self._sleep((self._next_send - now) / 1e9)
        gap = int(1e9 / self.config.orders_per_second)
        self._next_send = max(now, self._next_send) + gap

    def _send(
        self, run_id: str, cid: str, symbol: str, side: str, qty: int, limit: int
    ) -> dict[str, Any] | None:
        self._pace()
        self._log(run_id, "intent", cid=cid, symbol=symbol, side=side, qty=qty, limit=limit)
        order = None
        for _ in range(5):
            try:
                order = self.broker.submit_order(
                    symbol, side, qty, "limit", limit_price_cents=limit, client_order_id=cid
                )
                break
            except RateLimited as error:
                self._log(run_id, "rate_limited", cid=cid, retry_after=error.retry_after)
                self._sleep(min(float(error.retry_after or 1.0), 60.0))
            except UnknownOutcome as error:
                self._log(run_id, "unknown", cid=cid, error=str(error))
                order = self._lookup(cid, symbol)
                if order is not None:
                    break
            except OrderRejected as error:
                self._log(run_id, "rejected", cid=cid, error=str(error))
                return None
        if order is None:
            self._log(run_id, "not_sent", cid=cid)
            return None
        self._engine.on_order_sent(self._clock())
        self._step("submitted", cid=cid)
        self._log(run_id, "sent", cid=cid, order_id=order.order_id, status=order.status.name)
        final = self._wait(run_id, cid, symbol, order)
        self._engine.on_order_closed()
        return final

    def _lookup(self, cid: str, symbol: str) -> Any:
        try:
            return self.broker.order_status(client_order_id=cid, symbol=symbol)
        except OrderNotFound:
            return None

    def _wait(self, run_id: str, cid: str, symbol: str, order: Any) -> dict[str, Any]:
        start = self._clock()
        timeout = int(self.config.order_timeout_s * 1e9)
        while order.status.is_open():
            if self._clock() - start >= timeout or self.killed():
                self._log(run_id, "cancel", cid=cid)
                order = self.broker.cancel_order(client_order_id=cid, symbol=symbol)
                if order.status.is_open():  # a venue may answer before the cancel lands
                    self._sleep(self.config.poll_interval_s)
                    order = self.broker.order_status(client_order_id=cid, symbol=symbol)
                    continue
                break
            self._sleep(self.config.poll_interval_s)
            order = self.broker.order_status(client_order_id=cid, symbol=symbol)
            self._step("poll", cid=cid, filled=order.filled_quantity)
        return self._final(run_id, cid, order)

    def _final(self, run_id: str, cid: str, order: Any) -> dict[str, Any]:
        record = self._log(
            run_id,
            "final",
            cid=cid,
            symbol=order.symbol,
            side=order.side.name.lower(),
            status=order.status.name,
            qty=order.quantity,
            filled=order.filled_quantity,
            filled_value_cents=order.filled_value_cents,
        )
        return {k: record[k] for k in ("cid", "symbol", "side", "status", "qty", "filled")}

    # -- recovery and reconciliation -----------------------------------------------------------

    def recover(self) -> RunResult:
        """Finish the last interrupted run: settle every order it may have sent, then go on."""
        run_id = self.audit.unfinished()
        if run_id is None:
            return RunResult("", "nothing", None, None)
        records = self.audit.of(run_id)
        start = records[0]
        target = parse_target(start["target"])
        plan = Plan(
            run_id,
            target,
            start["equity_cents"],
            tuple(_row(r) for r in start["plan"]),
            (),
        )
        confirmed = not start.get("risk_failed", True) and (
            start.get("auto_confirm", False) or any(r["event"] == "confirmed" for r in records)
        )
        self._log(run_id, "recover", confirmed=confirmed)
        if not confirmed:  # refused, or died awaiting confirmation: nothing was sent
            self._log(run_id, "abort", reason="interrupted before confirmation")
            return RunResult(run_id, "declined", plan, None)
        used: dict[str, int] = {}
        finals = {r["cid"] for r in records if r["event"] == "final"}
        for r in records:
            if r["event"] != "intent":
                continue
            cid, symbol = r["cid"], r["symbol"]
            n = int(cid.rsplit("-", 1)[1])
            used[symbol] = max(used.get(symbol, 0), n)
            if cid in finals:
                continue
            order = self._lookup(cid, symbol)
            if order is None:
                self._log(run_id, "absent", cid=cid)
                continue
            if order.status.is_open():
                self._log(run_id, "cancel", cid=cid)
                order = self.broker.cancel_order(client_order_id=cid, symbol=symbol)
                while order.status.is_open():
                    self._sleep(self.config.poll_interval_s)
                    order = self.broker.order_status(client_order_id=cid, symbol=symbol)
            self._final(run_id, cid, order)
        return self._execute(plan, None, used)

    def reconcile_rows(self, target: Target, plan: Plan | None = None) -> list[dict[str, Any]]:
        """Compare the account with the target: per symbol, target and actual weight and shares."""
        held = {p.symbol: p.quantity for p in self.broker.positions()}
        equity = self.broker.account().equity_cents
        planned = {r.symbol: r.target_qty for r in plan.rows} if plan else {}
        symbols = list(target.weights) + sorted(s for s in held if s not in target.weights)
        rows = []
        for sym in symbols:
            price = reference_price(self.broker.quote(sym))
            price /= 10 ** self.broker.instrument(sym).qty_decimals
            qty = held.get(sym, 0)
            rows.append(
                {
                    "symbol": sym,
                    "target_weight": target.weights.get(sym, 0.0),
                    "actual_weight": qty * price / equity if equity else 0.0,
                    "shares": qty,
                    "target_shares": planned.get(sym),
                }
            )
        return rows


def _row(data: dict[str, Any]) -> PlanRow:
    try:
        return PlanRow(
            data["symbol"],
            data["held"],
            data["target_qty"],
            data["price_cents"],
            data["limit_cents"],
            data["weight_now"],
            data["weight_target"],
            data.get("qty_decimals", 0),
        )
    except (KeyError, TypeError):
        raise DataError("audit log plan row is unreadable", field="audit", value=data) from None
