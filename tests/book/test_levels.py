"""Price levels in order at any book shape: wide, sparse and deep books against the model.

The level order is a two-level structure of sorted chunks (``book/_levels.py``); the flow
tests elsewhere use a few prices, which never split a chunk. Here books hold hundreds to
thousands of levels over huge price ranges, so chunks split, empty and merge.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import config

from tests.book.test_differential import assert_invariants, run_both
from tickbook.book import Exchange, FeedBook
from tickbook.book import _layout as lay
from tickbook.core import TickbookError

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def scaled(n: int) -> int:
    """Fewer examples when the kernels run as plain Python (NUMBA_DISABLE_JIT=1)."""
    return max(5, n // 4) if config.DISABLE_JIT else n


def check_structure(ex: Exchange | FeedBook) -> None:
    """Check the level pool, the chunks and the directory against each other."""
    s = ex._st
    hdr, lv, lx, ld = s.hdr, s.lv, s.lx, s.ld
    for side in (0, 1):
        nlev, nch = int(hdr[lay.H_NLEV + side]), int(hdr[lay.H_NCH + side])
        keys, rows = [], []
        for d in range(nch):
            c = int(ld[side, lay.D_CHUNK, d])
            n = int(ld[side, lay.D_COUNT, c])
            assert 0 < n <= lay.CHUNK, "an empty or overfull chunk is listed"
            chunk = lx[side, c, lay.X_KEY, :n].tolist()
            assert ld[side, lay.D_MAX, d] == chunk[-1], "stale largest key"
            keys += chunk
            rows += lx[side, c, lay.X_SLOT, :n].tolist()
        assert keys == sorted(set(keys)), "keys out of order or repeated"
        used = set(rows)
        holes = [r for r in range(nlev) if r not in used]
        assert set(rows) <= set(range(nlev)) and len(set(rows)) == len(rows)
        assert len(holes) == hdr[lay.H_LV_HOLES + side], "pool rows and chunks disagree"
        assert all(lv[side, r, lay.V_KEY] == 0 for r in holes), "a closed row keeps a key"
        for key, row in zip(keys, rows, strict=True):
            assert lv[side, row, lay.V_KEY] == key
            assert lv[side, row, lay.V_COUNT] > 0, "an empty level stays open"
        top = int(hdr[lay.H_TOP + side])
        assert top == (rows[-1] if rows else -1), "the best level is not the cached top"
        assert nch <= hdr[lay.H_CAP_CHUNKS]
        free = int(hdr[lay.H_CH_FREE + side])
        used = {int(ld[side, lay.D_CHUNK, d]) for d in range(nch)}
        assert used.isdisjoint(int(c) for c in ld[side, lay.D_FREE, :free])
        assert len(used) + free == hdr[lay.H_CH_USED + side]


def model_levels(orders: dict[int, tuple[int, int, int]], side: int) -> list[list[int]]:
    """(price, qty, count) rows, best first, of ``orders`` (id -> (side, price, qty))."""
    acc: dict[int, list[int]] = {}
    for s, p, q in orders.values():
        if s == side:
            row = acc.setdefault(p, [p, 0, 0])
            row[1] += q
            row[2] += 1
    return [acc[p] for p in sorted(acc, reverse=side == 0)]


# -- the Exchange against the reference model, over wide and sparse price ranges -----------

wide_prices = st.one_of(
    st.integers(1, lay.MAX_PRICE),  # anywhere
    st.integers(1_000_000, 1_000_400),  # a dense band: levels repeat and cross
)


@st.composite
def wide_flows(draw: st.DrawFn) -> list:
    ops = []
    for _ in range(draw(st.integers(50, 300))):
        kind = draw(st.sampled_from(["limit"] * 6 + ["cancel"] * 3 + ["market", "stop"]))
        side = draw(st.sampled_from(["buy", "sell"]))
        if kind == "limit":
            ops.append(("submit_limit", (side, draw(wide_prices), draw(st.integers(1, 9))), {}))
        elif kind == "cancel":
            ops.append(("cancel", (draw(st.integers(1, len(ops) + 1)),), {}))
        elif kind == "market":
            ops.append(("submit_market", (side, draw(st.integers(1, 30))), {}))
        else:
            ops.append(
                ("submit_stop_market", (side, draw(wide_prices), draw(st.integers(1, 9))), {})
            )
    return ops


@settings(max_examples=scaled(60), **SETTINGS)
@given(wide_flows())
def test_wide_sparse_books_match_the_model(ops):
    ex, _ = run_both(ops, check_every_step=False)
    check_structure(ex)


# -- deep books: thousands of levels, inserted and cancelled in random order ----------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_deep_inserts_and_cancels_keep_every_level_in_order(seed):
    rng = random.Random(seed)
    n = 600 if config.DISABLE_JIT else 3_000
    ex = Exchange(order_capacity=16)
    live: dict[int, tuple[int, int, int]] = {}
    bids = rng.sample(range(1, 10**12), n)
    asks = rng.sample(range(10**12 + 1, 2 * 10**12), n)
    for price in bids:
        live[ex.submit_limit("buy", price, 3).order_id] = (0, price, 3)
    for price in asks:
        live[ex.submit_limit("sell", price, 2).order_id] = (1, price, 2)
    check_structure(ex)
    for _ in range(3):  # cancel most in random order, then refill: chunks empty and merge
        for oid in rng.sample(sorted(live), len(live) * 4 // 5):
            ex.cancel(oid)
            del live[oid]
        check_structure(ex)
        for price in rng.sample(range(1, 10**12), n // 2):
            if all(p != price for _, p, _ in live.values()):
                live[ex.submit_limit("buy", price, 1).order_id] = (0, price, 1)
        check_structure(ex)
    book = ex.full_book()
    assert book.bid_array.tolist() == model_levels(live, 0)
    assert book.ask_array.tolist() == model_levels(live, 1)
    assert ex.depth(7).bid_array.tolist() == model_levels(live, 0)[:7]
    assert_invariants(ex)


def test_inserting_at_a_new_worst_price_each_time_keeps_the_order():
    ex = Exchange()
    n = 500 if config.DISABLE_JIT else 5_000
    for k in range(n):
        ex.submit_limit("buy", 10**9 - k, 1)
        ex.submit_limit("sell", 10**9 + 1 + k, 1)
    check_structure(ex)
    book = ex.full_book()
    assert book.bid_array[:, 0].tolist() == [10**9 - k for k in range(n)]
    assert book.ask_array[:, 0].tolist() == [10**9 + 1 + k for k in range(n)]
    r = ex.submit_market("sell", n)  # sweeps every bid level, best first
    assert [t.price for t in r.trades] == [10**9 - k for k in range(n)]
    check_structure(ex)
    assert ex.best_bid() is None and ex.best_ask() == 10**9 + 1


def test_a_deep_fok_walks_the_levels_in_price_order():
    ex = Exchange()
    prices = random.Random(5).sample(range(1_000, 100_000), 400)
    for p in prices:
        ex.submit_limit("sell", p, 1)
    limit = sorted(prices)[299]
    killed = ex.submit_limit("buy", limit, 301, "fok")
    assert killed.filled_quantity == 0
    filled = ex.submit_limit("buy", limit, 300, "fok")
    assert [t.price for t in filled.trades] == sorted(prices)[:300]
    check_structure(ex)


def test_feed_books_keep_the_same_structure_on_wide_books():
    book = FeedBook()
    rng = random.Random(9)
    live: dict[int, tuple[int, int, int]] = {}
    for oid in range(1, 2_001):
        side, price = rng.randrange(2), rng.randrange(1, 10**15)
        price = price if side == 0 else price + 10**15
        book.add(oid, "buy" if side == 0 else "sell", price, 5)
        live[oid] = (side, price, 5)
    for oid in rng.sample(sorted(live), 1_500):
        book.delete(oid)
        del live[oid]
    check_structure(book)
    snap = book.depth(10_000)
    assert snap.bid_array.tolist() == model_levels(live, 0)
    assert snap.ask_array.tolist() == model_levels(live, 1)
    book.clear()
    check_structure(book)
    book.add(1, "buy", 7, 1)
    assert book.best_bid_ask() == (7, None)


# -- a level's total quantity cannot wrap past int64 ----------------------------------------


def _fill_level_to(ex: Exchange, price: int, total: int) -> None:
    """Make the bid level at ``price`` hold ``total`` and the book count as crowded.

    Reaching it for real takes 2**22 orders of the largest quantity (~1 GB of book); the
    guard reads the same two numbers either way.
    """
    ex.submit_limit("buy", price, 1)
    s = ex._st
    s.lv[0, s.hdr[lay.H_TOP], lay.V_QTY] = total
    s.hdr[lay.H_NRESTING] = lay.SAFE_RESTING


def test_a_submit_that_would_overflow_its_level_is_refused_and_changes_nothing():
    from tests.reference.book_model import engine_fingerprint

    ex = Exchange()
    _fill_level_to(ex, 100, lay.MAX_LEVEL_QTY - 10)
    before = engine_fingerprint(ex)
    with pytest.raises(TickbookError) as caught:
        ex.submit_limit("buy", 100, 11)
    assert caught.value.field == "quantity" and caught.value.value == 11
    assert engine_fingerprint(ex) == before
    ex.submit_limit("buy", 100, 10)  # exactly up to the limit: accepted
    ex.submit_limit("buy", 99, lay.MAX_QTY)  # another level: accepted
    ex.submit_limit("sell", 100, 5, "ioc")  # trading into it is fine


def test_a_modify_that_would_overflow_its_level_is_refused_and_changes_nothing():
    from tests.reference.book_model import engine_fingerprint

    ex = Exchange()
    oid = ex.submit_limit("buy", 90, 5).order_id
    _fill_level_to(ex, 100, lay.MAX_LEVEL_QTY - 10)
    before = engine_fingerprint(ex)
    with pytest.raises(TickbookError) as caught:
        ex.modify(oid, 100, 11)
    assert caught.value.field == "new_quantity"
    assert engine_fingerprint(ex) == before


def test_a_batch_refuses_the_command_that_would_overflow_and_goes_on():
    from tickbook.book import CommandKind, make_commands

    ex = Exchange()
    _fill_level_to(ex, 100, lay.MAX_LEVEL_QTY - 10)
    cmds = make_commands(CommandKind.LIMIT, np.array([0, 0]), np.array([100, 100]), [11, 10])
    results, _ = ex.submit_batch(cmds)
    assert results["error"].tolist() == [lay.E_LEVEL_QTY, 0]
    assert ex.depth(1).bid_array.tolist() == [[100, lay.MAX_LEVEL_QTY, 2]]


def test_feed_adjustments_that_would_overflow_a_level_are_refused():
    book = FeedBook()
    for _ in range(4):
        book.adjust_level("buy", 100, lay.MAX_QTY)
    s = book._st
    s.lv[0, s.hdr[lay.H_TOP], lay.V_QTY] = lay.MAX_LEVEL_QTY - 3  # as after 2**22 adjustments
    with pytest.raises(TickbookError):
        book.adjust_level("buy", 100, 4)
    with pytest.raises(TickbookError):
        book.add(7, "buy", 100, 4)
    book.adjust_level("buy", 100, 3)
    assert book.level("buy", 100)[0] == lay.MAX_LEVEL_QTY


def test_pending_stops_reserve_no_level_chunks():
    # each pending stop may open a level when it fires; chunks are taken when a split needs
    # one, not reserved per stop (64 keys each): their arrays follow the book, not the stops
    ex = Exchange()
    ex.submit_limit("sell", 1_000, 5)
    ex.submit_limit("buy", 1_000, 1)
    for k in range(2_000):
        ex.submit_stop_limit("buy", 2_000 + k, 1_500 + k, 1)
    assert ex.pending_stop_count() == 2_000 and ex._st.lx.shape[1] <= 8
    ex.submit_limit("sell", 5_000, 10_000)
    ex.submit_limit("buy", 5_000, 10_000)  # last 5000: every stop fires, ~2000 new bid levels
    assert ex.pending_stop_count() == 0
    check_structure(ex)
    assert len(ex.full_book().bids) == 2_000
