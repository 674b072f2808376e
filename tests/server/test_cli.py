"""``tickbook accounts``: keys shown once and stored hashed; deposits go through the inbox;
no API key in any log line."""

import asyncio
import logging

from typer.testing import CliRunner

from tickbook.cli import app
from tickbook.server._rest import hash_key

from .helpers import KEYS, fund, make_core


def test_accounts_add_and_deposit_reach_the_ledger_through_the_inbox(tmp_path):
    db = f"sqlite:///{tmp_path}/j.db"
    runner = CliRunner()
    added = runner.invoke(app, ["accounts", "add", "eve", "--db", db])
    assert added.exit_code == 0, added.output
    key = added.output.strip().split()[-1]
    assert key.startswith("tbk_") and len(key) > 40
    dup = runner.invoke(app, ["accounts", "add", "eve", "--db", db])
    assert dup.exit_code == 1 and "exists" in dup.output
    dep = runner.invoke(app, ["accounts", "deposit", "eve", "USD", "12.5", "--db", db])
    assert dep.exit_code == 0, dep.output
    bad = runner.invoke(app, ["accounts", "deposit", "eve", "USD", "0.0000001", "--db", db])
    assert bad.exit_code == 1 and "amount" in bad.output
    nobody = runner.invoke(app, ["accounts", "deposit", "zz", "USD", "1", "--db", db])
    assert nobody.exit_code == 1

    async def check():
        core = make_core(db)
        await core.start()
        await core.drain_inbox()
        rows = await core.journal.query("SELECT name, key_hash FROM {p}accounts")
        body = "\n".join(row[4] for row in (await core.journal.load(False))[2])
        await core.stop(snapshot=False)
        return core, rows, body

    core, rows, body = asyncio.run(check())
    assert rows == [("eve", hash_key(key))]
    assert key not in body and hash_key(key) in body  # only the hash is journaled
    account = core.ledger.by_name["eve"]
    assert core.ledger.balances[(account, "USD")] == [12_500_000, 0]
    listed = CliRunner().invoke(app, ["accounts", "list", "--db", db])
    assert "eve" in listed.output and key not in listed.output


def test_no_api_key_in_logs(tmp_path, caplog):
    from litestar.testing import TestClient

    from tickbook.server import create_app

    caplog.set_level(logging.DEBUG)
    core = make_core(f"sqlite:///{tmp_path}/j.db")
    with TestClient(create_app(core, on_ready=fund)) as c:
        for key in (KEYS["alice"], "a-wrong-secret-key-xyz"):
            h = {"X-API-Key": key}
            c.post("/api/orders", json={"side": "buy", "price": "1", "quantity": "1"}, headers=h)
            c.post("/api/orders", json={"side": "buy", "price": "x", "quantity": "1"}, headers=h)
            c.get("/api/orders/999", headers=h)
            with c.websocket_connect("/ws/orders") as ws:
                ws.send_json({"op": "auth", "api_key": key})
                ws.receive_json()
    text = caplog.text
    assert text  # something was logged at DEBUG
    for secret in (KEYS["alice"], "a-wrong-secret-key-xyz"):
        assert secret not in text
