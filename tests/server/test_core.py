"""The command path and the journal: restart replays into the identical state (SQLite and
PostgreSQL, with and without snapshots), tables match memory, overload and failure answers."""

import asyncio
import random
import uuid

import pytest

from tickbook.core import TickbookError
from tickbook.server import Command, Overloaded, Unavailable
from tickbook.server._journal import SqliteJournal

from .helpers import drop_schema, fund, make_core, pg_url_or_fail
from .test_ledger import random_commands


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/journal.db"
        return
    url = pg_url_or_fail(f"tb_test_{uuid.uuid4().hex[:12]}")
    yield url
    asyncio.run(drop_schema(url))


async def drive(core, seed, n):
    rng = random.Random(seed)
    cmds = random_commands(rng, n)
    accepted = 0
    # concurrent clients: groups form while a commit runs
    for start in range(0, n, 40):
        results = await asyncio.gather(
            *(core.execute(c) for c in cmds[start : start + 40]), return_exceptions=True
        )
        for r in results:
            if isinstance(r, TickbookError):
                continue
            assert isinstance(r, dict), r
            accepted += 1
    return accepted


async def table_state(core):
    orders = await core.journal.query("SELECT id, filled, status FROM {p}orders ORDER BY id")
    balances = await core.journal.query(
        "SELECT account, asset, total, locked FROM {p}balances ORDER BY account, asset"
    )
    return orders, balances


@pytest.mark.parametrize("snapshot_every", [10**9, 150])
def test_restart_replays_into_the_identical_state(url, snapshot_every):
    async def main():
        core = make_core(url, snapshot_every=snapshot_every)
        await core.start()
        await fund(core, usd=5000, btc=50)
        accepted = await drive(core, 7, 600)
        assert accepted > 300 and core.stats["groups"] < accepted  # group commit happened
        digest = core.ledger.digest()
        orders, balances = await table_state(core)
        assert orders == [
            (r.id, r.filled, r.status)
            for r in sorted(core.ledger.orders.values(), key=lambda r: r.id)
        ]
        assert balances == [
            (a, s, t, lk) for (a, s), (t, lk) in sorted(core.ledger.balances.items())
        ]
        await core.stop(snapshot=False)
        again = make_core(url)
        await again.start()
        assert again.ledger.digest() == digest
        snaps = await again.journal.query("SELECT seq FROM {p}snapshots")
        assert bool(snaps) == (snapshot_every < 10**9)
        await again.stop()  # takes a snapshot
        third = make_core(url)
        await third.start()
        assert third.ledger.digest() == digest
        await third.stop(snapshot=False)

    asyncio.run(asyncio.wait_for(main(), 120))


class GatedJournal(SqliteJournal):
    def __init__(self, path):
        super().__init__(path)
        self.gate = None
        self.fail = False

    async def commit(self, group):
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise OSError("disk gone")
        await super().commit(group)


def test_full_queue_answers_overloaded_and_nothing_is_lost(tmp_path):
    from tickbook.server import Core, default_market

    async def main():
        journal = GatedJournal(tmp_path / "j.db")
        core = Core(default_market(), journal, queue_size=5)
        await core.start()
        await fund(core)
        journal.gate = asyncio.Event()
        funded = core.ledger.applied
        order = {"type": "limit", "side": 0, "price": 100, "quantity": 1, "tif": "gtc"}
        first = asyncio.ensure_future(core.execute(Command("submit", 1, "BTC-USD", order)))
        await asyncio.sleep(0.05)  # the sequencer holds it, waiting on the commit
        waiting = [
            asyncio.ensure_future(core.execute(Command("submit", 1, "BTC-USD", order)))
            for _ in range(5)
        ]
        await asyncio.sleep(0)  # let them queue
        with pytest.raises(Overloaded):
            await core.execute(Command("submit", 1, "BTC-USD", order))
        assert (
            core.ledger.applied == funded + 1
        )  # applied in memory, not answered before the commit
        assert not first.done()
        journal.gate.set()
        answers = await asyncio.gather(first, *waiting)
        assert [a["order_id"] for a in answers] == [1, 2, 3, 4, 5, 6]
        await core.stop(snapshot=False)

    asyncio.run(asyncio.wait_for(main(), 120))


def test_failed_commit_stops_the_service_and_acks_nothing(tmp_path):
    from tickbook.server import Core, default_market

    async def main():
        journal = GatedJournal(tmp_path / "j.db")
        core = Core(default_market(), journal)
        await core.start()
        await fund(core)
        digest = core.ledger.digest()
        journal.fail = True
        order = {"type": "limit", "side": 0, "price": 100, "quantity": 1, "tif": "gtc"}
        with pytest.raises(Unavailable):
            await core.execute(Command("submit", 1, "BTC-USD", order))
        with pytest.raises(Unavailable):
            await core.execute(Command("submit", 1, "BTC-USD", order))
        await core.stop()
        again = Core(default_market(), SqliteJournal(tmp_path / "j.db"))
        await again.start()
        assert again.ledger.digest() == digest  # the unacknowledged order does not exist
        await again.stop(snapshot=False)

    asyncio.run(asyncio.wait_for(main(), 120))


def test_admin_inbox_runs_through_the_command_path(tmp_path):
    async def main():
        core = make_core(f"sqlite:///{tmp_path}/j.db")
        await core.start()
        await core.journal.post_admin(
            "account_add", '{"name": "zed", "key_hash": "' + "a" * 64 + '"}'
        )
        await core.journal.post_admin(
            "deposit", '{"account_name": "zed", "asset": "USD", "amount": 5}'
        )
        await core.journal.post_admin(
            "deposit", '{"account_name": "nobody", "asset": "USD", "amount": 5}'
        )
        await core.drain_inbox()
        assert core.ledger.balances[(core.ledger.by_name["zed"], "USD")] == [5, 0]
        assert await core.journal.inbox() == []
        await core.stop(snapshot=False)

    asyncio.run(asyncio.wait_for(main(), 120))
