import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickbook.book import BOOK_EVENT_DTYPE, FeedBook
from tickbook.core import DataError, ValidationError
from tickbook.feeds import load_lobster, replay_lobster
from tickbook.feeds.lobster import EMPTY_ASK, EMPTY_BID, LobsterData, _as_row

from .conftest import AAPL, AMZN


@pytest.fixture(scope="module")
def amzn():
    return load_lobster(*AMZN)


@pytest.fixture(scope="module")
def aapl():
    return load_lobster(*AAPL)


def test_load_reads_documented_columns_exactly(amzn):
    m = amzn.messages

    assert len(m) == 57_515
    assert amzn.orderbook.shape == (57_515, 4)
    assert amzn.levels == 1
    assert m[0].tolist() == (34_200_017_459_617, 5, 0, 1, 2_238_200, -1)
    assert m[1]["time_ns"] == 34_200_189_607_670  # "34200.18960767": 8 decimals, exact
    kinds = dict(zip(*np.unique(m["type"], return_counts=True), strict=True))
    assert kinds == {1: 27_845, 2: 16, 3: 18_235, 4: 8_974, 5: 2_445}
    assert amzn.orderbook[0].tolist() == [2_239_500, 100, 2_231_800, 100]


def test_amzn_full_day_matches_every_orderbook_row(amzn):
    result = replay_lobster(amzn, check=True)

    assert result.rows_compared == 57_515
    assert result.rows_matched == 57_515
    assert result.mismatches == []
    assert result.unknown_orders == 7_467  # as counted in the data's README
    print(
        f"AMZN level 1: {result.rows_matched:,}/{result.rows_compared:,} rows matched; "
        f"{result.rows_revealed:,} rows revealed a level from below ({result.reveals:,} levels)"
    )


def test_aapl_level10_matches_every_orderbook_row(aapl):
    result = replay_lobster(aapl, check=True)

    assert result.rows_compared == 999
    assert result.rows_matched == 999
    assert result.unknown_orders == 9  # as counted in the data's README
    assert result.book.order_count() > 0


def test_check_catches_a_wrong_orderbook_row(aapl):
    ob = aapl.orderbook.copy()
    ob[500, 3] += 1  # best bid size one share too many
    wrong = LobsterData(aapl.messages, ob, aapl.levels)

    result = replay_lobster(wrong, check=True)

    assert result.rows_matched < result.rows_compared
    assert result.mismatches[0][0] == 500


def test_message_file_alone_replays_from_an_empty_book(aapl):
    alone = load_lobster(AAPL[0])

    result = replay_lobster(alone)

    assert alone.orderbook is None
    assert result.rows == 999
    assert result.rows_compared == 0
    assert result.book.best_bid_ask()[0] is not None


def _pair(tmp_path, messages, books):
    mf, of = tmp_path / "m.csv", tmp_path / "o.csv"
    mf.write_text("\n".join(messages) + "\n")
    of.write_text("\n".join(books) + "\n")
    return load_lobster(mf, of)


def test_every_event_type_is_handled(tmp_path):
    data = _pair(
        tmp_path,
        [
            "34200.1,1,10,100,1000000,1",  # submission (seeds the book through row 0)
            "34200.2,1,11,50,1010000,-1",  # sell submission
            "34200.3,2,11,20,1010000,-1",  # partial cancel
            "34200.4,4,11,10,1010000,-1",  # visible execution
            "34200.5,5,0,7,1005000,1",  # hidden execution
            "34200.6,6,12,300,1005000,1",  # cross trade
            "34200.7,7,0,0,-1,-1",  # halt
            "34200.8,3,11,20,1010000,-1",  # deletion
            "34200.9,7,0,0,1,-1",  # resume trading
        ],
        [
            f"{EMPTY_ASK},0,1000000,100",
            "1010000,50,1000000,100",
            "1010000,30,1000000,100",
            "1010000,20,1000000,100",
            "1010000,20,1000000,100",
            "1010000,20,1000000,100",
            "1010000,20,1000000,100",
            f"{EMPTY_ASK},0,1000000,100",
            f"{EMPTY_ASK},0,1000000,100",
        ],
    )

    result = replay_lobster(data, check=True)

    assert result.rows_matched == 9
    assert result.halts == [(34_200_700_000_000, -1), (34_200_900_000_000, 1)]
    trades = result.book.trades_array()
    assert trades["quantity"].tolist() == [10, 7, 300]
    assert trades["price"].tolist() == [1_010_000, 1_005_000, 1_005_000]
    assert result.unknown_orders == 0


