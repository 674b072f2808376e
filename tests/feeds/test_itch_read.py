import gzip
import io
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickbook.core import DataError, TickbookError, ValidationError
from tickbook.feeds import (
    ITCH_MESSAGES,
    encode_itch,
    encode_message,
    iter_itch,
    read_itch,
    replay_itch,
)

from .conftest import ITCH_SAMPLE
from .itch_strategies import itch_message, tables_of

# -- the real sample ---------------------------------------------------------------------------


def test_real_sample_counts_and_directory():
    data = read_itch(ITCH_SAMPLE)

    assert data.n_messages == 1000
    assert data.n_bytes == 40_874
    assert data.counts() == {"S": 1, "R": 993, "H": 3, "Y": 3}
    assert len(data.symbols) == 993
    assert data.symbols[1] == "A"
    assert data.symbols[2] == "AA"


def test_real_sample_fields_decode_exactly():
    data = read_itch(ITCH_SAMPLE)

    start = data["S"][0]
    assert start["event_code"] == b"O"
    assert start["timestamp"] == 11_072_057_543_747  # 03:04:32.057543747
    first = data["stock_directory"][0]
    assert (first["stock_locate"], first["stock"], first["round_lot_size"]) == (1, b"A       ", 100)
    assert first["issue_sub_type"] == b"Z "
    assert {c[0] for c in data["R"]["market_category"].tolist()} <= set(b"NAPQGSZV ")


def test_real_sample_reencodes_byte_for_byte(itch_sample_bytes):
    assert encode_itch(read_itch(ITCH_SAMPLE).tables) == itch_sample_bytes


@pytest.mark.parametrize("chunk", [64, 100, 999, 4096])
def test_chunk_size_does_not_change_the_result(chunk):
    whole = read_itch(ITCH_SAMPLE)
    chunked = read_itch(ITCH_SAMPLE, chunk_bytes=chunk)

    assert chunked.n_messages == whole.n_messages
    for t in ITCH_MESSAGES:
        assert np.array_equal(chunked.tables[t], whole.tables[t])


def test_iter_itch_yields_bounded_chunks():
    chunks = list(iter_itch(ITCH_SAMPLE, chunk_bytes=4096))

    assert len(chunks) >= 10
    assert sum(c.n_messages for c in chunks) == 1000
    assert sum(c.n_bytes for c in chunks) == 40_874
    assert all(c.n_bytes <= 4096 + 52 for c in chunks)


def test_gzip_files_are_read(tmp_path, itch_sample_bytes):
    path = tmp_path / "sample.itch.gz"
    path.write_bytes(gzip.compress(itch_sample_bytes))

    assert read_itch(path, chunk_bytes=1000).counts() == {"S": 1, "R": 993, "H": 3, "Y": 3}


def test_type_filter_and_frames():
    data = read_itch(ITCH_SAMPLE, types=["H", "reg_sho_restriction"])

    assert set(data.counts()) == {"H", "Y"}
    assert len(data.symbols) == 993  # the directory is always read
    frame = data.frame("H")
    assert list(frame.columns)[:3] == ["stock_locate", "tracking_number", "timestamp"]
    assert frame["stock"].iloc[0] == "A"


def test_unknown_type_name_is_refused():
    with pytest.raises(ValidationError, match="message_type"):
        read_itch(ITCH_SAMPLE, types=["nope"])


def test_missing_file_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError, match="cannot open"):
        read_itch(tmp_path / "absent.itch")


# -- truncated and corrupt files ------------------------------------------------------------


def _offsets(raw: bytes) -> list[int]:
    out, pos = [], 0
    while pos < len(raw):
        out.append(pos)
        pos += 2 + int.from_bytes(raw[pos : pos + 2], "big")
    return out


@pytest.mark.parametrize("cut", [1, 2, 13, 40_000, 40_873])
def test_truncated_file_names_offset_and_what_was_read(itch_sample_bytes, cut):
    starts = _offsets(itch_sample_bytes)
    k = max(i for i, s in enumerate(starts) if s < cut)  # the message cut short
    data = io.BytesIO(itch_sample_bytes[:cut])

    with pytest.raises(DataError) as info:
        read_itch(data, chunk_bytes=512)

    assert info.value.field == "offset"
    assert info.value.value == starts[k]
    assert f"message #{k:,}" in str(info.value)
    assert f"{k:,} messages ({starts[k]:,} bytes) were read before it" in str(info.value)


def test_unknown_type_byte_is_corrupt(itch_sample_bytes):
    starts = _offsets(itch_sample_bytes)
    raw = bytearray(itch_sample_bytes)
    raw[starts[500] + 2] = ord("z")

    with pytest.raises(DataError, match=r"byte offset .* \(message #500\): unknown message type"):
        read_itch(io.BytesIO(raw), chunk_bytes=256)


