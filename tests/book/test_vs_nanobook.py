"""tickbook against its peer nanobook on plain order flow: same trades, statuses and books.

Plain flow is what both engines support: limit GTC/IOC/FOK, market, cancel and modify, on
random seeded sequences in a narrow band of prices. Where the two differ by design, the tests
say so explicitly:

- a partly filled IOC or market order is CANCELLED in tickbook (its remainder is gone), and
  ``PartiallyFilled`` in nanobook;
- a killed FOK order is kept as CANCELLED by tickbook and forgotten by nanobook;
- nanobook accepts a quantity of 0 and prices of 0 or below; tickbook refuses them;
- nanobook still cancels (and modifies) a partly filled IOC or market order after it is done,
  reporting its already cancelled remainder again (a peer bug): flows leave those calls out.

nanobook 0.19.2 also keeps a level's quantity after cancelling a partly filled order that
queued behind a filled one (``test_nanobook_keeps_a_ghost_level_after_such_a_cancel``), and
then may loop forever on a later order (``test_nanobook_hangs_on_a_known_sequence``). So a flow
is compared up to the step where nanobook's depth contradicts its own answer, and nanobook runs
in a forked worker with a timeout.
"""

from __future__ import annotations

import multiprocessing
import random
from typing import Any

import pytest

from tests.strategies import Op
from tickbook.book import Exchange
from tickbook.core import InvalidOrder, OrderNotActive, OrderStatus, TickbookError, UnknownOrder

nanobook = pytest.importorskip("nanobook")

NB_STATUS = {"New": 0, "PartiallyFilled": 1, "Filled": 2, "Cancelled": 3}
NB_ERRORS = {"OrderNotFound": "unknown", "OrderNotActive": "not_active"}
FLOWS, STEPS, TIMEOUT = 300, 80, 2.0


def plain_flow(seed: int, steps: int = STEPS) -> list[Op]:
    """Limit GTC/IOC/FOK, market, cancel and modify; ids of earlier orders mostly."""
    rng = random.Random(seed)
    ops: list[Op] = []
    for step in range(steps):
        side = rng.choice(("buy", "sell"))
        k = rng.random()
        if k < 0.6:
            tif = rng.choice(("gtc", "gtc", "ioc", "fok"))
            ops.append(("submit_limit", (side, rng.randint(96, 104), rng.randint(1, 20), tif), {}))
        elif k < 0.7:
            ops.append(("submit_market", (side, rng.randint(1, 30)), {}))
        elif k < 0.85:
            ops.append(("cancel", (rng.randint(0, step + 2),), {}))
        else:
            args = (rng.randint(0, step + 2), rng.randint(96, 104), rng.randint(1, 20))
            ops.append(("modify", args, {}))
    return ops


def comparable(ops: list[Op]) -> list[Op]:
    """Leave out cancels and modifies of partly filled IOC / market orders (see above)."""
    ex = Exchange()
    done_but_partial: set[int] = set()
    kept = []
    for op in ops:
        name, args, kwargs = op
        if name in ("cancel", "modify") and args[0] in done_but_partial:
            continue
        kept.append(op)
        try:
            res = getattr(ex, name)(*args, **kwargs)
        except TickbookError:
            continue
        ioc = name == "submit_market" or (name == "submit_limit" and args[3] == "ioc")
        if ioc and 0 < res.filled_quantity < args[-1 if name == "submit_market" else 2]:
            done_but_partial.add(res.order_id)
    return kept


def trade_rows(trades: Any) -> list[tuple[int, ...]]:
    return [(t.price, t.quantity, t.aggressor_order_id, t.passive_order_id) for t in trades]


def levels(snapshot: Any) -> tuple[list[tuple[int, ...]], ...]:
    return tuple(
        [(lv.price, lv.quantity, lv.order_count) for lv in side]
        for side in (snapshot.bids, snapshot.asks)
    )


# -- the two engines, each answering in the same shape ---------------------------------------


def tickbook_outcome(op: Op, res: Any) -> tuple[Any, ...]:
    name = op[0]
    if isinstance(res, TickbookError):
        kind = "unknown" if isinstance(res, UnknownOrder) else "not_active"
        assert isinstance(res, UnknownOrder | OrderNotActive), res
        return (name, "error", kind)
    if name == "cancel":
        return (name, res.cancelled_quantity)
    if name == "modify":
        return (name, res.new_order_id, res.cancelled_quantity, trade_rows(res.trades))
    status = int(res.status)
    if status == OrderStatus.CANCELLED and res.filled_quantity > 0:
        status = OrderStatus.PARTIALLY_FILLED  # by design: nanobook says PartiallyFilled
    return (
        name,
        res.order_id,
        status,
        res.filled_quantity,
        res.resting_quantity,
        res.cancelled_quantity,
        trade_rows(res.trades),
    )


