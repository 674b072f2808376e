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


# -- book shape: cost at 100 / 10k / 100k price levels, and with pending stops -------------

#: levels spread over a range this many times wider than their count (a sparse, wide book)
_SPREAD = 20
#: the shape books' best bid, high enough for 100k levels spread below it
_TOP = 50_000_000
_SHAPE_OPS = {"insert": "new level + its cancel", "worst": "new worst level + its cancel"}
_SHAPE_OPS |= {"match": "trade away the best level + refill it"}


#: best ns per op seen per (library, workload, size), for the flatness rows of ``extras``
_BEST: dict[tuple[str, str, int], float] = {}


def _timed(key: tuple[str, str, int], go, ops: int) -> None:
    t0 = time.perf_counter()
    go()
    ns = (time.perf_counter() - t0) / ops * 1e9
    _BEST[key] = min(ns, _BEST.get(key, ns))


def _flatness_rows() -> list[dict[str, object]]:
    """Cost at the big shape over the small one, from the cases' own best times."""
    rows = []
    names = dict(_SHAPE_OPS, **{"stops-none": "stops: none triggers", "stops-fire": "stops: fire"})
    for kind, what in names.items():
        sizes = sorted({size for lib, k, size in _BEST if k == kind and lib == "tickbook"})
        if len(sizes) < 2:
            continue
        for lib in ("tickbook", "nanobook"):
            if (lib, kind, sizes[0]) not in _BEST:
                continue
            base = _BEST[(lib, kind, sizes[0])]
            cells = ", ".join(f"{s:,}: {_BEST[(lib, kind, s)] / base:.2f}x" for s in sizes[1:])
            rows.append(
                {
                    "metric": f"{what}: cost vs {sizes[0]:,} ({lib})",
                    lib: cells,
                    "target": "<= 2x" if lib == "tickbook" else "",
                }
            )
    return rows


def _shape_book(make, levels: int):
    """A book of ``levels`` bid levels (one 10-lot each) at random prices over a wide range."""
    rng = random.Random(20 + levels)
    low = _TOP - _SPREAD * levels
    prices = rng.sample(range(low, _TOP), levels)
    ex = make()
    submit = ex.submit_limit
    for p in prices:
        submit("buy", p, 10, "gtc")
    taken = set(prices)
    free = [p for p in rng.sample(range(low, _TOP), min(4 * levels, 40_000)) if p not in taken]
    return ex, free, low


def _shape_runner(kind: str, ex, free: list[int], low: int, ops: int):
    rng = random.Random(7)
    fresh = [free[rng.randrange(len(free))] for _ in range(ops)]
    submit, cancel = ex.submit_limit, ex.cancel

    if kind == "insert":

        def go():
            for p in fresh:
                cancel(submit("buy", p, 10, "gtc").order_id)

    elif kind == "worst":

        def go():
            for i in range(ops):
                cancel(submit("buy", low - 1 - i, 10, "gtc").order_id)

    else:  # match: a sell takes the whole best level, a buy puts it back

        def go():
            best = ex.best_bid()
            for _ in range(ops):
                submit("sell", best, 10, "gtc")
                submit("buy", best, 10, "gtc")

    return go


def _shape_cases(quick: bool) -> list[Case]:
    out = []
    ops = 5_000 if quick else 20_000
    for levels in (100, 10_000, 100_000):
        for kind, what in _SHAPE_OPS.items():
            books = {}

            def setup(lib, make, levels=levels, kind=kind, books=books):
                def prepare():
                    books[lib] = _shape_runner(kind, *_shape_book(make, levels), ops)

                return prepare

            def run(lib, kind=kind, levels=levels, books=books):
                def go():
                    _timed((lib, kind, levels), books[lib], ops)

                return go

            libs = _libs()
            out.append(
                Case(
                    "book",
                    f"{levels:,} levels: {what} (per pair, {ops:,})",
                    ops,
                    {lib: run(lib) for lib in libs},
                    setup={lib: setup(lib, make) for lib, make in libs.items()},
                    target="<= 2x the 100-level row",
                    repeat=3,
                )
            )
    return out


def _stops_book(make, pending: int):
    """Huge bid at _TOP and ask at _TOP+1; ``pending`` stops far from both, half each side."""
    ex = make()
    ex.submit_limit("buy", _TOP, 10**9, "gtc")
    ex.submit_limit("sell", _TOP + 1, 10**9, "gtc")
    ex.submit_limit("sell", _TOP, 1, "ioc")  # last trade _TOP
    for i in range(pending):
        if i & 1:
            ex.submit_stop_market("buy", _TOP + 100 + i, 1)
        else:
            ex.submit_stop_market("sell", _TOP - 100 - i, 1)
    return ex


def _stops_runner(kind: str, ex, ops: int, k: int):
    submit, stop = ex.submit_limit, ex.submit_stop_market
    if kind == "none":

        def go():
            for i in range(ops):  # trades at _TOP+1 and _TOP in turn: no stop is reached
                if i & 1:
                    submit("buy", _TOP + 1, 1, "ioc")
                else:
                    submit("sell", _TOP, 1, "ioc")

    else:

        def go():
            for _ in range(ops):  # k buy stops at _TOP+1, then a trade there fires them all
                submit("sell", _TOP, 1, "ioc")
                for _ in range(k):
                    stop("buy", _TOP + 1, 1)
                submit("buy", _TOP + 1, 1, "ioc")

    return go


def _stop_cases(quick: bool) -> list[Case]:
    out = []
    ops = 5_000 if quick else 20_000
    k = 10
    for pending in (0, 1_000, 20_000):
        for kind in ("none", "fire"):
            books = {}
            libs = _libs()

            def setup(lib, make, pending=pending, kind=kind, books=books):
                n = ops if kind == "none" else ops // k

                def prepare():
                    books[lib] = _stops_runner(kind, _stops_book(make, pending), n, k)

                return prepare

            def run(
                lib, kind=kind, n=ops if kind == "none" else ops // k, pending=pending, books=books
            ):
                def go():
                    per = n if kind == "none" else n * k
                    _timed((lib, f"stops-{kind}", pending), books[lib], per)

                return go

            name = (
                f"{pending:,} pending stops: crossing submit, none triggers ({ops:,})"
                if kind == "none"
                else f"{pending:,} pending stops: {k} stops placed and triggered, per stop"
            )
            out.append(
                Case(
                    "book",
                    name,
                    ops if kind == "none" else (ops // k) * k,
                    {lib: run(lib) for lib in libs},
                    setup={lib: setup(lib, make) for lib, make in libs.items()},
                    target="<= 2x the 0-stop row",
                    repeat=3,
                )
            )
    return out


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
    return out + _case_batch(big) + _shape_cases(quick) + _stop_cases(quick)


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
    rows: list[dict[str, object]] = _flatness_rows()
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
