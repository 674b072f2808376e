"""Order book: tickbook's Exchange against nanobook's, one call at a time and in batch.

Workloads (issue 2): resting submits (~500 levels), a crossing flow around a mid price
(about half the orders trade), cancels in random order, market orders sweeping 1-10 levels,
BBO queries, depth(10); the crossing flow again at 10k and 1M orders (is the cost flat?);
the batch entry point on the crossing flow. ``extras`` measures memory per resting order,
memory after clearing history, and the cold start.
"""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
import time

import numpy as np

from benchmarks._harness import Case

try:
    import nanobook
except ImportError:  # the tables then show tickbook alone
    nanobook = None

MID = 10_000


def _libs():
    from tickbook.book import Exchange

    libs = {"tickbook": Exchange}
    if nanobook is not None:
        libs["nanobook"] = nanobook.Exchange
    return libs


def resting_orders(n: int, seed: int = 1) -> list[tuple[str, int, int]]:
    """Buy limits spread over 500 price levels below the mid: nothing trades."""
    rng = random.Random(seed)
    return [("buy", rng.randrange(MID - 500, MID), rng.randrange(1, 100)) for _ in range(n)]


def crossing_orders(n: int, seed: int = 2) -> list[tuple[str, int, int]]:
    """Buys and sells around the mid (+-10 ticks): about half of them trade on arrival."""
    rng = random.Random(seed)
    return [
        (rng.choice(("buy", "sell")), MID + rng.randrange(-10, 11), rng.randrange(1, 100))
        for _ in range(n)
    ]


def _submit_all(make, orders):
    ex = make()
    submit = ex.submit_limit
    for side, price, qty in orders:
        submit(side, price, qty, "gtc")
    return ex


def _case_submit(name, orders, target):
    libs = _libs()
    runners = {lib: (lambda make=make: _submit_all(make, orders)) for lib, make in libs.items()}
    return Case("book", name, len(orders), runners, target=target)


def _case_cancel(n):
    libs = _libs()
    orders = resting_orders(n, seed=3)
    books: dict[str, object] = {}
    ids: dict[str, list[int]] = {}

    def setup(lib):
        def prepare():
            ex = libs[lib]()
            got = [ex.submit_limit(s, p, q, "gtc").order_id for s, p, q in orders]
            random.Random(4).shuffle(got)
            books[lib], ids[lib] = ex, got

        return prepare

    def run(lib):
        def go():
            cancel = books[lib].cancel
            for oid in ids[lib]:
                cancel(oid)

        return go

    return Case(
        "book",
        f"cancel resting, random order ({n:,})",
        n,
        {lib: run(lib) for lib in libs},
        setup={lib: setup(lib) for lib in libs},
        target=">= 1.5x",
    )


def _case_market(n):
    libs = _libs()
    rng = random.Random(5)
    sweeps = [rng.randrange(1, 11) for _ in range(n)]
    levels = sum(sweeps) + 10
    books: dict[str, object] = {}

    def setup(lib):
        def prepare():
            ex = libs[lib]()
            for k in range(levels):  # one 100-lot order per level, asks upward from the mid
                ex.submit_limit("sell", MID + k, 100, "gtc")
            books[lib] = ex

        return prepare

    def run(lib):
        def go():
            market = books[lib].submit_market
            for k in sweeps:
                market("buy", 100 * k)

        return go

    return Case(
        "book",
        f"market orders sweeping 1-10 levels ({n:,})",
        n,
        {lib: run(lib) for lib in libs},
        setup={lib: setup(lib) for lib in libs},
        target=">= 1.5x",
    )