def nanobook_outcome(op: Op, res: Any) -> tuple[Any, ...]:
    name = op[0]
    if name in ("cancel", "modify") and not res.success:
        return (name, "error", NB_ERRORS.get(res.error, res.error))
    if name == "cancel":
        return (name, res.cancelled_quantity)
    if name == "modify":
        return (name, res.new_order_id, res.cancelled_quantity, trade_rows(res.trades))
    return (
        name,
        res.order_id,
        NB_STATUS[res.status],
        res.filled_quantity,
        res.resting_quantity,
        res.cancelled_quantity,
        trade_rows(res.trades),
    )


def run_tickbook(ops: list[Op]) -> list[tuple[Any, ...]]:
    ex = Exchange()
    steps = []
    killed_fok = set()  # by design nanobook forgets these: their ids are unknown there
    for op in ops:
        name, args, kwargs = op
        try:
            res = getattr(ex, name)(*args, **kwargs)
        except TickbookError as error:
            res = error
        outcome = tickbook_outcome(op, res)
        if name == "submit_limit" and args[3] == "fok" and res.filled_quantity == 0:
            killed_fok.add(res.order_id)
        if isinstance(res, OrderNotActive) and args[0] in killed_fok:
            outcome = (name, "error", "unknown")
        steps.append((outcome, levels(ex.full_book())))
    return steps


def side_totals(ex: Any) -> tuple[int, int]:
    book = ex.full_book()
    return sum(lv.quantity for lv in book.bids), sum(lv.quantity for lv in book.asks)


def run_nanobook(ops: list[Op], check: bool = True) -> tuple[list[tuple[Any, ...]], int | None]:
    """Run ``ops``; stop where nanobook's depth contradicts its own answer (a peer bug).

    Answers the steps run and the index of the step where it stopped (``None``: all ran).
    Without icebergs, a step changes each side's displayed total by what it says it did:
    its own side gains what rests and loses what is cancelled, the other side loses what
    traded. Stopping there also avoids the flows on which nanobook 0.19.2 then loops forever.
    """
    ex = nanobook.Exchange()
    steps = []
    for i, op in enumerate(ops):
        name, args, kwargs = op
        before = side_totals(ex)
        own = None
        if name in ("cancel", "modify"):
            old = ex.get_order(args[0])
            own = None if old is None else ("buy", "sell").index(old.side)
        else:
            own = ("buy", "sell").index(args[0])
        res = getattr(ex, name)(*args, **kwargs)
        after = side_totals(ex)
        steps.append((nanobook_outcome(op, res), levels(ex.full_book())))
        change = [0, 0]
        if name == "cancel" and res.success:
            change[own] -= res.cancelled_quantity
        elif name == "modify" and res.success:
            new = ex.get_order(res.new_order_id)
            filled = sum(t.quantity for t in res.trades)
            change[own] += new.remaining_quantity - res.cancelled_quantity
            change[1 - own] -= filled
        elif name.startswith("submit"):
            change[own] += res.resting_quantity
            change[1 - own] -= res.filled_quantity
        if check and [a - b for a, b in zip(after, before, strict=True)] != change:
            return steps, i
    return steps, None


class NanobookWorker:
    """Runs nanobook flows in a forked process, so that a flow that hangs can be abandoned."""

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("fork")
        self._pool = self._ctx.Pool(1)

    def run(
        self, ops: list[Op], check: bool = True
    ) -> tuple[list[tuple[Any, ...]], int | None] | None:
        try:
            return self._pool.apply_async(run_nanobook, (ops, check)).get(TIMEOUT)
        except multiprocessing.TimeoutError:
            self._pool.terminate()
            self._pool = self._ctx.Pool(1)
            return None

    def close(self) -> None:
        self._pool.terminate()


@pytest.fixture(scope="module")
def worker():
    w = NanobookWorker()
    yield w
    w.close()


# -- tests ----------------------------------------------------------------------------------


def test_plain_flows_give_the_same_trades_statuses_and_books_as_nanobook(worker):
    hung, stopped, compared = [], [], 0
    for seed in range(FLOWS):
        ops = comparable(plain_flow(seed))
        answer = worker.run(ops)
        if answer is None:
            hung.append(seed)
            continue
        theirs, stop = answer
        ours = run_tickbook(ops)
        for step, (mine, other) in enumerate(zip(ours, theirs, strict=False)):
            if step == stop:  # nanobook's book went wrong here: compare its answer only
                assert mine[0] == other[0], f"seed {seed}, step {step}: {ops[step]}"
                stopped.append(seed)
                break
            assert mine == other, f"seed {seed}, step {step}: {ops[step]}"
            compared += 1
    assert len(hung) <= FLOWS // 25, f"nanobook hung on flows {hung}"
    assert compared >= FLOWS * STEPS // 3, f"only {compared} steps compared ({stopped=})"


