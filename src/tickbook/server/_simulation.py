"""``POST /api/simulation``: the reference's load simulation on a fresh in-process engine.

Random limit orders (seeded) around a mid price go through a new ``Exchange`` (the same
engine the service runs, not the live books); latency is timed per order around the call.
"""

from __future__ import annotations

import random
import time
from typing import Any

from tickbook.book import Exchange
from tickbook.core import ValidationError
from tickbook.server._config import SymbolSpec

__all__ = ["run_simulation", "warm_engine"]


def warm_engine() -> None:
    """Run every engine path the service uses once (Numba compiles or loads them here)."""
    ex = Exchange()
    ex.submit_limit("buy", 100, 5, "gtc", owner=1, stp="cancel_newest")
    ex.submit_limit(
        "sell", 101, 5, "gtc", post_only=True, display_quantity=2, owner=2, stp="cancel_newest"
    )
    ex.submit_limit("sell", 100, 2)
    ex.submit_market("buy", 1, owner=3, stp="cancel_newest")
    ex.submit_stop_market("sell", 90, 1, owner=1)
    ex.submit_stop_limit("buy", 120, 121, 1, "gtc", owner=1)
    ex.modify(1, 99, 4)
    ex.cancel(ex.submit_limit("buy", 98, 1).order_id)
    ex.trades()
    ex.clear_trades()
    ex.depth(10)
    ex.full_book()
    ex.orders("buy")
    ex.get_order(1)
    ex.get_stop_order(5)
    Exchange.replay(ex.events())


def run_simulation(spec: SymbolSpec, num_orders: int, seed: int = 1) -> dict[str, Any]:
    """Return the reference's metrics (plus percentiles) for ``num_orders`` random orders."""
    if type(num_orders) is not int or not 1 <= num_orders <= 1_000_000:
        raise ValidationError(
            f"invalid `num_orders`: expected an integer in [1, 1000000], got {num_orders!r}",
            field="num_orders",
            value=num_orders,
        )
    if type(seed) is not int or not 0 <= seed < (1 << 63):
        raise ValidationError(
            f"invalid `seed`: expected a non-negative integer, got {seed!r}",
            field="seed",
            value=seed,
        )
    rng = random.Random(seed)
    mid = min(max((spec.min_ticks + spec.max_ticks) // 2, spec.min_ticks), 5_000_000)
    mid = max(mid, spec.min_ticks + 200)
    lo, hi = max(spec.min_ticks, mid - 200), min(spec.max_ticks, mid + 200)
    top = max(spec.min_lots, min(spec.max_lots, spec.min_lots * 100))
    orders = [
        (
            "buy" if rng.random() < 0.5 else "sell",
            rng.randint(lo, hi),
            rng.randint(spec.min_lots, top),
        )
        for _ in range(num_orders)
    ]
    warm_engine()  # compile or load the kernels outside the timing
    ex = Exchange(record_events=False)
    latencies = []
    trades = volume = 0
    clock = time.perf_counter_ns
    started = clock()
    for side, price, qty in orders:
        t0 = clock()
        r = ex.submit_limit(side, price, qty)
        latencies.append(clock() - t0)
        if r.filled_quantity:
            trades += r.trade_count
            volume += r.filled_quantity
    elapsed = clock() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000

    spread = ex.spread()
    return {
        "orders_submitted": num_orders,
        "trades_executed": trades,
        "avg_latency_us": round(sum(latencies) / len(latencies) / 1000, 3),
        "min_latency_us": latencies[0] / 1000,
        "max_latency_us": latencies[-1] / 1000,
        "p50_latency_us": pct(0.5),
        "p90_latency_us": pct(0.9),
        "p99_latency_us": pct(0.99),
        "p999_latency_us": pct(0.999),
        "throughput_per_sec": round(num_orders / (elapsed / 1e9), 1),
        "simulation_duration_ms": round(elapsed / 1e6, 3),
        "current_spread": spec.price(spread) if spread is not None else None,
        "total_volume_traded": spec.qty(volume),
    }
