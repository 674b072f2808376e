import copy
import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.book import BOOK_EVENT_DTYPE, FeedBook, FeedEventKind
from tickbook.core import TickbookError, UnknownOrder, ValidationError


def test_feed_operations_rebuild_the_book_without_matching():
    book = FeedBook()
    book.add(7, "buy", 100, 50, ts_ns=1)
    book.add(8, "sell", 99, 10, ts_ns=2)  # a crossed feed book is kept as the feed says
    assert book.best_bid_ask() == (100, 99)
    book.execute(7, 20, ts_ns=3)
    book.cancel(7, 10)
    book.replace(8, 9, 101, 5)
    assert book.depth().bid_array.tolist() == [[100, 20, 1]]
    assert book.depth().ask_array.tolist() == [[101, 5, 1]]
    trades = book.trades_array()
    assert trades[["price", "quantity", "passive_order_id", "ts_ns"]].tolist() == [(100, 20, 7, 3)]
    book.delete(9)
    assert book.best_bid_ask() == (100, None) and not book.has_order(9)


def test_anonymous_level_quantity_is_kept_apart_from_known_orders():
    book = FeedBook()
    book.add(1, "sell", 105, 10)
    book.adjust_level("sell", 105, 30)
    assert book.level("sell", 105) == (40, 2)
    assert book.adjust_level("sell", 105, -35) == 5  # only 30 was anonymous
    assert book.level("sell", 105) == (10, 1) and book.has_order(1)


def test_refused_events_change_nothing():
    book = FeedBook()
    book.add(1, "buy", 100, 10)
    with pytest.raises(UnknownOrder):
        book.delete(2)
    with pytest.raises(ValidationError):
        book.cancel(1, 11)
    with pytest.raises(ValidationError):
        book.add(1, "buy", 100, 10)  # duplicate id
    with pytest.raises(ValidationError):
        book.add(3, "buy", 0, 10)
    assert book.depth().bid_array.tolist() == [[100, 10, 1]]


def test_apply_runs_an_event_array_and_reports_refusals():
    events = np.zeros(4, BOOK_EVENT_DTYPE)
    events["kind"] = [FeedEventKind.ADD, FeedEventKind.ADD, FeedEventKind.DELETE, 99]
    events["order_id"] = [1, 2, 5, 1]
    events["price"] = [100, 101, 0, 0]
    events["qty"] = [3, 4, 0, 0]
    events["side"] = [0, 1, 0, 0]
    book = FeedBook()
    answers = book.apply(events)
    assert answers[:2].tolist() == [0, 0] and answers[2] < 0 and answers[3] < 0
    assert book.best_bid_ask() == (100, 101)
    with pytest.raises(ValidationError):
        book.apply(np.zeros(3))


# -- refusals name what the caller passed, and change nothing --------------------------------


def feed_fingerprint(book: FeedBook) -> tuple:
    """Everything observable about a feed book through its public queries."""
    full = book.depth(1 << 20)
    return (
        full.bid_array.tolist(),
        full.ask_array.tolist(),
        book.trades_array().tolist(),
        book.order_count(),
        book.ts_ns,
        [book.has_order(i) for i in range(-1, 12)],
    )


def seeded() -> FeedBook:
    book = FeedBook()
    book.add(1, "buy", 100, 10, ts_ns=5)
    book.add(2, "sell", 105, 4, ts_ns=6)
    book.adjust_level("sell", 106, 7, ts_ns=7)
    book.execute(1, 3, ts_ns=8)
    return book


