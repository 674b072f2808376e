"""The floor of a call from Python into the book: what one-at-a-time calls cannot go below.

Issue 2 asks the Python API for 1.5x nanobook on resting submits and cancels and 3x on the
crossing flow. These cases take a submit apart: an empty Python method with submit_limit's
signature, Numba's compiled entry point with an empty kernel, the real kernel with no
argument checking (on a book grown in advance, so no growth is timed), and the whole API
call, beside nanobook's whole call. Read the rows top down: each adds one layer.
"""

from __future__ import annotations

import random

from benchmarks._harness import Case
from benchmarks.bench_book import crossing_orders, resting_orders

try:
    import nanobook
except ImportError:
    nanobook = None


class _Empty:
    def submit_limit(
        self, side, price, quantity, tif="gtc", post_only=None, display_quantity=None, owner=None
    ):
        return None


def _empty_kernel_door(ex):
    from numba import njit, typeof, types

    from tickbook.book._jit import fast

    @njit
    def empty(st, side, price, qty, tif):
        return (side, price, qty, tif, 0, 5, 5)

    return fast(empty, (typeof(ex._st),) + (types.int64,) * 4)


def _grown(n):
    from tickbook.book import Exchange

    ex = Exchange()
    ex._grow(n + 16, n + 16)
    return ex


def _kernel_loop(ex, orders):
    limit, st = ex._limit, ex._st
    for side, price, qty in orders:
        s = 0 if side == "buy" else 1
        r = limit(st, s, price, qty, 0)
        if r[0] < 0:  # room for one more level: grow, then submit for real
            ex._grow()
            limit(st, s, price, qty, 0)


def _submit_cases(name, orders, target):
    n = len(orders)
    made = {}

    def setup(key):
        def prepare():
            made[key] = _grown(n)

        return prepare

    def kernel():
        _kernel_loop(made["kernel"], orders)

    def api():
        submit = made["api"].submit_limit
        for side, price, qty in orders:
            submit(side, price, qty, "gtc")

    def peer():
        submit = nanobook.Exchange().submit_limit
        for side, price, qty in orders:
            submit(side, price, qty, "gtc")

    rows = [
        Case(
            "floor",
            f"{name}: kernel, no checks, pre-grown ({n:,})",
            n,
            {"tickbook": kernel},
            setup={"tickbook": setup("kernel")},
            target=target,
        ),
        Case(
            "floor",
            f"{name}: whole API call, pre-grown ({n:,})",
            n,
            {"tickbook": api, **({"nanobook": peer} if nanobook else {})},
            setup={"tickbook": setup("api")},
            target=target,
        ),
    ]
    return rows


def _cancel_cases(n):
    orders = resting_orders(n, seed=3)
    made = {}

    def setup(key):
        def prepare():
            ex = _grown(n)
            ids = [ex.submit_limit(s, p, q, "gtc").order_id for s, p, q in orders]
            random.Random(4).shuffle(ids)
            made[key] = (ex, ids)

        return prepare

    def kernel():
        ex, ids = made["kernel"]
        cancel, st = ex._k.cancel, ex._st
        for oid in ids:
            cancel(st, oid)

    def api():
        ex, ids = made["api"]
        cancel = ex.cancel
        for oid in ids:
            cancel(oid)

    def peer_setup():
        ex = nanobook.Exchange()
        ids = [ex.submit_limit(s, p, q, "gtc").order_id for s, p, q in orders]
        random.Random(4).shuffle(ids)
        made["peer"] = (ex, ids)

    def peer():
        ex, ids = made["peer"]
        cancel = ex.cancel
        for oid in ids:
            cancel(oid)

    api_runners = {"tickbook": api, **({"nanobook": peer} if nanobook else {})}
    api_setup = {"tickbook": setup("api"), **({"nanobook": peer_setup} if nanobook else {})}
    return [
        Case(
            "floor",
            f"random cancels: kernel, no checks ({n:,})",
            n,
            {"tickbook": kernel},
            setup={"tickbook": setup("kernel")},
            target="1.5x nanobook's whole call",
        ),
        Case(
            "floor",
            f"random cancels: whole API call ({n:,})",
            n,
            api_runners,
            setup=api_setup,
            target="1.5x nanobook's whole call",
        ),
    ]


def cases(quick: bool) -> list[Case]:
    """The layers of a call; ``quick`` shrinks the workloads."""
    from tickbook.book import Exchange

    n = 20_000 if quick else 200_000
    probe = Exchange()
    door = _empty_kernel_door(probe)
    st = probe._st
    empty = _Empty()

    def method():
        submit = empty.submit_limit
        for _ in range(n):
            submit("buy", 100, 10, "gtc")

    def entry():
        for _ in range(n):
            door(st, 0, 100, 10, 0)

    return [
        Case("floor", f"empty Python method, 4 arguments ({n:,})", n, {"tickbook": method}),
        Case("floor", f"compiled entry point, empty kernel ({n:,})", n, {"tickbook": entry}),
        *_submit_cases("resting submits", resting_orders(n), "1.5x nanobook's whole call"),
        *_submit_cases("crossing flow", crossing_orders(n), "3x nanobook's whole call"),
        *_cancel_cases(n),
    ]
