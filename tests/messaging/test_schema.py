"""The wire schema: round trips, refusals naming the field, and fuzzed frames."""

import subprocess
import sys

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tickbook.messaging as m
from tickbook.core import Side
from tickbook.messaging import Fill, Heartbeat, MessageError, Quote, Signal, Subscriber, Trade
from tickbook.messaging._schema import FLAG_BATCH, HEADER, MAGIC, VERSION, decode_body, encode

MESSAGES = [
    Quote("AAPL", 19_005, 19_010, 300, 500, 1, venue=2, flags=1),
    Trade("BTCUSDT", 6_500_000, 3, Side.SELL, 2, trade_id=9),
    Signal("AAPL", "zscore", -1.5, 0.25, 3),
    Fill("acct-1", "AAPL", 42, Side.BUY, 19_010, 100, 4, fill_id=7),
    Heartbeat("pub", 5),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda x: type(x).__name__)
def test_round_trip(msg):
    assert decode_body(encode(msg), 1, False) == [msg]
    assert decode_body(encode([msg, msg]), 2, True) == [msg, msg]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (["q", "AAPL", 1, 2, 3, 4, -1], "ts_ns"),
        (["q", "", 1, 2, 3, 4, 5], "symbol"),
        (["t", "AAPL", 1, 0, 0, 1], "qty"),
        (["s", "AAPL", "z", 1.0, 1.5, 1], "confidence"),
        (["s", "AAPL", "z", float("inf"), 0.5, 1], "value"),
        (["f", "a", "AAPL", 1, 3, 1, 1, 1], "side"),
        (["x", 1, 2], "type"),
        ([], "type"),
    ],
)
def test_refusal_names_the_field(raw, field):
    with pytest.raises(MessageError) as err:
        decode_body(msgspec.msgpack.encode(raw), 1, False)
    assert err.value.field == field
    assert isinstance(err.value, ValueError)


def _frame(body, flags=0, count=1, seq=1):
    return b"md.AAPL\x00" + HEADER.pack(MAGIC, VERSION, flags, count, 7, seq) + body


@pytest.fixture(scope="module")
def sub():
    s = Subscriber("tcp://127.0.0.1:9", ["md.*"])
    yield s
    s.close()


@settings(max_examples=200, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=64),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**63), 2**64 - 1)
            | st.floats()
            | st.text(max_size=8),
            lambda c: st.lists(c, max_size=9),
            max_leaves=20,
        ).map(msgspec.msgpack.encode),
    ),
    flags=st.sampled_from([0, FLAG_BATCH, 2, 3, 7]),
    count=st.integers(0, 3),
    cut=st.integers(0, 80),
)
def test_fuzzed_frames_are_delivered_or_refused_and_refusal_changes_nothing(
    sub, body, flags, count, cut
):
    frame = _frame(body, flags, count, seq=10_000)[: 8 + HEADER.size + cut]
    before = (sub.positions(), list(sub.gaps), sub.received)
    try:
        sub._accept(frame)
    except MessageError as err:
        assert err.field
        assert (sub.positions(), list(sub.gaps), sub.received) == before
    finally:
        sub._next_seq.clear()
        sub.gaps.clear()


def test_public_api_is_pinned_and_import_loads_no_zmq_nor_numba():
    assert set(m.__all__) == {
        "MD_RECORD_DTYPE", "Command", "CommandClient", "CommandServer", "CommandTimeout",
        "Delivery", "Fill", "Gap", "Heartbeat", "MessageError", "MessagingError", "Publisher",
        "Quote", "ReadResult", "Reply", "RingError", "RingReader", "RingWriter", "Signal",
        "Subscriber", "Trade", "WriterState", "fill_topic", "md_topic", "signal_topic",
    }  # fmt: skip
    code = (
        "import sys, tickbook.messaging as m; m.RingWriter; m.Quote; "
        "print(sorted(k for k in ('zmq', 'numba') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_extra_gives_a_one_line_install_hint():
    code = (
        "import sys; sys.modules['zmq'] = None\n"
        "import tickbook.messaging as m\n"
        "try:\n    m.Publisher('tcp://127.0.0.1:*')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "tickbook.messaging needs 'zmq': pip install 'tickbook[messaging]'"
    )
