import numpy as np
import pytest

from tickbook.core import DataError, ValidationError
from tickbook.feeds import load_lobster, replay_lobster
from tickbook.feeds.lobster import EMPTY_ASK, EMPTY_BID, LobsterData

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
    ("line", "where"),
    [
        ("34200.1,9,1,1,1,1", "line 2"),
        ("34200.1,1,1,1,1,0", "line 2"),
        ("34200.x,1,1,1,1,1", "line 2"),
        ("34200.1,1,1,1,1", "line 2"),
        ("34200.1234567891,1,1,1,1,1", "line 2"),
    ],
)
def test_malformed_message_rows_name_the_line(tmp_path, line, where):
    path = tmp_path / "m.csv"
    path.write_text("34200.0,1,1,1,1,1\n" + line + "\n")

    with pytest.raises(DataError, match=where) as info:
        load_lobster(path)
    assert info.value.field == "line"


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
