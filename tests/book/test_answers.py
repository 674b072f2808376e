"""Kernel answers boxed as result objects, and borrowed field reads inside kernels."""

import gc
import sys

import pytest
from numba import config

from tickbook.book import Exchange, FeedBook
from tickbook.book._jit import cancel_answer, submit_answer
from tickbook.book._results import CancelResult, SubmitResult
from tickbook.core import OrderStatus, UnknownOrder


def test_hot_calls_answer_the_result_classes_themselves():
    ex = Exchange()
    rest = ex.submit_limit("sell", 101, 5)
    trade = ex.submit_limit("buy", 101, 2)
    market = ex.submit_market("buy", 1)
    done = ex.cancel(rest.order_id)
    assert type(rest) is SubmitResult and type(market) is SubmitResult
    assert type(trade) is SubmitResult and type(done) is CancelResult
    assert rest == (1, OrderStatus.NEW, 0, 5, 0, 0, 0, None) and trade[7] is ex._tlog
    assert (trade.order_id, trade.status, trade.filled_quantity) == (2, OrderStatus.FILLED, 2)
    assert [(t.price, t.quantity) for t in trade.trades] == [(101, 2)]
    assert (market.filled_quantity, market.resting_quantity) == (1, 0)
    assert (done.success, done.cancelled_quantity, done.error) == (True, 2, None)


def test_a_refused_cancel_is_an_error_not_a_result():
    ex = Exchange()
    with pytest.raises(UnknownOrder):
        ex.cancel(99)
    assert ex.try_cancel(99).success is False


def test_python_answers_match_the_compiled_layout():
    # the functions run as Python under NUMBA_DISABLE_JIT; compiled, the box builds the same
    log = object()
    assert submit_answer((1, 2, 3, 4, 5, 6, 7), id(log)) == (1, 2, 3, 4, 5, 6, 7, log)
    assert submit_answer((1, 2, 3, 4, 5, 6, 6), id(log)) == (1, 2, 3, 4, 5, 6, 6, None)
    assert submit_answer((1, 2, 3, 4, 5, 6, 7), 0) == (1, 2, 3, 4, 5, 6, 7, None)
    assert type(submit_answer((1, 2, 3, 4, 5, 6, 7), 0)) is SubmitResult
    assert cancel_answer(0, 7) == (True, 7, None)
    assert cancel_answer(-9, 0) == (False, -9, None)
    assert type(cancel_answer(0, 7)) is CancelResult


def test_results_are_independent_objects_that_outlive_the_exchange():
    ex = Exchange()
    results = [ex.submit_limit("buy", 100 + i % 7, 1 + i) for i in range(2_000)]
    del ex
    gc.collect()
    assert [r.order_id for r in results] == list(range(1, 2_001))
    assert all(r.resting_quantity == 1 + i for i, r in enumerate(results))
    assert len({id(r) for r in results}) == len(results)


def test_borrowed_reads_leave_array_refcounts_alone():
    # a field read inside a kernel takes no reference; growth swaps arrays and frees the old
    if config.DISABLE_JIT:
        pytest.skip("borrowed field reads exist only in compiled kernels (NUMBA_DISABLE_JIT=1)")
    ex = Exchange(order_capacity=16)
    hdr = ex._st.hdr
    before = sys.getrefcount(hdr)
    ids = [ex.submit_limit("buy", 100 + i % 50, 1).order_id for i in range(5_000)]
    for oid in ids[::2]:
        ex.cancel(oid)
    ex.submit_market("sell", 1_000)
    assert sys.getrefcount(hdr) == before
    assert ex._st.oq.shape[0] >= 4_096  # grown through the index rehash and adopt
    assert [ex.get_order(oid).id for oid in ids[1::2][-5:]] == ids[1::2][-5:]


def test_feed_books_grow_inside_kernels_and_keep_every_order():
    book = FeedBook()
    n = 5_000
    for i in range(n):
        if i % 2:
            book.add(i + 1, "buy", 1_000 - i % 40, 3)
        else:
            book.add(i + 1, "sell", 1_001 + i % 40, 3)
    snap = book.depth(1_000)
    assert snap.bid_array[:, 1].sum() + snap.ask_array[:, 1].sum() == 3 * n
    for i in range(0, n, 2):
        book.delete(i + 1)
    snap = book.depth(1_000)
    assert (snap.bid_array[:, 1].sum(), snap.ask_array[:, 1].sum()) == (3 * n // 2, 0)


def test_a_modify_replacement_carries_the_log_only_when_it_traded():
    ex = Exchange()
    ask = ex.submit_limit("sell", 105, 3).order_id
    bid = ex.submit_limit("buy", 100, 5).order_id
    quiet = ex.modify(bid, 101, 5).submit
    assert quiet[7] is None and quiet.trades == []
    traded = ex.modify(quiet.order_id, 105, 5).submit
    assert traded[7] is ex._tlog
    assert [(t.passive_order_id, t.quantity) for t in traded.trades] == [(ask, 3)]