def test_unknown_orders_are_applied_by_level(tmp_path):
    data = _pair(
        tmp_path,
        ["34200.1,5,0,1,1000000,1", "34200.2,2,77,40,1000000,1", "34200.3,4,78,60,1000000,1"],
        ["2000000,5,1000000,100", "2000000,5,1000000,60", f"2000000,5,{EMPTY_BID},0"],
    )

    result = replay_lobster(data, check=True)

    assert result.rows_matched == 3
    assert result.unknown_orders == 2
    assert result.book.trades_array()["quantity"].tolist() == [60]


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("34200.1,9,1,1,1,1", "type", "9"),
        ("34200.1,1,1,1,1,0", "direction", "0"),
        ("34200.x,1,1,1,1,1", "time", "34200.x"),
        ("34200.1,1,1,1,1", "line", 2),
        ("34200.1234567891,1,1,1,1,1", "time", "34200.1234567891"),
        ("34200.1,1,1,-1,1,1", "size", "-1"),
        ("34200.1,1,1,1,1,1,", "line", 2),
        ("", "line", 2),
    ],
)
def test_malformed_message_rows_name_the_line_and_column(tmp_path, line, field, value):
    path = tmp_path / "m.csv"
    path.write_text("34200.0,1,1,1,1,1\n" + line + "\n34200.2,1,1,1,1,1\n")

    with pytest.raises(DataError, match="line 2") as info:
        load_lobster(path)
    assert (info.value.field, info.value.value) == (field, value)


def test_orderbook_must_match_the_message_file(tmp_path):
    m, o = tmp_path / "m.csv", tmp_path / "o.csv"
    m.write_text("34200.0,1,1,1,1,1\n34200.1,1,2,1,1,1\n")
    o.write_text("1,1,1,1\n")
    with pytest.raises(DataError, match="1 orderbook rows"):
        load_lobster(m, o)
    o.write_text("1,1,1\n1,1,1\n")
    with pytest.raises(DataError, match="4 per level"):
        load_lobster(m, o)
    o.write_text("1,1,1,1\n1,1,x,1\n")
    with pytest.raises(DataError, match="line 2"):
        load_lobster(m, o)


def test_missing_and_binary_files_are_refused(tmp_path):
    with pytest.raises(ValidationError, match="cannot open"):
        load_lobster(tmp_path / "none.csv")
    (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataError, match="non-ASCII"):
        load_lobster(tmp_path / "b.csv")


def test_amzn_counters_equal_the_python_replay_it_replaces(amzn):
    result = replay_lobster(amzn)

    # measured with the dict-based Python replay before it moved into the compiled kernel
    assert result.reveals == 10_970
    assert result.rows_revealed == 8_167
    assert result.repairs == 2_654
    assert result.stale_orders == 415
    assert result.unknown_orders == 7_467


def _rows_of_events(data, result):
    # replay the logged BOOK_EVENT_DTYPE rows through FeedBook.apply, one LOBSTER row at a time
    book = FeedBook()
    rows, prev = [], 0
    for end in result.row_ends.tolist():
        answers = book.apply(result.events[prev:end])
        assert (answers == 0).all()
        prev = end
        rows.append(_as_row(book, data.levels))
    return book, rows


def test_logged_events_rebuild_every_row_through_feedbook_apply(aapl):
    result = replay_lobster(aapl, log=True)

    book, rows = _rows_of_events(aapl, result)

    assert result.events.dtype == BOOK_EVENT_DTYPE
    assert rows == aapl.orderbook.tolist()
    assert book.depth(1000).bid_array.tolist() == result.book.depth(1000).bid_array.tolist()
    assert book.trades_array().tolist() == result.book.trades_array().tolist()


def test_logged_amzn_day_applies_in_one_call(amzn):
    result = replay_lobster(amzn, log=True)
    book = FeedBook()

    answers = book.apply(result.events)

    assert (answers == 0).all()
    full, want = book.depth(100_000), result.book.depth(100_000)
    assert full.bid_array.tolist() == want.bid_array.tolist()
    assert full.ask_array.tolist() == want.ask_array.tolist()
    assert len(book.trades_array()) == len(result.book.trades_array())