NAMED = [
    ("add existing id", lambda b: b.add(1, "buy", 100, 5), "order_id", 1),
    ("add negative id", lambda b: b.add(-1, "buy", 100, 5), "order_id", -1),
    ("add id too large", lambda b: b.add(2**62, "buy", 100, 5), "order_id", 2**62),
    ("add price 0", lambda b: b.add(3, "buy", 0, 5), "price", 0),
    ("add qty 0", lambda b: b.add(3, "sell", 100, 0), "qty", 0),
    ("add side", lambda b: b.add(3, "hold", 100, 5), "side", "hold"),
    ("cancel qty 0", lambda b: b.cancel(1, 0), "qty", 0),
    ("cancel qty > open", lambda b: b.cancel(1, 8), "qty", 8),
    ("cancel unknown", lambda b: b.cancel(9, 1), "order_id", 9),
    ("execute qty -1", lambda b: b.execute(1, -1), "qty", -1),
    ("execute at price 0", lambda b: b.execute(1, 1, price=0), "price", 0),
    ("delete unknown", lambda b: b.delete(3), "order_id", 3),
    ("replace onto existing id", lambda b: b.replace(1, 2, 100, 5), "new_order_id", 2),
    ("replace to negative id", lambda b: b.replace(1, -4, 100, 5), "new_order_id", -4),
    ("replace price", lambda b: b.replace(1, 3, -1, 5), "price", -1),
    ("replace qty", lambda b: b.replace(1, 3, 100, 0), "qty", 0),
    ("adjust delta too large", lambda b: b.adjust_level("buy", 100, 2**41), "delta", 2**41),
    ("adjust price", lambda b: b.adjust_level("buy", 0, 5), "price", 0),
    ("trade qty", lambda b: b.trade("buy", 100, 0), "qty", 0),
    ("ts_ns float", lambda b: b.add(3, "buy", 100, 5, ts_ns=1.5), "ts_ns", 1.5),
    ("qty 2**70", lambda b: b.cancel(1, 2**70), "qty", 2**70),
]


@pytest.mark.parametrize(
    ("call", "field", "value"), [c[1:] for c in NAMED], ids=[c[0] for c in NAMED]
)
def test_a_refused_feed_event_names_the_argument_and_its_value_and_changes_nothing(
    call, field, value
):
    book = seeded()
    before = feed_fingerprint(book)
    with pytest.raises(TickbookError) as info:
        call(book)
    assert info.value.field == field
    assert info.value.value == value and type(info.value.value) is type(value)
    assert f"`{field}`" in str(info.value)
    assert feed_fingerprint(book) == before


JUNK = st.one_of(
    st.integers(-(2**64), 2**64),
    st.sampled_from([0, -1, 2**62, 2**63, None, True, 1.0, "1", math.nan]),
)
CALLS = {
    "add": (("order_id", "side", "price", "qty", "ts_ns"), lambda b, a: b.add(*a)),
    "cancel": (("order_id", "qty", "ts_ns"), lambda b, a: b.cancel(*a)),
    "delete": (("order_id", "ts_ns"), lambda b, a: b.delete(*a)),
    "execute": (("order_id", "qty", "price", "ts_ns"), lambda b, a: b.execute(*a)),
    "replace": (
        ("order_id", "new_order_id", "price", "qty", "ts_ns"),
        lambda b, a: b.replace(*a),
    ),
    "adjust_level": (("side", "price", "delta", "ts_ns"), lambda b, a: b.adjust_level(*a)),
    "trade": (("side", "price", "qty", "order_id", "ts_ns"), lambda b, a: b.trade(*a)),
}


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(CALLS)),
    values=st.lists(
        st.one_of(st.integers(0, 12), st.integers(90, 110), st.sampled_from(["buy", "sell"]), JUNK),
        min_size=5,
        max_size=5,
    ),
)
def test_fuzzed_feed_calls_are_refused_by_name_with_state_unchanged(name, values):
    book = seeded()
    params, call = CALLS[name]
    args = values[: len(params)]
    before = feed_fingerprint(book)
    try:
        call(book, args)
    except TickbookError as error:
        assert error.field in params, (error.field, params)
        assert error.value is args[params.index(error.field)]
        assert feed_fingerprint(book) == before
    else:
        assert feed_fingerprint(book) != before or name in ("trade", "adjust_level", "execute")


def test_copies_and_pickles_of_a_feed_book_are_independent():
    book = seeded()
    before = feed_fingerprint(book)
    copies = [copy.copy(book), copy.deepcopy(book), pickle.loads(pickle.dumps(book))]
    for other in copies:
        assert feed_fingerprint(other) == before
        other.add(11, "buy", 101, 1, ts_ns=99)
        other.delete(1)
        assert feed_fingerprint(other) != before
    assert feed_fingerprint(book) == before
    book.add(11, "sell", 200, 2)  # the original still works, its own way
    assert [c.has_order(1) for c in copies] == [False] * 3
