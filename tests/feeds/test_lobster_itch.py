import io

import numpy as np
import pytest

from tickbook.book import FeedBook
from tickbook.feeds import load_lobster, lobster_to_itch, read_itch, replay_itch
from tickbook.feeds.lobster import _as_row

from .conftest import AAPL, AMZN


def _as_itch_then_lobster(pair, symbol):
    data = load_lobster(*pair)
    converted = lobster_to_itch(data, symbol, locate=7)
    replay = replay_itch(io.BytesIO(converted.data), chunk_bytes=1 << 16)
    events, index = replay.events(symbol), replay.message_index(symbol)
    book = FeedBook()
    stops = np.searchsorted(index, converted.row_ends, side="right")
    matched, prev = 0, 0
    for row, stop in enumerate(stops.tolist()):
        answers = book.apply(events[prev:stop])
        assert (answers >= 0).all(), row
        prev = stop
        matched += _as_row(book, data.levels) == data.orderbook[row].tolist()
    return data, converted, replay, book, matched


@pytest.mark.parametrize(("pair", "symbol"), [(AAPL, "AAPL"), (AMZN, "AMZN")])
def test_itch_and_lobster_replays_give_the_same_books(pair, symbol):
    data, converted, replay, book, matched = _as_itch_then_lobster(pair, symbol)
    lobster_book = converted.replay.book

    assert matched == len(data.messages)  # the ITCH replay equals the orderbook file on every row
    assert replay.symbols == {7: symbol}
    full_itch, full_lobster = book.depth(10_000), lobster_book.depth(10_000)
    assert np.array_equal(full_itch.bid_array, full_lobster.bid_array)
    assert np.array_equal(full_itch.ask_array, full_lobster.ask_array)
    t_itch, t_lobster = book.trades_array(), lobster_book.trades_array()
    for column in ("ts_ns", "price", "quantity", "aggressor_side"):
        assert np.array_equal(t_itch[column], t_lobster[column])


def test_conversion_uses_add_execute_cancel_delete_messages():
    converted = lobster_to_itch(load_lobster(*AMZN), "AMZN")

    counts = read_itch(io.BytesIO(converted.data)).counts()

    assert {"A", "E", "X", "D", "P"} <= set(counts)
    assert counts["P"] == 2_444  # the hidden executions after row 0
    assert counts["A"] >= 27_844  # every submission after row 0, plus level seeds