def test_progress_reports_rows_up_to_the_end(aapl):
    seen = []

    replay_lobster(aapl, progress=seen.append)

    assert seen[-1] == len(aapl.messages)
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("34200.1,1,5,1,1180591620717411303424,1", "price", "1180591620717411303424"),  # 2**70
        ("34200.1,1,5,1,9223372036854775808,1", "price", "9223372036854775808"),
        ("34200.1,1,9999999999999999999,1,100,1", "order_id", "9999999999999999999"),
        ("34200.1,1,5,9999999999999999999,100,1", "size", "9999999999999999999"),
    ],
)
def test_values_beyond_int64_name_line_and_column(tmp_path, line, field, value):
    path = tmp_path / "m.csv"
    path.write_text("34200.0,1,1,1,100,1\n" + line + "\n")

    with pytest.raises(DataError, match="line 2") as info:
        load_lobster(path)

    assert (info.value.field, info.value.value) == (field, value)


def test_orderbook_values_beyond_int64_name_line_and_column(tmp_path):
    m, o = tmp_path / "m.csv", tmp_path / "o.csv"
    m.write_text("34200.0,1,1,1,100,1\n34200.1,1,2,1,100,1\n")
    o.write_text("200,1,100,1\n-9223372036854775808,1,100,9999999999999999999\n")
    with pytest.raises(DataError, match="line 2") as info:
        load_lobster(m, o)
    assert (info.value.field, info.value.value) == ("bid_size_1", "9999999999999999999")

    o.write_text("200,1,100,1\n200,1,1e3,1\n")
    with pytest.raises(DataError, match="line 2") as info:
        load_lobster(m, o)
    assert (info.value.field, info.value.value) == ("bid_price_1", "1e3")


def test_long_number_text_is_refused_before_it_is_converted(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("34200.0,1,1,1,100,1\n34200.0,1,1,1," + "9" * 100_000 + ",1\n")

    with pytest.raises(DataError, match="line 2") as info:
        load_lobster(path)

    assert info.value.field == "price"
    assert len(info.value.value) == 40


@pytest.mark.parametrize(
    ("bad", "field", "value"),
    [
        ("34200.2,1,7,10,4503599627370496,1", "price", 4_503_599_627_370_496),  # 2**52
        ("34200.2,1,7,0,100,1", "size", 0),
        ("34200.2,3,7,2199023255552,100,1", "size", 2_199_023_255_552),  # 2**41
        ("34200.2,1,7,10,-5,-1", "price", -5),
    ],
)
def test_a_row_the_book_refuses_names_its_line(tmp_path, bad, field, value):
    data = _pair(
        tmp_path,
        ["34200.0,1,1,100,1000000,1", "34200.1,1,2,50,1000000,1", bad],
        ["9999999999,0,1000000,100", "9999999999,0,1000000,150", "9999999999,0,1000000,150"],
    )

    with pytest.raises(DataError, match="line 3") as info:
        replay_lobster(data)

    assert (info.value.field, info.value.value) == (field, value)


def test_a_zero_size_cancel_of_a_known_order_is_no_event(tmp_path):
    data = _pair(
        tmp_path,
        ["34200.0,1,1,100,1000000,1", "34200.1,3,1,0,1000000,1"],
        ["9999999999,0,1000000,100", "9999999999,0,1000000,100"],
    )

    result = replay_lobster(data, check=True, log=True)

    assert result.rows_matched == 2
    assert result.row_ends.tolist() == [1, 1]


_MESSAGES = AAPL[0].read_bytes().splitlines(keepends=True)[:40]
_BOOKS = AAPL[1].read_bytes().splitlines(keepends=True)[:40]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncated_or_flipped_files_load_and_replay_or_name_the_line(tmp_path_factory, data):
    files = []
    for lines in (_MESSAGES, _BOOKS):
        raw = bytearray(b"".join(lines))
        for _ in range(data.draw(st.integers(0, 3))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(
                st.sampled_from(b"0123456789,.-\n\xff x")
            )
        raw = raw[: data.draw(st.integers(len(raw) // 2, len(raw)))]
        path = tmp_path_factory.mktemp("lob") / "f.csv"
        path.write_bytes(bytes(raw))
        files.append(path)

    try:
        loaded = load_lobster(*files)
        result = replay_lobster(loaded, check=True)
    except DataError as error:
        text = str(error)
        assert "line" in text or "offset" in text or "rows" in text or "columns" in text
        assert error.value is not None
    else:
        assert result.rows == len(loaded.messages)
        assert result.rows_compared == len(loaded.messages)
