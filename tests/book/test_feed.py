import numpy as np
import pytest

from tickbook.book import BOOK_EVENT_DTYPE, FeedBook, FeedEventKind
from tickbook.core import UnknownOrder, ValidationError


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
