"""SimBroker: what an order costs through the paper broker (no peer has one to compare).

- market order: validation, the slippage model's book built in a scratch Exchange, the match,
  cash and position booking;
- resting limit + fill on a quote update: the order rests in the symbol's Exchange and the
  market's flow fills it when the price crosses;
- journaled market order: the same, with the command appended and fsynced to the state file
  first (the disk's fsync time dominates: a figure for the machine, not for tickbook).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._harness import Case


def _broker(state_path=None):
    from tickbook.backtest import FixedBps
    from tickbook.brokers import SimBroker

    return SimBroker(10**15, prices={"AAPL": 100_00}, slippage=FixedBps(1), state_path=state_path)


def cases(quick: bool) -> list[Case]:
    n = 200 if quick else 2_000
    state: dict = {}

    def fresh():
        state["b"] = _broker()

    def market():
        b = state["b"]
        for _ in range(n):
            b.submit_order("AAPL", "buy", 10)

    def rest_then_cross():
        b = state["b"]
        for k in range(n // 2):
            b.submit_order("AAPL", "buy", 10, "limit", limit_price_cents=99_00)
            b.set_price("AAPL", 98_00 if k % 2 == 0 else 100_00)

    def fresh_journal():
        old = state.get("b")
        if old is not None:
            old.close()
        folder = Path(tempfile.mkdtemp(prefix="tickbook-bench-"))
        state["b"] = _broker(folder / "sim.jsonl")

    journal_n = max(20, n // 20)

    def journaled():
        b = state["b"]
        for _ in range(journal_n):
            b.submit_order("AAPL", "buy", 10)

    return [
        Case("brokers", "sim market order", n, {"tickbook": market}, setup={"tickbook": fresh}),
        Case(
            "brokers",
            "sim limit rests, fills on a quote (per command)",
            n,
            {"tickbook": rest_then_cross},
            setup={"tickbook": fresh},
        ),
        Case(
            "brokers",
            "sim market order, journaled (fsync)",
            journal_n,
            {"tickbook": journaled},
            setup={"tickbook": fresh_journal},
            repeat=3,
        ),
    ]
