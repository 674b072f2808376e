"""The shared benchmark runner: time each library on the same workload, print ratios.

A benchmark module (``bench_<area>.py``) exposes ``cases(quick: bool) -> list[Case]``. Each
``Case`` holds one zero-argument callable per library, all doing the same work of ``ops``
operations. Every runner is called once to warm up (JIT compile time is reported apart),
then ``repeat`` times; the best time counts. Ratios are peer time / tickbook time, so a
ratio above 1 means tickbook is faster.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Case", "Result", "run_case"]


@dataclass
class Case:
    """One workload run through several libraries."""

    area: str
    name: str
    ops: int
    runners: dict[str, Callable[[], object]]
    unit: str = "op"
    target: str = ""  # e.g. ">= 1.5x nanobook"
    repeat: int = 5
    setup: dict[str, Callable[[], object]] = field(default_factory=dict)


@dataclass
class Result:
    """Best time per op for each library, and the warm-up (compile) time apart."""

    case: Case
    ns_per_op: dict[str, float]
    warmup_s: dict[str, float]

    def ratio(self, peer: str) -> float | None:
        """Return peer time / tickbook time (above 1: tickbook is faster)."""
        mine = self.ns_per_op.get("tickbook")
        theirs = self.ns_per_op.get(peer)
        if not mine or theirs is None:
            return None
        return theirs / mine


def run_case(case: Case) -> Result:
    """Time every runner of ``case`` and return the best ns per op of each."""
    ns: dict[str, float] = {}
    warm: dict[str, float] = {}
    for lib, runner in case.runners.items():
        prepare = case.setup.get(lib)
        if prepare is not None:
            prepare()
        t0 = time.perf_counter()
        runner()
        warm[lib] = time.perf_counter() - t0
        best = float("inf")
        for _ in range(case.repeat):
            if prepare is not None:
                prepare()
            gc.collect()
            t0 = time.perf_counter()
            runner()
            best = min(best, time.perf_counter() - t0)
        ns[lib] = best / case.ops * 1e9
    return Result(case, ns, warm)