def test_wrong_length_is_corrupt(itch_sample_bytes):
    raw = bytearray(itch_sample_bytes)
    raw[1] = 13  # the first message (S, 12 bytes) claims 13

    with pytest.raises(DataError, match="length 13 for message type 'S'") as info:
        read_itch(io.BytesIO(raw))
    assert info.value.field == "length"


# -- round trips and fuzzing -----------------------------------------------------------------


def test_every_message_type_round_trips_one_by_one():
    for t, spec in ITCH_MESSAGES.items():
        fields = {}
        for i, (name, _, size, kind) in enumerate(spec.fields):
            fields[name] = b"Z" * size if kind == "a" else (i + 1) * 7 % (1 << min(8 * size, 48))
        raw = encode_message(t, **fields)
        assert len(raw) == 2 + spec.length
        row = read_itch(io.BytesIO(raw))[t][0]
        for name, value in fields.items():
            assert row[name] == value, (t, name)


def test_alpha_fields_are_space_padded_on_encode():
    raw = encode_message("A", order_ref=1, side="B", shares=100, stock="MSFT", price=1_234_500)

    assert raw[2 + 24 : 2 + 32] == b"MSFT    "
    assert read_itch(io.BytesIO(raw))["A"][0]["price"] == 1_234_500


def test_encoder_refuses_out_of_range_values():
    with pytest.raises(ValidationError, match="shares"):
        encode_message("A", order_ref=1, side="B", shares=1 << 32, stock="X", price=1)
    with pytest.raises(ValidationError, match="stock"):
        encode_message("A", order_ref=1, side="B", shares=1, stock="TOOLONGNAME", price=1)
    with pytest.raises(ValidationError, match="timestamp"):
        encode_message("D", order_ref=1, timestamp=1 << 48)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(itch_message(), min_size=1, max_size=40), st.integers(64, 300))
def test_random_messages_round_trip(messages, chunk):
    raw = encode_itch(tables_of(messages))

    data = read_itch(io.BytesIO(raw), chunk_bytes=chunk)

    assert data.n_messages == len(messages)
    assert encode_itch(data.tables) == raw
    for i, (t, fields) in enumerate(messages):
        row = data[t][data[t]["index"] == i][0]
        for name, value in fields.items():
            assert row[name] == value


_WHERE = {"message_type", "length", "offset", "side"}


def _assert_names_where(error: TickbookError) -> None:
    assert isinstance(error, DataError), repr(error)
    assert error.field in _WHERE
    assert error.value is not None
    assert "offset" in str(error)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400), st.integers(64, 256))
def test_random_bytes_give_data_or_a_data_error(blob, chunk):
    try:
        read_itch(io.BytesIO(blob), chunk_bytes=chunk)
    except TickbookError as error:
        _assert_names_where(error)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(itch_message(), min_size=1, max_size=10),
    st.booleans(),
    st.data(),
)
def test_mutated_files_parse_or_name_the_offset(messages, gzipped, data):
    raw = bytearray(encode_itch(tables_of(messages)))
    if gzipped:
        raw = bytearray(gzip.compress(bytes(raw)))
    for _ in range(data.draw(st.integers(0, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        read_itch(io.BytesIO(bytes(raw[:cut])), chunk_bytes=64)
        replay_itch(io.BytesIO(bytes(raw[:cut])), chunk_bytes=64)
    except TickbookError as error:
        _assert_names_where(error)


class _BrokenGzip(io.BytesIO):
    """A stream that fails the way a gzip corrupted mid-stream does, after ``good`` bytes."""

    def __init__(self, data: bytes, good: int) -> None:
        super().__init__(data[:good])

    def readinto(self, view) -> int:
        got = super().readinto(view)
        if got == 0:
            raise zlib.error("Error -3 while decompressing data: invalid distance too far back")
        return got


def test_gzip_corrupted_mid_stream_is_a_data_error(itch_sample_bytes):
    with pytest.raises(DataError, match="cannot read ITCH data after byte offset") as info:
        read_itch(_BrokenGzip(itch_sample_bytes, 5_000), chunk_bytes=1024)
    assert info.value.field == "offset"
    assert 0 < info.value.value <= 5_000

    packed = bytearray(gzip.compress(itch_sample_bytes * 8))
    for k in range(len(packed) * 3 // 4, len(packed) * 3 // 4 + 32):
        packed[k] ^= 0x55
    with pytest.raises(DataError) as info:  # zlib's error, or the garbage it let through
        read_itch(io.BytesIO(bytes(packed)), chunk_bytes=1024)
    _assert_names_where(info.value)


def test_encoder_refuses_unknown_field_names():
    with pytest.raises(ValidationError, match="not fields of message type 'D'"):
        encode_message("D", order_reference=1)
