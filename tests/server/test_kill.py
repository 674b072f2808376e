"""Kill test: a real server process under concurrent load, ``kill -9`` at seeded random
moments (10 times per journal), restarted each time. Every order a client saw acknowledged
is there with a consistent state, an unacknowledged one exists wholly or not at all (a retry
with its client id answers either its first answer or a new order), and the recovered
state (snapshot + replay) equals a fresh replay of the whole journal."""

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tickbook.server import default_market, open_journal, restore
from tickbook.server._rest import hash_key

from .helpers import drop_schema, pg_url_or_fail

KILLS = 10
CLIENTS = 4
SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accounts_file(tmp_path):
    keys = {f"k{i}": f"kill-test-key-{i}-{uuid.uuid4().hex}" for i in range(CLIENTS)}
    lines = []
    for name, key in keys.items():
        lines += [
            "[[account]]",
            f'name = "{name}"',
            f'key_sha256 = "{hash_key(key)}"',
            "[account.deposits]",
            'USD = "100000000"',
            'BTC = "100000"',
            "",
        ]
    path = tmp_path / "accounts.toml"
    path.write_text("\n".join(lines))
    return path, keys


class Server:
    def __init__(self, url, accounts, port, log):
        self.cmd = [
            sys.executable, "-m", "tickbook.cli", "serve", "--port", str(port), "--db", url,
            "--accounts", str(accounts), "--no-demo", "--snapshot-every", "400",
        ]  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.proc = None

    def start(self):
        env = {**os.environ, "PYTHONPATH": SRC}
        self.proc = subprocess.Popen(self.cmd, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "server exited at start (see server.log)"
            try:
                if httpx.get(self.base + "/api/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        pytest.fail("server did not answer /api/health within 60 s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert self.proc.wait(timeout=60) in (0, -signal.SIGTERM)


def client_loop(base, key, rng, acked, sent, stop):
    """Submit orders (client ids) and cancels until the server dies; record what was acked."""
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
        while not stop.is_set():
            cid = f"c{uuid.uuid4().hex[:16]}"
            side = rng.choice(["buy", "sell"])
            price, qty = rng.randint(9950, 10050) / 100, rng.randint(1, 50) / 100
            body = {"side": side, "price": f"{price:.2f}", "quantity": f"{qty:.2f}"}
            body["client_order_id"] = cid
            if rng.random() < 0.1:
                body["time_in_force"] = "ioc"
            sent[cid] = body
            try:
                r = http.post("/api/orders", json=body)
            except httpx.HTTPError:
                return
            assert r.status_code < 500 or r.status_code == 503, r.text
            if r.status_code == 200:
                acked[cid] = ("submit", r.json())
            if acked and rng.random() < 0.3:
                mine = [a for a in acked.values() if a[0] == "submit" and a[1]["status"] == "new"]
                if mine:
                    oid = rng.choice(mine)[1]["order_id"]
                    try:
                        r = http.delete(f"/api/orders/{oid}")
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        acked[f"cancel-{oid}"] = ("cancel", r.json())


def check_acknowledged(base, keys, acked_by_key, sent_by_key, skip=None):
    """Check the acknowledged answers (all but ``skip``: those checked after earlier kills)."""
    for name, key in keys.items():
        headers = {"X-API-Key": key}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for tag, (kind, answer) in list(acked_by_key[name].items()):
                if skip is not None and tag in skip[name]:
                    continue
                now = http.get(f"/api/orders/{answer['order_id']}").json()
                assert now["order_id"] == answer["order_id"], (tag, now)
                assert now["client_order_id"] == answer["client_order_id"]
                if kind == "cancel" or answer["status"] in ("filled", "cancelled"):
                    assert now["status"] == answer["status"], (tag, answer, now)
                assert float(now["filled_quantity"]) >= float(answer["filled_quantity"])
            # unacknowledged submits: retry with the same client id -> first answer or new order
            for cid, body in list(sent_by_key[name].items()):
                if cid in acked_by_key[name] or (skip is not None and cid in skip[name]):
                    continue
                r = http.post("/api/orders", json=body)
                assert r.status_code in (200, 400), r.text
                if r.status_code == 200:
                    answer = r.json()
                    assert answer["client_order_id"] == cid
                    acked_by_key[name][cid] = ("submit", answer)


def run_kill_test(tmp_path, url, seed):
    rng = random.Random(seed)
    accounts, keys = accounts_file(tmp_path)
    port = free_port()
    log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - the server processes write it
    server = Server(url, accounts, port, log)
    acked = {name: {} for name in keys}
    sent = {name: {} for name in keys}
    total_acked = 0
    checked = {name: set() for name in keys}
    for _round in range(KILLS):
        server.start()
        check_acknowledged(server.base, keys, acked, sent, checked)  # what the last kill risked
        for name in keys:
            checked[name] |= set(acked[name]) | set(sent[name])
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(server.base, key, random.Random(rng.random()), acked[name], sent[name], stop),
            )
            for name, key in keys.items()
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, 1.2))
        server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        total_acked = sum(len(a) for a in acked.values())
    server.start()
    check_acknowledged(server.base, keys, acked, sent)
    health = httpx.get(server.base + "/api/health").json()
    server.stop()  # graceful: answers what is queued, takes a snapshot
    assert total_acked > 50, "the clients got too few acknowledgements to test anything"

    async def compare():
        market = default_market()
        a, b = open_journal(url), open_journal(url)
        await a.open()
        await b.open()
        try:
            recovered = await restore(market, a)
            fresh = await restore(market, b, snapshot=False)
        finally:
            await a.close()
            await b.close()
        assert recovered.applied == health["seq"]
        assert recovered.digest() == fresh.digest()

    asyncio.run(compare())


def test_kill_9_sqlite(tmp_path):
    run_kill_test(tmp_path, f"sqlite:///{tmp_path}/journal.db", seed=11)


def test_kill_9_postgresql(tmp_path):
    url = pg_url_or_fail(f"tb_kill_{uuid.uuid4().hex[:12]}")
    try:
        run_kill_test(tmp_path, url, seed=12)
    finally:
        asyncio.run(drop_schema(url))
