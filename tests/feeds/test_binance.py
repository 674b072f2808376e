import gzip
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.core import DataError, TickbookError, ValidationError
from tickbook.feeds import DepthBook, read_depth_recording, to_units

from .conftest import BINANCE_SPOT

TICK, LOT = "0.01", "0.000001"  # BTCUSDT: three quantities in the recording have 6 decimals


@pytest.fixture(scope="module")
def records():
    return list(read_depth_recording(BINANCE_SPOT))


def _run(records, book, skip=None, after=None):
    crossed = 0
    for n, (_, kind, obj) in enumerate(records):
        if n == skip:
            continue
        if kind == "snapshot":
            book.on_snapshot(obj)
        elif kind == "depth":
            book.on_diff(obj)
            bid, ask = book.best_bid_ask()
            crossed += bid is not None and ask is not None and bid >= ask
            if after is not None:
                after(n, book)
    return crossed


def test_recording_syncs_with_the_documented_rules(records):
    book = DepthBook(TICK, LOT)
    kinds = [k for _, k, _ in records]
    first_snapshot = kinds.index("snapshot")

    crossed = _run(records, book)

    assert kinds[:first_snapshot].count("depth") == book.stats.buffered == 3
    assert book.stats.dropped == 2  # buffered diffs older than the snapshot
    assert book.stats.applied == kinds.count("depth") - 2 == 3_449
    assert book.stats.gaps == 0
    assert crossed == 0  # a book out of sync soon crosses; this one never does
    assert book.last_update_id == [o for _, k, o in records if k == "depth"][-1]["u"]
    bid, ask = book.top()
    assert (bid[0], ask[0]) == (6_168_599, 6_168_600)  # 61685.99 / 61686.00


def _snapshot_of(book):
    snap = book.book.depth(100_000)
    fmt = lambda ticks, unit: str(Decimal(ticks) * unit)  # noqa: E731
    side = lambda arr: [[fmt(p, book.tick), fmt(q, book.lot)] for p, q, _ in arr.tolist()]  # noqa: E731
    return {
        "lastUpdateId": book.last_update_id,
        "bids": side(snap.bid_array),
        "asks": side(snap.ask_array),
    }


def test_a_dropped_message_is_a_gap_and_resyncs_from_a_new_snapshot(records):
    depth_lines = [n for n, (_, k, _) in enumerate(records) if k == "depth"]
    dropped, serve_after = depth_lines[1000], depth_lines[1004]
    clean = DepthBook(TICK, LOT)
    later = {}
    _run(
        records,
        clean,
        after=lambda n, b: later.setdefault("s", _snapshot_of(b)) if n == serve_after else None,
    )
    gappy = DepthBook(TICK, LOT, snapshot_source=lambda: later["s"])

    _run(records, gappy, skip=dropped)

    assert gappy.stats.gaps == 1
    assert gappy.stats.snapshots == 2
    assert gappy.last_update_id == clean.last_update_id
    full_gappy, full_clean = gappy.book.depth(100_000), clean.book.depth(100_000)
    assert full_gappy.bid_array[:, :2].tolist() == full_clean.bid_array[:, :2].tolist()
    assert full_gappy.ask_array[:, :2].tolist() == full_clean.ask_array[:, :2].tolist()


def test_without_a_snapshot_source_a_gap_waits_for_one(records):
    depth_lines = [n for n, (_, k, _) in enumerate(records) if k == "depth"]
    book = DepthBook(TICK, LOT)

    _run(records, book, skip=depth_lines[10])

    assert book.stats.gaps == 1
    assert not book.synced
    assert book.best_bid_ask() == (None, None)
    assert book.stats.buffered > 3_000


def _diff(first, last, bids=(), asks=(), pu=None):
    event = {"U": first, "u": last, "b": [list(b) for b in bids], "a": [list(a) for a in asks]}
    if pu is not None:
        event["pu"] = pu
    return event


def test_snapshot_older_than_the_buffer_is_refused():
    book = DepthBook("0.1", "1")
    book.on_diff(_diff(20, 25, bids=[("10.0", "3")]))

    assert book.on_snapshot({"lastUpdateId": 10, "bids": [], "asks": []}) is False
    assert book.stats.stale_snapshots == 1
    assert book.on_snapshot({"lastUpdateId": 21, "bids": [["9.9", "1"]], "asks": []}) is True
    assert book.top() == ((100, 3), None)  # the buffered diff applied over the snapshot


