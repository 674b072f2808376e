"""Differential and property tests: random operation sequences through the engine and the model.

After every operation the engine's answer and its whole observable book (levels, L3 queues,
orders and stops by id, trades, clock) must equal the reference model's
(``tests/reference/book_model.py``), and the engine must keep its invariants on its own: never
crossed, level totals equal the displayed quantities of their orders, FIFO among plain orders,
and every order's fills equal the trades it took part in. At the end, replaying the event log,
saving and loading it, and running it as one batch all rebuild the same state.
"""

from __future__ import annotations

import ast
import importlib
import os
import tempfile
from collections import defaultdict
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from numba import config
from numba.core.registry import CPUDispatcher

from tests.reference.book_model import (
    RefError,
    RefExchange,
    RefSubmit,
    engine_fingerprint,
)
from tests.strategies import Op, op_sequences, self_trade_sequences
from tickbook.book import Exchange, ModifyResult, SubmitResult
from tickbook.core import OrderNotActive, TickbookError, UnknownOrder


def scaled(n: int) -> int:
    """Fewer examples when the kernels run as plain Python (NUMBA_DISABLE_JIT=1)."""
    return max(10, n // 2) if config.DISABLE_JIT else n


SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


# -- running one operation on either side ---------------------------------------------------


def call(target: Any, op: Op) -> Any:
    """Run ``op`` on ``target``; return its result or the refusal it raised."""
    name, args, kwargs = op
    try:
        return getattr(target, name)(*args, **kwargs)
    except (TickbookError, RefError) as error:
        return error


def engine_outcome(name: str, res: Any) -> tuple[Any, ...]:
    if isinstance(res, TickbookError):
        kind = (
            "unknown"
            if isinstance(res, UnknownOrder)
            else "not_active"
            if isinstance(res, OrderNotActive)
            else "invalid"
        )
        return ("error", kind, res.field)
    if isinstance(res, SubmitResult):
        return ("order", *order_outcome(res, [tuple(t) for t in res.trades]))
    if isinstance(res, ModifyResult):
        assert res.success and res.new_order_id == res.submit.order_id
        return ("modify", res.cancelled_quantity, order_outcome(res.submit, res.trades))
    if name in ("cancel", "reduce"):
        assert res.success and res.error is None
        return (name, res.cancelled_quantity)
    if name.startswith("submit_") and "stop" in name:
        return ("stop", res.order_id, res.status)
    return (name, res)


def model_outcome(name: str, res: Any) -> tuple[Any, ...]:
    if isinstance(res, RefError):
        return ("error", res.kind, res.field)
    if isinstance(res, RefSubmit):
        return ("order", *order_outcome(res, [astuple(t) for t in res.trades]))
    if name == "modify":
        cut, sub = res
        return ("modify", cut, order_outcome(sub, [astuple(t) for t in sub.trades]))
    if name in ("cancel", "reduce"):
        return (name, res)
    if name.startswith("submit_") and "stop" in name:
        return ("stop", *res)
    return (name, res)


def order_outcome(res: Any, trades: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return (
        res.order_id,
        int(res.status),
        res.filled_quantity,
        res.resting_quantity,
        res.cancelled_quantity,
        [tuple(int(x) for x in t) for t in trades],
    )


# -- comparing the whole book ---------------------------------------------------------------


def engine_book(ex: Exchange) -> dict[str, Any]:
    book = ex.full_book()
    return {
        "bids": book.bid_array.tolist(),
        "asks": book.ask_array.tolist(),
        "buy orders": [tuple(r) for r in ex.orders("buy").tolist()],
        "sell orders": [tuple(r) for r in ex.orders("sell").tolist()],
        "best": ex.best_bid_ask(),
        "last": ex.last_trade_price(),
        "clock": ex.clock,
        "pending stops": ex.pending_stop_count(),
    }


def model_book(m: RefExchange) -> dict[str, Any]:
    return {
        "bids": [list(lv) for lv in m.book.levels(0)],
        "asks": [list(lv) for lv in m.book.levels(1)],
        "buy orders": m.book.orders(0),
        "sell orders": m.book.orders(1),
        "best": m.best_bid_ask(),
        "last": m.last_trade_price(),
        "clock": m.clock,
        "pending stops": m.pending_stop_count(),
    }


def engine_order(ex: Exchange, oid: int) -> tuple[Any, ...] | None:
    o = ex.get_order(oid)
    if o is None:
        return None
    return (
        int(o.side),
        o.price or 0,
        o.original_quantity,
        o.filled_quantity,
        o.remaining_quantity,
        o.cancelled_quantity,
        o.visible_quantity,
        int(o.status),
        o.timestamp,
        o.owner,
        o.display_quantity or 0,
        o.post_only,
    )


def model_order(m: RefExchange, oid: int) -> tuple[Any, ...] | None:
    o = m.orders_by_id.get(oid)
    if o is None:
        return None
    return (
        o.side,
        o.price,
        o.quantity,
        o.filled,
        o.open,
        o.cancelled,
        o.visible,
        o.status,
        o.timestamp,
        o.owner,
        o.display,
        o.post_only,
    )


def engine_stop(ex: Exchange, oid: int) -> tuple[Any, ...] | None:
    s = ex.get_stop_order(oid)
    if s is None:
        return None
    return (int(s.side), s.stop_price, s.limit_price or 0, s.quantity, s.status, s.timestamp)


def model_stop(m: RefExchange, oid: int) -> tuple[Any, ...] | None:
    s = m.stops.get(oid)
    if s is None:
        return None
    return (s.side, s.stop_price, s.limit_price, s.quantity, s.status, s.timestamp)


def assert_same(ex: Exchange, m: RefExchange, step: int, op: Op, seen_trades: int) -> None:
    where = f"after step {step}: {op}"
    assert engine_book(ex) == model_book(m), where
    bids, asks = m.book.levels(0), m.book.levels(1)
    top = ex.depth(2)  # a cached view: must follow every change of the book
    assert (top.bids, top.asks) == (bids[:2], asks[:2]), where
    if bids and asks:
        (bid, bid_qty, _), (ask, ask_qty, _) = bids[0], asks[0]
        assert top.spread() == ex.spread() == ask - bid
        assert top.mid_price() == (bid + ask) / 2
        assert top.weighted_mid() == (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty)
    shown = sum(q for _, q, _ in bids[:2]), sum(q for _, q, _ in asks[:2])
    if sum(shown):
        assert top.imbalance() == (shown[0] - shown[1]) / sum(shown)
    for oid in range(1, m.next_id + 1):
        assert engine_order(ex, oid) == model_order(m, oid), f"order {oid} {where}"
        assert engine_stop(ex, oid) == model_stop(m, oid), f"stop {oid} {where}"
    new = [tuple(t) for t in ex.trades()[seen_trades:]]
    assert new == [astuple(t) for t in m.trade_log[seen_trades:]], f"trades {where}"


# -- the engine's own invariants ------------------------------------------------------------


def assert_invariants(ex: Exchange) -> None:
    bid, ask = ex.best_bid_ask()
    assert bid is None or ask is None or bid < ask, "the book is crossed"
    book = ex.full_book()
    for side, levels in (("buy", book.bid_array.tolist()), ("sell", book.ask_array.tolist())):
        rows = ex.orders(side).tolist()
        by_price: dict[int, list[tuple[int, ...]]] = defaultdict(list)
        for row in rows:
            by_price[row[1]].append(row)
        assert [p for p, _, _ in levels] == list(dict.fromkeys(r[1] for r in rows))
        for price, qty, count in levels:
            queue = by_price[price]
            assert qty == sum(r[2] for r in queue) and count == len(queue)
            assert all(1 <= r[2] <= r[3] for r in queue)
            plain = [r[5] for r in queue if ex.get_order(r[0]).display_quantity is None]
            assert plain == sorted(plain) and len(set(plain)) == len(plain), "FIFO broken"
    traded: dict[int, int] = defaultdict(int)
    for t in ex.trades():
        traded[t.aggressor_order_id] += t.quantity
        traded[t.passive_order_id] += t.quantity
    for oid in range(1, ex.clock + 2):
        o = ex.get_order(oid)
        if o is None:
            continue
        assert o.filled_quantity == traded[oid], f"order {oid}: fills != its trades"
        assert o.filled_quantity + o.remaining_quantity + o.cancelled_quantity == (
            o.original_quantity
        )
        assert o.cancelled_quantity >= 0 and o.remaining_quantity >= 0
        assert (o.remaining_quantity > 0) == o.status.is_active()


def run_both(ops: list[Op], *, check_every_step: bool = True) -> tuple[Exchange, RefExchange]:
    ex, m = Exchange(order_capacity=16), RefExchange()  # tiny: growth happens mid-sequence
    for step, op in enumerate(ops):
        seen = len(m.trade_log)
        before = engine_fingerprint(ex) if check_every_step else None
        got = call(ex, op)
        want = call(m, op)
        assert engine_outcome(op[0], got) == model_outcome(op[0], want), f"step {step}: {op}"
        if isinstance(got, TickbookError) and before is not None:
            assert engine_fingerprint(ex) == before, f"refused step {step} changed the state"
        if isinstance(got, SubmitResult):
            assert got.filled_quantity + got.resting_quantity + got.cancelled_quantity == (
                op[1][2] if op[0] == "submit_limit" else op[1][1]
            )
        if check_every_step:
            assert_same(ex, m, step, op, seen)
            assert_invariants(ex)
    if not check_every_step:
        assert_same(ex, m, len(ops), ("end",), 0)
        assert_invariants(ex)
    return ex, m


# -- tests ----------------------------------------------------------------------------------


@settings(max_examples=scaled(1000), **SETTINGS)
@given(op_sequences(max_size=40))
def test_engine_matches_the_model_after_every_operation(ops):
    run_both(ops)


@settings(max_examples=scaled(300), **SETTINGS)
@given(op_sequences(min_size=40, max_size=120))
def test_engine_matches_the_model_on_long_sequences(ops):
    run_both(ops, check_every_step=False)


@settings(max_examples=scaled(600), **SETTINGS)
@given(self_trade_sequences())
def test_icebergs_and_self_trade_prevention_match_the_model(ops):
    run_both(ops)


@settings(max_examples=scaled(300), **SETTINGS)
@given(op_sequences(max_size=40, stops=False, extras=False))
def test_plain_flow_matches_the_model_after_every_operation(ops):
    run_both(ops)


@settings(max_examples=scaled(300), **SETTINGS)
@given(op_sequences(max_size=60))
def test_replay_of_the_event_log_rebuilds_the_same_state(ops):
    ex = Exchange()
    for op in ops:
        call(ex, op)
    again = Exchange.replay(ex.events())
    assert engine_fingerprint(again) == engine_fingerprint(ex)


@settings(max_examples=scaled(100), **SETTINGS)
@given(op_sequences(max_size=60))
def test_save_and_load_rebuild_the_same_state(ops):
    ex = Exchange()
    for op in ops:
        call(ex, op)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        ex.save(path)
        loaded = Exchange.load(path)
    assert engine_fingerprint(loaded) == engine_fingerprint(ex)


@settings(max_examples=scaled(150), **SETTINGS)
@given(op_sequences(max_size=40), op_sequences(max_size=30))
def test_compacting_changes_nothing_observable_now_or_later(before, after):
    plain, compacted = Exchange(), Exchange()
    for op in before:
        call(plain, op)
        call(compacted, op)
    plain.clear_order_history()
    compacted.clear_order_history()

    compacted.compact()

    assert engine_fingerprint(compacted) == engine_fingerprint(plain)
    for op in after:
        assert engine_outcome(op[0], call(compacted, op)) == engine_outcome(op[0], call(plain, op))
    assert engine_fingerprint(compacted) == engine_fingerprint(plain)


def expected_batch_rows(op: Op, res: Any) -> list[tuple[int, ...] | None]:
    """The batch answer rows (order id, status, filled, resting, cancelled) of one logged op.

    ``None`` stands for a row whose content the batch does not promise (only ``error == 0``).
    """
    name = op[0]
    if isinstance(res, SubmitResult):
        return [order_row(res)]
    if isinstance(res, ModifyResult):
        return [order_row(res.submit)]
    if name == "cancel":
        return [(op[1][0], 3, 0, 0, res.cancelled_quantity)]
    if name == "reduce":
        return [(op[1][0], 1, 0, op[1][1], res.cancelled_quantity)]
    if name.startswith("submit_trailing"):
        return [(res.order_id, ("pending", "triggered").index(res.status), 0, 0, 0), None]
    if name.startswith("submit_stop"):
        return [(res.order_id, ("pending", "triggered").index(res.status), 0, 0, 0)]
    return [None]


def order_row(res: SubmitResult) -> tuple[int, ...]:
    return (
        res.order_id,
        int(res.status),
        res.filled_quantity,
        res.resting_quantity,
        res.cancelled_quantity,
    )


@settings(max_examples=scaled(300), **SETTINGS)
@given(op_sequences(max_size=60))
def test_a_batch_gives_the_same_answers_and_trades_as_one_call_at_a_time(ops):
    single = Exchange()
    quiet = Exchange(record_events=False)
    expected: list[tuple[int, ...] | None] = []
    trades_of: list[list[tuple[int, ...]] | None] = []
    for op in ops:
        res = call(single, op)
        call(quiet, op)
        if isinstance(res, TickbookError):
            continue
        rows = expected_batch_rows(op, res)
        expected += rows
        own = res.trades if isinstance(res, (SubmitResult, ModifyResult)) else None
        trades_of += [None if own is None else [tuple(t) for t in own]] + [None] * (len(rows) - 1)
    commands = single.events()
    assert len(commands) == len(expected)

    batch = Exchange()
    results, trades = batch.submit_batch(commands)

    assert (results["error"] == 0).all()
    got = results[["order_id", "status", "filled", "resting", "cancelled"]].tolist()
    for i, (row, want) in enumerate(zip(got, expected, strict=True)):
        if want is not None:
            assert tuple(row) == want, f"command {i}: {commands[i]}"
        if trades_of[i] is not None:
            lo, hi = results["trade_start"][i], results["trade_end"][i]
            assert [tuple(t) for t in trades[lo:hi].tolist()] == trades_of[i], f"command {i}"
    assert trades.tolist() == single.trades_array().tolist()
    assert engine_fingerprint(batch) == engine_fingerprint(single)
    assert engine_fingerprint(quiet)[:-1] == engine_fingerprint(single)[:-1]


def test_an_empty_batch_changes_nothing():
    ex = Exchange()
    ex.submit_limit("sell", 100, 5)
    before = engine_fingerprint(ex)

    results, trades = ex.submit_batch(ex.events()[:0])

    assert len(results) == 0 and len(trades) == 0
    assert engine_fingerprint(ex) == before


def book_dependencies(module: str, seen: set[str] | None = None) -> set[str]:
    """The ``tickbook.book`` modules (dotted names) that ``module`` imports, transitively."""
    seen = set() if seen is None else seen
    source = importlib.import_module(module).__file__
    for node in ast.walk(ast.parse(Path(source).read_text())):
        name = node.module if isinstance(node, ast.ImportFrom) else None
        if (name or "").startswith("tickbook.book.") and name not in seen:
            seen.add(name)
            book_dependencies(name, seen)
    return seen


KERNEL_MODULES = (
    "_kernels",
    "_stops",
    "_matching",
    "_levels",
    "_slots",
    "_index",
    "_room",
    "_feed",
)


def test_no_cached_kernel_is_older_than_the_code_it_compiles_in():
    # Numba's cache=True checks only the caller's own file: after an edit to _stops.py, the
    # cached kernels of _kernels.py still run the old _run_stops (numba/numba#1833). A stale
    # cache makes every compiled test here check old code; clear src/tickbook/book/__pycache__.
    if config.DISABLE_JIT:
        pytest.skip("no kernel cache when the kernels run as Python (NUMBA_DISABLE_JIT=1)")
    if os.environ.get("NUMBA_CACHE_DIR"):
        pytest.skip("NUMBA_CACHE_DIR moves the cache: only the in-tree cache is checked")
    book = Path(importlib.import_module("tickbook.book").__file__).parent
    stale = []
    for module in KERNEL_MODULES:
        name = f"tickbook.book.{module}"
        mod = importlib.import_module(name)
        deps = book_dependencies(name) | {name}
        newest = max(Path(importlib.import_module(d).__file__).stat().st_mtime for d in deps)
        for fname, fn in vars(mod).items():
            if not isinstance(fn, CPUDispatcher) or fn.__module__ != mod.__name__:
                continue
            line = fn.py_func.__code__.co_firstlineno
            for index in (book / "__pycache__").glob(f"{module}.{fname}-{line}.py*.nbi"):
                if index.stat().st_mtime < newest:
                    stale.append(index.name)
    assert not stale, f"stale Numba cache (older than a module it compiles in): {stale}"