def _case_queries(n, what):
    libs = _libs()
    books = {lib: _submit_all(make, resting_orders(20_000, seed=6)) for lib, make in libs.items()}
    for lib in books:  # an ask side too, so the BBO has both prices
        for k in range(50):
            books[lib].submit_limit("sell", MID + 1 + k, 10, "gtc")

    def run(lib):
        ex = books[lib]

        if what == "bbo":

            def go():
                f = ex.best_bid_ask
                for _ in range(n):
                    f()

        elif what == "depth":

            def go():
                f = ex.depth
                for _ in range(n):
                    f(10)

        else:  # a book change before every depth(10): no snapshot can be reused

            def go():
                f = ex.depth
                submit = ex.submit_limit
                cancel = ex.cancel
                for i in range(n // 2):
                    r = submit("buy", MID - 600 - (i & 7), 5, "gtc")
                    f(10)
                    cancel(r.order_id)
                    f(10)

        return go

    names = {
        "bbo": ("best_bid_ask() on an unchanged book", ">= 1.0x"),
        "depth": ("depth(10) on an unchanged book", ">= 1.5x"),
        "depth_after_change": ("submit/cancel + depth(10) after each", "(informative)"),
    }
    name, target = names[what]
    return Case("book", f"{name} ({n:,})", n, {lib: run(lib) for lib in libs}, target=target)


def _case_batch(n):
    from tickbook.book import CommandKind, Exchange, make_commands

    orders = crossing_orders(n, seed=7)
    sides = np.array([0 if s == "buy" else 1 for s, _, _ in orders])
    prices = np.array([p for _, p, _ in orders])
    qtys = np.array([q for _, _, q in orders])
    commands = make_commands(CommandKind.LIMIT, sides, prices, qtys)

    def run():
        Exchange(record_events=False).submit_batch(commands)

    def run_logged():
        Exchange().submit_batch(commands)

    one = Case(
        "book",
        f"batch crossing flow, no event log ({n:,} msgs)",
        n,
        {"tickbook": run},
        unit="msg",
        target=">= 10M msg/s (<= 100 ns/msg)",
    )
    two = Case(
        "book",
        f"batch crossing flow, event log on ({n:,} msgs)",
        n,
        {"tickbook": run_logged},
        unit="msg",
        target="(informative)",
    )
    return [one, two]


def cases(quick: bool) -> list[Case]:
    """The book workloads; ``quick`` shrinks them for a smoke run."""
    n = 20_000 if quick else 200_000
    big = 100_000 if quick else 1_000_000
    out = [
        _case_submit(f"resting submits, ~500 levels ({n:,})", resting_orders(n), ">= 1.5x"),
        _case_submit(f"crossing flow ({n:,})", crossing_orders(n), ">= 3x"),
        _case_submit("crossing flow (10,000)", crossing_orders(10_000, seed=8), "flat vs 1M"),
        _case_submit(f"crossing flow ({big:,})", crossing_orders(big, seed=9), "flat vs 10k"),
        _case_cancel(n),
        _case_market(n // 10),
        _case_queries(n, "bbo"),
        _case_queries(n, "depth"),
        _case_queries(n // 10, "depth_after_change"),
    ]
    for case in out:
        if case.ops >= 1_000_000:
            case.repeat = 2
    return out + _case_batch(big)


# -- memory and cold start ------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _resting_memory(lib: str, n: int) -> float:
    """Bytes of resident memory per resting order for ``n`` orders on one side."""
    from tickbook.book import Exchange

    rng = np.random.default_rng(11)
    prices = (MID - rng.integers(0, 500, n)).tolist()
    warm = Exchange() if lib == "tickbook" else nanobook.Exchange()
    for p in prices[:5_000]:  # load the code a growing book runs: not memory per order
        warm.submit_limit("buy", p, 10, "gtc")
    del warm
    gc.collect()
    before = _rss()
    ex = Exchange() if lib == "tickbook" else nanobook.Exchange()
    submit = ex.submit_limit
    for p in prices:
        submit("buy", p, 10, "gtc")
    gc.collect()
    per_order = (_rss() - before) / n
    del ex, submit
    return per_order


def _churn_memory(rounds: int, per_round: int) -> list[int]:
    """RSS after each round of submits and cancels, clearing history between rounds."""
    from tickbook.book import Exchange

    ex = Exchange(record_events=False)
    seen = []
    for _ in range(rounds):
        for i in range(per_round):
            r = ex.submit_limit("buy", MID - (i % 500), 10)
            if i % 3:
                ex.submit_limit("sell", MID - (i % 500), 10)
            else:
                ex.cancel(r.order_id)
        ex.clear_order_history()
        ex.clear_trades()
        gc.collect()
        seen.append(_rss())
    return seen


def _cold_start() -> float:
    code = (
        "import time; t=time.perf_counter(); from tickbook import Exchange; "
        "Exchange().submit_limit('buy', 100, 1); print(time.perf_counter()-t)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm cache
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(3)
    ]
    return min(runs)


def extras(quick: bool) -> list[dict[str, object]]:
    """Memory per resting order, memory under churn, cold start."""
    n = 100_000 if quick else 1_000_000
    rows: list[dict[str, object]] = []
    mine = _resting_memory("tickbook", n)
    theirs = _resting_memory("nanobook", n) if nanobook is not None else None
    rows.append(
        {
            "metric": f"resident bytes per resting order ({n:,})",
            "tickbook": f"{mine:.0f}",
            "nanobook": "-" if theirs is None else f"{theirs:.0f}",
            "target": "<= 150",
        }
    )
    t0 = time.perf_counter()
    churn = _churn_memory(5 if quick else 10, 50_000 if quick else 200_000)
    grow = (churn[-1] - churn[1]) / 2**20
    rows.append(
        {
            "metric": f"RSS growth, rounds 2..{len(churn)} of submit/cancel churn (MiB)",
            "tickbook": f"{grow:.1f}",
            "nanobook": "-",
            "target": "~0 (bounded)",
            "seconds": round(time.perf_counter() - t0, 1),
        }
    )
    rows.append(
        {
            "metric": "cold start: import + Exchange() + first submit, warm cache (s)",
            "tickbook": f"{_cold_start():.2f}",
            "nanobook": "-",
            "target": "<= 1.0",
        }
    )
    return rows