def test_spot_rules_drop_old_events_and_detect_gaps():
    book = DepthBook("0.01", "0.001")
    book.on_snapshot({"lastUpdateId": 100, "bids": [["1.00", "2.000"]], "asks": [["1.05", "1"]]})

    assert book.on_diff(_diff(90, 100)) == "dropped"
    assert book.on_diff(_diff(99, 103, bids=[("1.00", "0")], asks=[("1.04", "0.5")])) == "applied"
    assert book.top() == (None, (104, 500))
    assert book.on_diff(_diff(104, 104, asks=[("1.04", "0.000")])) == "applied"
    assert book.on_diff(_diff(106, 107)) == "gap"
    assert not book.synced


def test_futures_rules_follow_the_previous_update_id():
    book = DepthBook("0.1", "0.001", futures=True)
    book.on_snapshot({"lastUpdateId": 500, "bids": [["100.0", "1.000"]], "asks": []})

    assert book.on_diff(_diff(480, 499, pu=470)) == "dropped"
    assert book.on_diff(_diff(495, 510, bids=[("100.1", "2")], pu=494)) == "applied"
    assert book.on_diff(_diff(515, 520, pu=510)) == "applied"
    assert book.on_diff(_diff(521, 530, pu=519)) == "gap"


def test_decimal_strings_convert_exactly():
    assert to_units("61837.63000000", Decimal("0.01"), "price") == 6_183_763
    assert to_units("0.00105000", Decimal("0.00001"), "qty") == 105
    with pytest.raises(DataError, match=r"not a multiple of 0\.01"):
        to_units("61837.635", Decimal("0.01"), "price")
    for bad in ("1e5", "-1.0", "", "nan", "1.", 1.5):
        with pytest.raises(DataError, match="price"):
            to_units(bad, Decimal("0.01"), "price")
    with pytest.raises(ValidationError, match="tick_size"):
        DepthBook(0.01, "1")
    with pytest.raises(ValidationError, match="lot_size"):
        DepthBook("0.01", "-1")


def test_corrupt_recording_lines_name_the_line(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b'1 {"lastUpdateId": 1, "bids": [], "asks": []}\n2 {oops\n'))

    with pytest.raises(DataError, match="line 2"):
        list(read_depth_recording(path))


def _state(book):
    """Everything a refused message must leave as it was."""
    snap = book.book.depth(100_000)
    return (
        snap.bid_array.tolist(),
        snap.ask_array.tolist(),
        book.last_update_id,
        book._first,
        list(book._buffer),
        repr(book.stats),
        book.book.order_count(),
    )


_BAD_LEVELS = [
    (["99999999999999999.00", "1"], "price"),  # beyond the book's price range
    (["1" * 40, "1"], "price"),  # 40 digits: bounded before converting
    (["1.00", "1" * 25], "qty"),
    (["1.00", "99999999999.000"], "qty"),  # beyond the book's quantity range
    (["1.005", "1"], "price"),  # off the tick grid
    (["0.00", "1"], "price"),
    (["1e5", "1"], "price"),
    ([1.5, "1"], "price"),
    (["1.00"], "b"),
]


@pytest.mark.parametrize(("level", "field"), _BAD_LEVELS)
def test_a_snapshot_with_one_bad_level_changes_nothing(level, field):
    book = DepthBook("0.01", "0.001")
    book.on_snapshot({"lastUpdateId": 10, "bids": [["1.00", "2"]], "asks": [["1.10", "3"]]})
    book.on_diff(_diff(11, 12, bids=[("0.99", "1")]))
    before = _state(book)
    good = [[f"1.{k:02d}", "1"] for k in range(20, 30)]
    bad = {"lastUpdateId": 50, "bids": [["0.50", "1"], ["0.40", "1"]], "asks": [*good, level]}
    if field == "b":
        field = "asks"

    with pytest.raises(DataError) as info:
        book.on_snapshot(bad)

    assert info.value.field == field
    assert _state(book) == before


@pytest.mark.parametrize(("level", "field"), _BAD_LEVELS)
def test_a_diff_with_one_bad_level_changes_nothing(level, field):
    book = DepthBook("0.01", "0.001")
    book.on_snapshot({"lastUpdateId": 10, "bids": [["1.00", "2"]], "asks": [["1.10", "3"]]})
    before = _state(book)

    with pytest.raises(DataError) as info:
        book.on_diff(_diff(11, 12, bids=[("1.00", "0"), ("0.98", "4")], asks=[level]))

    assert info.value.field == ("a" if field == "b" else field)
    assert _state(book) == before


