"""Pre-trade risk: one ``check_order`` against the floor of a Python call, and a batch.

Issue 11 asks one ``check_order`` from Python within 3x a plain Python function call's floor
(measured here: an empty function with check_order's arguments, in the same run) and a
500-order ``check_batch`` under 1 ms. nanobook's ``RiskEngine`` runs the same calls beside.
Read the ``floor`` column's ratio as floor/tickbook: 0.33 or more meets the 3x target.
"""

from __future__ import annotations

from benchmarks._harness import Case

try:
    import nanobook
except ImportError:
    nanobook = None

EQUITY = 1_000_000_00


def _empty(symbol, side, quantity, price_cents, *, equity_cents, positions=()):
    return None


def _batch_workload(n: int) -> tuple[list, list, list]:
    orders = [(f"S{i:03d}", "buy" if i % 2 else "sell", 10 + i % 7, 100_00 + i) for i in range(n)]
    positions = [(f"S{i:03d}", 100) for i in range(n)]
    targets = [(f"S{i:03d}", 0.001) for i in range(n)]
    return orders, positions, targets


def cases(quick: bool) -> list[Case]:
    """One order against the floor and nanobook; a 500-order batch against nanobook."""
    from tickbook.risk import RiskEngine

    # short runs, best of many: on a shared machine the best run is the one without
    # neighbours, for the floor and for tickbook alike
    n = 2_000 if quick else 5_000
    repeat = 20 if quick else 200
    positions = [("AAPL", 200), ("MSFT", 100)]
    risk = RiskEngine(max_position_pct=0.25, max_leverage=1.5)

    def order_loop(check):
        def run():
            for _ in range(n):
                check("AAPL", "buy", 100, 185_00, equity_cents=EQUITY, positions=positions)

        return run

    order_runners = {"tickbook": order_loop(risk.check_order), "floor": order_loop(_empty)}
    big = 10**12
    wide = {"max_order_value_cents": big, "max_batch_value_cents": big}
    batch_risk = RiskEngine(max_trade_value_cents=big, **wide)
    orders, held, targets = _batch_workload(500)
    reps = 2 if quick else 5

    def batch_loop(check):
        def run():
            for _ in range(reps):
                check(orders=orders, equity_cents=10**10, positions=held, target_weights=targets)

        return run

    batch_runners = {"tickbook": batch_loop(batch_risk.check_batch)}
    if nanobook is not None:
        order_runners["nanobook"] = order_loop(nanobook.RiskEngine().check_order)
        batch_runners["nanobook"] = batch_loop(nanobook.RiskEngine(**wide).check_batch)
    return [
        Case("risk", f"check_order ({n:,})", n, order_runners, target="<= 3x floor", repeat=repeat),
        Case(
            "risk",
            f"check_batch, 500 orders ({reps})",
            reps,
            batch_runners,
            unit="batch",
            target="< 1 ms (1,000,000 ns)",
            repeat=repeat,
        ),
    ]
