"""The one command path: a bounded queue, a single writer, the journal, then the answers.

Gateways call ``Core.execute(command)``. The sequencer task takes whatever commands are
waiting (up to ``group_max``), applies them to the ``Ledger`` one by one, writes the accepted
ones and their effects to the journal in one transaction (group commit), and only then
answers them and publishes market data and order events. A full queue answers ``Overloaded``
at once (the REST gateway turns it into 503 + Retry-After). A failed commit stops the service:
memory is then ahead of the journal, and only a restart (replay) is trusted.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from typing import Any

import msgspec

from tickbook.core import DataError, TickbookError
from tickbook.server._config import Market
from tickbook.server._journal import Group, Journal
from tickbook.server._ledger import Command, Ledger, OrderRec
from tickbook.server._market import MarketData, Subscriber

__all__ = ["Core", "Overloaded", "Unavailable"]

log = logging.getLogger("tickbook.server")
_encode = msgspec.json.encode
_decode = msgspec.json.decode
_EVENTS = {
    "new": "accepted",
    "pending": "accepted",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "cancelled": "cancelled",
}


class Overloaded(TickbookError):
    """The command queue is full; try again after ``retry_after`` seconds."""

    retry_after = 1


class Unavailable(TickbookError):
    """The service is stopping or stopped after a journal failure."""


class Core:
    """The ledger behind one sequencer task, the journal and the publishers.

    Args:
        market: the symbols and assets.
        journal: where accepted commands go before they are answered.
        limits: per-account limits (``check_rate``, ``check_order``), or ``None``.
        queue_size: most commands waiting; beyond it ``execute`` raises ``Overloaded``.
        group_max: most commands in one journal transaction.
        snapshot_every: take a snapshot after this many commands.
    """

    def __init__(
        self,
        market: Market,
        journal: Journal,
        *,
        limits: Any = None,
        queue_size: int = 20000,
        group_max: int = 2000,
        snapshot_every: int = 100_000,
    ) -> None:
        self.market = market
        self.journal = journal
        self.limits = limits
        self.group_max = group_max
        self.snapshot_every = snapshot_every
        self.ledger = Ledger(market)
        self.md = MarketData(self.ledger)
        self.failed: str | None = None
        self.stats: dict[str, Any] = {
            "commands": 0,
            "refused": 0,
            "refused_by": {},
            "groups": 0,
            "commit_seconds": 0.0,
            "matching_seconds": 0.0,
        }
        from tickbook.server._metrics import CoreMetrics

        self.metrics = CoreMetrics(self)
        self._queue: asyncio.Queue[Any] = asyncio.Queue(queue_size)
        self._accounts: dict[int, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._inbox_task: asyncio.Task[None] | None = None
        self._snap_seq = 0
        self._stopping = False
        self._inbox_lock = asyncio.Lock()

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the journal, restore the state (snapshot + replay), start the sequencer."""
        from tickbook.server._simulation import warm_engine

        await asyncio.get_running_loop().run_in_executor(None, warm_engine)
        await self.journal.open()
        self.ledger = await restore(self.market, self.journal)
        self._snap_seq = self.ledger.applied
        self.md = MarketData(self.ledger)
        self._task = asyncio.create_task(self._sequence(), name="tickbook-sequencer")
        self._inbox_task = asyncio.create_task(self._poll_inbox(), name="tickbook-inbox")

    async def stop(self, snapshot: bool = True) -> None:
        """Answer what is queued, stop the sequencer, snapshot, close the journal."""
        if self._task is None:
            return
        self._stopping = True
        if self._inbox_task is not None:
            self._inbox_task.cancel()
        await self._queue.put(None)
        await self._task
        self._task = None
        if snapshot and self.failed is None and self.ledger.applied > self._snap_seq:
            await self.snapshot()
        self.md.close("server shutting down")
        for subs in self._accounts.values():
            for sub in subs:
                sub.drop("server shutting down")
        await self.journal.close()

    async def snapshot(self) -> None:
        """Store the whole state as of the last applied command."""
        seq = self.ledger.applied
        await self.journal.save_snapshot(seq, pickle.dumps(self.ledger, protocol=5))
        self._snap_seq = seq

    # -- the command path -----------------------------------------------------------------------

    async def execute(self, cmd: Command, inbox_id: int | None = None) -> dict[str, Any]:
        """Run ``cmd`` through the queue; return its answer once it is journaled."""
        if self.failed is not None or self._stopping:
            raise Unavailable(f"service unavailable: {self.failed or 'stopping'}")
        if self.limits is not None and cmd.kind in ("submit", "modify"):
            self.limits.check_rate(cmd.account)
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((cmd, future, inbox_id))
        except asyncio.QueueFull:
            raise Overloaded("overloaded: the command queue is full, retry later") from None
        return await future

    def queue_depth(self) -> int:
        """Return the number of commands waiting."""
        return self._queue.qsize()

    async def _sequence(self) -> None:
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self.group_max and not queue.empty():
                batch.append(queue.get_nowait())
            stop = any(item is None for item in batch)
            work = [item for item in batch if item is not None]
            if work:
                await self._run_group(work)
            if stop:
                return

    async def _run_group(self, batch: list[tuple[Command, Any, int | None]]) -> None:
        ledger = self.ledger
        group, answers, orders, trades = Group(), [], {}, []
        balances: set[tuple[int, str]] = set()
        for cmd, future, inbox_id in batch:
            if inbox_id is not None:
                group.inbox_done.append(inbox_id)
            if self.failed is not None:
                answers.append((future, Unavailable(f"service unavailable: {self.failed}")))
                continue
            answer = self._apply(cmd, group, orders, trades, balances)
            answers.append((future, answer))
        group.orders = [_order_row(rec) for rec in orders.values()]
        group.balances = [(a, s, *ledger.balances[(a, s)]) for a, s in sorted(balances)]
        if group.commands or group.inbox_done:
            started = time.perf_counter()
            try:
                await self.journal.commit(group)
            except Exception as error:  # memory is ahead of the journal: stop trusting it
                self.failed = f"journal commit failed ({type(error).__name__})"
                log.critical("journal commit failed; the service stops: %s", error)
                for future, _ in answers:
                    if future is not None and not future.done():
                        future.set_exception(Unavailable(f"service unavailable: {self.failed}"))
                return
            spent = time.perf_counter() - started
            self.stats["commit_seconds"] += spent
            self.stats["groups"] += 1
            self.metrics.commit.observe(spent)
            self.metrics.group.observe(len(group.commands))
        for future, answer in answers:
            if future is None or future.done():
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)
        self._publish(trades, orders)
        if ledger.applied - self._snap_seq >= self.snapshot_every:
            await self.snapshot()

    def _apply(self, cmd, group, orders, trades, balances) -> Any:
        ledger = self.ledger
        if cmd.kind == "submit":
            repeat = ledger.answers.get((cmd.account, cmd.fields.get("client_order_id")))
            if repeat is not None:
                return repeat
        started = time.perf_counter()
        try:
            answer = ledger.apply(cmd, self.limits)
        except TickbookError as error:
            self.stats["matching_seconds"] += time.perf_counter() - started
            self.stats["refused"] += 1
            by = self.stats["refused_by"]
            reason = type(error).__name__
            by[reason] = by.get(reason, 0) + 1
            log.debug(
                "refused %s account=%s field=%s: %s", cmd.kind, cmd.account, error.field, error
            )
            return error
        except Exception as error:  # a bug: the ledger may be half-changed
            self.failed = f"internal error ({type(error).__name__})"
            log.exception("command failed inside the ledger; the service stops")
            return Unavailable(f"service unavailable: {self.failed}")
        self.stats["matching_seconds"] += time.perf_counter() - started
        self.stats["commands"] += 1
        seq = ledger.applied
        log.debug("accepted seq=%s %s account=%s symbol=%s", seq, cmd.kind, cmd.account, cmd.symbol)
        new_trades, touched, dirty = ledger.take_effects()
        group.commands.append(
            (seq, cmd.kind, cmd.account, cmd.symbol, _encode(cmd.fields).decode())
        )
        if cmd.kind == "account_add":
            group.accounts.append((answer["account"], cmd.fields["name"], cmd.fields["key_hash"]))
        for t in new_trades:
            group.trades.append(
                (t["id"], seq, t["symbol"], t["price"], t["quantity"], t["side"],
                 t["buy_order"], t["sell_order"], t["buyer"], t["seller"])
            )  # fmt: skip
        trades.extend(new_trades)
        for rec in touched:
            orders[rec.id] = rec
        balances |= dirty
        return answer

    # -- admin inbox (``tickbook accounts ...`` while the server runs) ---------------------------

    async def _poll_inbox(self) -> None:
        while True:
            try:
                await self.drain_inbox()
            except Exception:
                log.exception("reading the admin inbox failed")
            await asyncio.sleep(0.5)

    async def drain_inbox(self) -> int:
        """Run the admin commands waiting in the journal's inbox, in order; return how many.

        One at a time under a lock: a deposit names its account, which an earlier row may
        create, and a row leaves the inbox in the same transaction as its command.
        """
        async with self._inbox_lock:
            rows = await self.journal.inbox()
            for inbox_id, kind, body in rows:
                try:
                    fields = _decode(body)
                    if not isinstance(fields, dict) or kind not in ("account_add", "deposit"):
                        raise DataError(
                            f"admin inbox row {inbox_id}: bad command",
                            field="inbox",
                            value=inbox_id,
                        )
                    account = 0
                    if kind == "deposit":
                        account = self.ledger.by_name.get(fields.pop("account_name", None), -1)
                    await self.execute(Command(kind, account, "", fields), inbox_id)
                except TickbookError as error:
                    log.warning("admin command refused: %s", error)
                except msgspec.DecodeError:
                    log.warning("admin inbox row %s is not JSON", inbox_id)
            return len(rows)

    # -- events out -----------------------------------------------------------------------------

    def subscribe_account(self, account: int, maxsize: int = 10000) -> Subscriber:
        """Return a queue of the account's order events."""
        sub = Subscriber(maxsize)
        self._accounts.setdefault(account, set()).add(sub)
        return sub

    def unsubscribe_account(self, account: int, sub: Subscriber) -> None:
        """Stop sending the account's events to ``sub``."""
        self._accounts.get(account, set()).discard(sub)

    def _publish(self, trades: list[dict[str, Any]], orders: dict[int, OrderRec]) -> None:
        self.md.publish(trades, {rec.symbol for rec in orders.values()})
        if not self._accounts:
            return
        for rec in orders.values():
            subs = self._accounts.get(rec.account)
            if subs:
                event = self.ledger.view(rec)
                event["order_type"] = event["type"]
                event["type"] = "order"
                event["event"] = _EVENTS[rec.status]
                data = _encode(event)
                for sub in list(subs):
                    if not sub.offer(data):
                        subs.discard(sub)