def test_a_bad_event_is_refused_before_it_is_buffered():
    book = DepthBook("0.01", "0.001")
    book.on_diff(_diff(5, 6, bids=[("1.00", "1")]))
    before = _state(book)

    with pytest.raises(DataError, match="price"):
        book.on_diff(_diff(7, 8, bids=[("1" * 40, "1")]))

    assert _state(book) == before
    assert book.on_snapshot({"lastUpdateId": 5, "bids": [], "asks": []}) is True
    assert book.top() == ((100, 1000), None)


def test_update_ids_must_be_64_bit():
    book = DepthBook("0.01", "0.001")
    with pytest.raises(DataError, match="lastUpdateId") as info:
        book.on_snapshot({"lastUpdateId": 1 << 64, "bids": [], "asks": []})
    assert info.value.value == 1 << 64
    with pytest.raises(DataError, match="`U`"):
        book.on_diff({"U": True, "u": 1, "b": [], "a": []})


def test_units_are_bounded():
    for bad in ("1e-999999", "1" * 50, "0", "1e30", float("nan")):
        with pytest.raises(ValidationError, match="tick_size"):
            DepthBook(bad, "1")


def test_recording_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(ValidationError, match="cannot open") as info:
        read_depth_recording(tmp_path / "missing.gz")
    assert info.value.field == "path"

    body = "".join(f'{n} {{"lastUpdateId": {n}, "bids": [], "asks": []}}\n' for n in range(200))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(body.encode())[:-30])
    with pytest.raises(DataError, match="cannot read past line") as info:
        list(read_depth_recording(cut))
    assert info.value.field == "line"

    latin = tmp_path / "latin.txt"
    latin.write_bytes(b'1 {"lastUpdateId": 1, "bids": [], "asks": []}\n2 {"x": "\xe9"}\n')
    with pytest.raises(DataError, match="line 2 is not UTF-8") as info:
        list(read_depth_recording(latin))
    assert info.value.value == 2

    deep = tmp_path / "deep.txt"
    deep.write_text("1 " + "[" * 50_000 + "\n")
    with pytest.raises(DataError, match="line 1"):
        list(read_depth_recording(deep))
    huge = tmp_path / "huge.txt"
    huge.write_text("1" * 5000 + ' {"lastUpdateId": 1}\n')
    with pytest.raises(DataError, match="line 1"):
        list(read_depth_recording(huge))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_truncated_or_flipped_recordings_parse_or_name_the_line(tmp_path_factory, data):
    lines = [
        '1 {"lastUpdateId": 5, "bids": [["1.00", "1"]], "asks": []}',
        '2 {"stream": "btcusdt@depth", "data": {"U": 6, "u": 7, "b": [], "a": []}}',
        '3 {"stream": "btcusdt@trade", "data": {"p": "1.00"}}',
    ]
    raw = bytearray("\n".join(lines * 3).encode() + b"\n")
    if data.draw(st.booleans()):
        raw = bytearray(gzip.compress(bytes(raw)))
    for _ in range(data.draw(st.integers(0, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path_factory.mktemp("rec") / "r.bin"
    path.write_bytes(bytes(raw))

    try:
        records = list(read_depth_recording(path))
    except DataError as error:
        assert error.field == "line"
        assert f"line {error.value}" in str(error) or f"past line {error.value - 1}" in str(error)
    else:
        assert all(kind in {"snapshot", "depth", "trade"} or kind for _, kind, _ in records)


_price = st.one_of(
    st.text(max_size=6),
    st.decimals(0, 100, places=3).map(str),
    st.integers(),
    st.sampled_from(["99999999999999999.00", "1" * 40, "1.005"]),
)
_FIELDS = {"U", "u", "b", "a", "price", "qty"}


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "U": st.one_of(st.integers(-2, 40), st.none(), st.text(max_size=2)),
                "u": st.integers(-2, 40),
                "b": st.one_of(st.lists(st.lists(_price, max_size=3), max_size=3), st.none()),
                "a": st.lists(st.tuples(_price, _price), max_size=3),
            }
        ),
        max_size=8,
    ),
    st.integers(0, 30),
)
def test_random_events_apply_or_change_nothing(events, last):
    book = DepthBook("0.01", "0.001")
    book.on_snapshot({"lastUpdateId": last, "bids": [["1.00", "1"]], "asks": []})
    for event in events:
        before = _state(book)
        try:
            book.on_diff(event)
        except TickbookError as error:
            assert isinstance(error, DataError)
            assert error.field in _FIELDS
            assert _state(book) == before
        bid, ask = book.best_bid_ask()
        assert (bid is None or bid > 0) and (ask is None or ask > 0)