def test_a_partly_filled_ioc_order_is_cancelled_here_and_partially_filled_in_nanobook():
    ours, theirs = Exchange(), nanobook.Exchange()
    for ex in (ours, theirs):
        ex.submit_limit("sell", 100, 5, "gtc")

    mine = ours.submit_limit("buy", 100, 8, "ioc")
    other = theirs.submit_limit("buy", 100, 8, "ioc")

    assert (mine.filled_quantity, mine.cancelled_quantity) == (5, 3)
    assert (other.filled_quantity, other.cancelled_quantity) == (5, 3)
    assert mine.status is OrderStatus.CANCELLED and other.status == "PartiallyFilled"


def test_a_killed_fok_order_is_kept_here_and_forgotten_by_nanobook():
    ours, theirs = Exchange(), nanobook.Exchange()
    for ex in (ours, theirs):
        ex.submit_limit("sell", 100, 5, "gtc")

    mine = ours.submit_limit("buy", 100, 8, "fok")
    other = theirs.submit_limit("buy", 100, 8, "fok")

    assert mine.status is OrderStatus.CANCELLED and other.status == "Cancelled"
    assert ours.get_order(mine.order_id).status is OrderStatus.CANCELLED
    assert theirs.get_order(other.order_id) is None


def test_nanobook_cancels_a_partly_filled_ioc_order_again_after_it_is_done():
    ours, theirs = Exchange(), nanobook.Exchange()
    for ex in (ours, theirs):
        ex.submit_limit("sell", 100, 5, "gtc")
        ex.submit_limit("buy", 100, 8, "ioc")  # id 2: 5 filled, 3 cancelled at once

    again = theirs.cancel(2)

    assert again.success and again.cancelled_quantity == 3  # the same 3, a second time
    with pytest.raises(OrderNotActive):
        ours.cancel(2)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("buy", 100, 0, "gtc"), "quantity"),
        (("buy", 0, 5, "gtc"), "price"),
        (("buy", -5, 5, "gtc"), "price"),
    ],
    ids=["quantity 0", "price 0", "negative price"],
)
def test_nanobook_accepts_what_tickbook_refuses(args, field):
    theirs = nanobook.Exchange()
    ours = Exchange()

    accepted = theirs.submit_limit(*args)
    with pytest.raises(InvalidOrder) as info:
        ours.submit_limit(*args)

    assert accepted.order_id == 1 and info.value.field == field
    assert ours.clock == 0 and ours.full_book().bids == []


def test_nanobook_accepts_a_market_order_of_quantity_zero_and_tickbook_refuses_it():
    assert nanobook.Exchange().submit_market("buy", 0).filled_quantity == 0
    with pytest.raises(InvalidOrder) as info:
        Exchange().submit_market("buy", 0)
    assert info.value.field == "quantity"


def test_nanobook_modifies_to_a_negative_price_and_tickbook_refuses_it():
    theirs, ours = nanobook.Exchange(), Exchange()
    theirs.submit_limit("sell", 100, 5, "gtc")
    ours.submit_limit("sell", 100, 5, "gtc")

    assert theirs.modify(1, -3, 2).success
    with pytest.raises(InvalidOrder) as info:
        ours.modify(1, -3, 2)

    assert info.value.field == "new_price" and ours.best_ask() == 100


def test_nanobook_keeps_a_ghost_level_after_such_a_cancel():
    ours, theirs = Exchange(), nanobook.Exchange()
    for ex in (ours, theirs):
        ex.submit_limit("buy", 96, 20, "gtc")
        ex.submit_limit("buy", 96, 20, "gtc")
        ex.submit_market("sell", 30)  # id 1 filled, id 2 has 10 left

    assert ours.cancel(2).cancelled_quantity == theirs.cancel(2).cancelled_quantity == 10

    assert ours.full_book().bids == []
    assert levels(theirs.full_book())[0] == [(96, 10, 1)]  # the peer bug


HANGING_FLOW: list[Op] = [
    ("submit_limit", ("buy", 99, 1, "gtc"), {}),
    ("submit_limit", ("sell", 102, 7, "gtc"), {}),
    ("submit_limit", ("sell", 102, 20, "gtc"), {}),
    ("modify", (2, 104, 7), {}),
    ("submit_market", ("buy", 5), {}),
    ("modify", (3, 102, 14), {}),
    ("submit_limit", ("buy", 102, 16, "gtc"), {}),
]


def test_nanobook_hangs_on_a_known_sequence(worker):
    # A peer bug (nanobook 0.19.2), kept here so that the skip above stays honest: when a
    # nanobook release fixes it, this test fails and the worker can go.
    assert worker.run(HANGING_FLOW, check=False) is None
    ours = run_tickbook(HANGING_FLOW)
    assert ours[-1][0][2:6] == (OrderStatus.PARTIALLY_FILLED, 14, 2, 0)
    assert ours[-1][1] == ([(102, 2, 1), (99, 1, 1)], [(104, 7, 1)])