def _order_row(rec: OrderRec) -> tuple[Any, ...]:
    return (
        rec.id,
        rec.account,
        rec.symbol,
        rec.client_order_id,
        "buy" if rec.side == 0 else "sell",
        rec.type,
        rec.price,
        rec.stop_price,
        rec.quantity,
        rec.filled,
        rec.status,
        rec.tif,
    )


async def restore(market: Market, journal: Journal, snapshot: bool = True) -> Ledger:
    """Return the state the journal holds: the last snapshot plus the commands after it.

    ``snapshot=False`` replays every command from the first instead (to check snapshots).
    """
    seq, state, commands = await journal.load(snapshot)
    if state is None:
        ledger = Ledger(market)
    else:
        ledger = pickle.loads(state)
        ledger.market = market
        from tickbook.book import Exchange

        for name in market.symbols:
            if name not in ledger.exchanges:
                ledger.exchanges[name] = Exchange()
                ledger.stops[name] = set()
        if ledger.applied != seq:
            raise DataError(
                f"journal snapshot at {seq} holds state {ledger.applied}", field="seq", value=seq
            )
    for row_seq, kind, account, symbol, body in commands:
        try:
            ledger.apply(Command(kind, account, symbol, _decode(body)))
        except TickbookError as error:
            raise DataError(
                f"journal command {row_seq} ({kind}) is refused on replay: {error}",
                field="seq",
                value=row_seq,
            ) from None
        ledger.take_effects()
        if ledger.applied != row_seq:
            raise DataError(
                f"journal gap: command {row_seq} after {ledger.applied - 1}",
                field="seq",
                value=row_seq,
            )
    return ledger
