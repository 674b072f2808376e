"""Service throughput: a real ``tickbook serve`` process, clients on the same machine.

``python benchmarks/bench_server.py [--seconds S] [--clients C] [--db URL]`` starts the server
on a fresh journal, drives it closed-loop (REST: C concurrent keep-alive connections; WS: one
connection with C requests in flight) and prints journaled orders/s and latency percentiles.
Closed loop (not the open-loop ``tickbook loadtest`` the issue asks for, which is not built).
The ``python -m benchmarks`` harness has no case here (``cases`` is empty): run this file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def cases(quick: bool) -> list:
    return []


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _orders(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "side": rng.choice(["buy", "sell"]),
            "price": f"{rng.randint(9900, 10100) / 100:.2f}",
            "quantity": f"{rng.randint(1, 100) / 10000:.4f}",
        }
        for _ in range(n)
    ]


def _pct(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2)  # noqa: E731
    return {"p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": pick(1.0)}


async def _rest(base: str, key: str, clients: int, seconds: float) -> dict:
    import httpx

    orders = _orders(200_000)
    lat: list[float] = []
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as http:
            j = i
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await http.post("/api/orders", json=orders[j % len(orders)])
                lat.append(time.perf_counter() - t0)
                done += r.status_code == 200
                j += clients

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return {"mode": "rest", "orders": done, "orders_per_s": round(done / elapsed), **_pct(lat)}


async def _ws(base: str, key: str, inflight: int, seconds: float) -> dict:
    import websockets

    orders = _orders(200_000, 2)
    sent: dict[int, float] = {}
    lat: list[float] = []
    acked = 0
    url = base.replace("http", "ws") + "/ws/orders"
    async with websockets.connect(url, additional_headers={"X-API-Key": key}) as ws:
        await ws.recv()  # authenticated
        stop = time.perf_counter() + seconds
        started = time.perf_counter()
        req = 0
        while req < inflight:
            sent[req] = time.perf_counter()
            await ws.send(json.dumps({"op": "submit", "req_id": req, **orders[req]}))
            req += 1
        while sent:
            msg = json.loads(await ws.recv())
            if msg.get("type") not in ("ack", "reject"):
                continue
            lat.append(time.perf_counter() - sent.pop(msg["req_id"]))
            acked += msg["type"] == "ack"
            if time.perf_counter() < stop:
                sent[req] = time.perf_counter()
                await ws.send(
                    json.dumps({"op": "submit", "req_id": req, **orders[req % len(orders)]})
                )
                req += 1
        elapsed = time.perf_counter() - started
    return {"mode": "ws", "orders": acked, "orders_per_s": round(acked / elapsed), **_pct(lat)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--db", default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, SRC)
    from tickbook.server._rest import hash_key

    tmp = Path(tempfile.mkdtemp())
    key = "bench-key-0123456789"
    (tmp / "accounts.toml").write_text(
        f'[[account]]\nname = "bench"\nkey_sha256 = "{hash_key(key)}"\n'
        '[account.deposits]\nUSD = "1000000000"\nBTC = "1000000"\n'
    )
    port = _port()
    db = args.db or f"sqlite:///{tmp}/journal.db"
    cmd = [sys.executable, "-m", "tickbook.cli", "serve", "--port", str(port), "--db", db,
           "--accounts", str(tmp / "accounts.toml"), "--no-demo"]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # the order limits are per account: raise nothing, measure the default limits' path
        for result in (
            asyncio.run(_rest(base, key, args.clients, args.seconds)),
            asyncio.run(_ws(base, key, args.clients, args.seconds)),
        ):
            print(json.dumps({"db": db.split(":")[0], "clients": args.clients, **result}))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
