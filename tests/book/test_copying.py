"""Copies and pickles of an ``Exchange`` are independent, working books (book/_copying.py)."""

import copy
import gc
import pickle

import numpy as np
import pytest

from tests.reference.book_model import engine_fingerprint
from tickbook.book import Exchange
from tickbook.book._copying import state_arrays, state_from_arrays
from tickbook.core import DataError


def trading(record_events: bool = True) -> tuple[Exchange, list]:
    ex = Exchange(record_events=record_events, order_capacity=16)
    results = []
    for i in range(600):
        ex.submit_limit("sell", 100 + i % 5, 2, display_quantity=1 if i % 7 == 0 else None)
        results.append(ex.submit_limit("buy", 104, 1))
    ex.submit_stop_market("sell", 90, 3)
    ex.submit_trailing_stop_limit("buy", 120, 121, 2, "percentage", 0.05)
    return ex, results


COPIERS = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda ex: pickle.loads(pickle.dumps(ex)),
}


@pytest.mark.parametrize("how", sorted(COPIERS))
@pytest.mark.parametrize("record_events", [True, False])
def test_a_copy_is_equal_then_independent_and_its_end_leaves_the_original_alone(how, record_events):
    ex, results = trading(record_events)
    before = engine_fingerprint(ex)
    other = COPIERS[how](ex)
    assert type(other) is Exchange and engine_fingerprint(other) == before

    other.submit_limit("buy", 200, 5_000)  # sweeps the copy's asks, fires its stops
    other.submit_limit("sell", 50, 10)
    assert engine_fingerprint(other) != before
    assert engine_fingerprint(ex) == before

    del other  # the copy's finaliser freezes its own trade log, not the original's
    gc.collect()
    assert len(ex.trades()) == 600
    assert [r.trades[0].aggressor_order_id for r in results[:3]] == [2, 4, 6]
    r = ex.submit_limit("buy", 104, 1)
    assert r.trades and r.trades[0].id == 601 and len(ex.trades()) == 601


def test_a_copy_of_a_cleared_book_keeps_its_trade_ids_counting():
    ex, _ = trading()
    ex.clear_trades()
    ex.clear_order_history()
    other = copy.deepcopy(ex)
    assert other.trades() == [] and engine_fingerprint(other) == engine_fingerprint(ex)
    ex.submit_limit("buy", 104, 1)
    other.submit_limit("buy", 104, 1)
    assert ex.trades() == other.trades() and ex.trades()[0].id == 601


def test_a_damaged_pickle_is_refused_before_any_kernel_sees_it():
    ex, _ = trading()
    arrays = state_arrays(ex._st)
    with pytest.raises(DataError):
        state_from_arrays(arrays[:-1])
    bad = list(arrays)
    bad[1] = bad[1].astype(np.int32)
    with pytest.raises(DataError):
        state_from_arrays(tuple(bad))
    bad = list(arrays)
    bad[1] = bad[1][:16]  # fewer order rows than the header's capacity
    with pytest.raises(DataError):
        state_from_arrays(tuple(bad))


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_a_book_whose_every_array_grew_copies_exactly(how):
    ex = Exchange(order_capacity=16)
    for i in range(300):  # levels, orders, index, events and stops all outgrow their start
        ex.submit_limit("buy" if i % 2 else "sell", 1_000 + (i if i % 2 else 10_000 + i), 1 + i)
        if i % 10 == 0:
            ex.submit_stop_market("sell", 500 + i, 1)
    other = COPIERS[how](ex)
    assert engine_fingerprint(other) == engine_fingerprint(ex)
    assert len(other.full_book().bids) == 150 and other.pending_stop_count() == 30


@pytest.mark.parametrize("how", sorted(COPIERS))
def test_results_copy_and_pickle_with_their_own_trades(how):
    ex = Exchange()
    ex.submit_limit("sell", 100, 5)
    ex.submit_limit("sell", 101, 5)
    crossing = ex.submit_limit("buy", 101, 7)
    resting = ex.submit_limit("buy", 1, 1)
    modified = ex.modify(2, 101, 1)

    def public(r):
        return (
            r.order_id,
            r.status,
            r.filled_quantity,
            r.resting_quantity,
            r.cancelled_quantity,
            r.trade_count,
            r.trades,
        )

    for r in (crossing, resting, modified.submit):
        assert public(COPIERS[how](r)) == public(r)
    assert COPIERS[how](modified).submit.order_id == modified.new_order_id
    copied = COPIERS[how](crossing)
    del ex
    gc.collect()
    assert [t.price for t in copied.trades] == [100, 101] == [t.price for t in crossing.trades]
