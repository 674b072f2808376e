"""Publisher and subscribers in separate (spawned) processes, plus the wire faults in process."""

import time

import msgspec
import pytest
import zmq

from tests.messaging import _procs
from tickbook.messaging import (
    Gap,
    MessageError,
    Publisher,
    Quote,
    Subscriber,
    md_topic,
)


def _go(pub_conn, sub_conns, procs):
    for conn in sub_conns:
        assert procs.recv(conn) == "ready"
    pub_conn.send("go")


def test_two_subscribers_receive_everything_in_order(procs):
    n = 5_000
    _, pub = procs.start(_procs.publisher, n, 50, 0.0, 1_000_000)
    endpoint = procs.recv(pub)
    subs = [procs.start(_procs.subscriber, endpoint, n, 1_000_000, 0.0, None, 0)[1] for _ in "ab"]
    _go(pub, subs, procs)
    assert procs.recv(pub) == ("done", n)
    results = [procs.recv(conn) for conn in subs]
    pub.send("bye")
    for res in results:
        assert res["seqs"] == list(range(1, n + 1))
        assert res["checked"]
        assert res["gaps"] == []


def test_slow_subscriber_loses_detects_the_gaps_and_never_blocks_the_publisher(procs):
    n = 20_000
    _, pub = procs.start(_procs.publisher, n, 1, 0.0, 20)
    endpoint = procs.recv(pub)
    _, slow = procs.start(_procs.subscriber, endpoint, n, 20, 0.002, None, 0)
    _go(pub, [slow], procs)
    # the publisher finishes its burst although the slow one would need 40 s to take it all
    assert procs.recv(pub) == ("done", n)
    res = procs.recv(slow)
    pub.send("bye")
    seqs, gaps = res["seqs"], res["gaps"]
    assert len(seqs) < n and gaps
    assert res["checked"]
    covered = sorted(seqs + [s for a, b, _ in gaps for s in range(a, b + 1)])
    assert covered == list(range(1, seqs[-1] + 1))  # every number received or reported lost
    assert seqs == sorted(seqs)


def test_restarted_subscriber_resumes_and_reports_what_it_missed(procs, tmp_path):
    n, stop_at, take = 1_000_000, 300, 200
    state = tmp_path / "positions.json"
    _, pub = procs.start(_procs.publisher, n, 1, 0.001, 1_000_000)  # paced, until told to stop
    endpoint = procs.recv(pub)
    first, a = procs.start(_procs.subscriber, endpoint, n, 1_000_000, 0.0, str(state), stop_at)
    _go(pub, [a], procs)
    res_a = procs.recv(a)
    first.join(10)
    assert res_a["seqs"] == list(range(1, stop_at + 1))
    _, b = procs.start(_procs.subscriber, endpoint, n, 1_000_000, 0.0, str(state), 0, take)
    res_b = procs.recv(b)
    pub.send("stop")
    assert procs.recv(pub)[0] == "done"
    pub.send("bye")
    seqs = res_b["seqs"]
    assert seqs[0] > stop_at + 1 and seqs == list(range(seqs[0], seqs[0] + take))
    assert res_b["gaps"] == [(stop_at + 1, seqs[0] - 1, False)]
    assert res_b["checked"]


@pytest.fixture
def wire():
    ctx = zmq.Context.instance()
    raw = ctx.socket(zmq.PUB)
    raw.setsockopt(zmq.LINGER, 0)
    port = raw.bind_to_random_port("tcp://127.0.0.1")
    sub = Subscriber(f"tcp://127.0.0.1:{port}", ["md.*"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait out the slow-joiner window
        raw.send(b"md.X\x00")
        try:
            if sub.recv(0.02) is not None:
                break
        except MessageError:
            break
    while sub._sock.poll(50):
        sub._sock.recv()
    yield raw, sub
    sub.close()
    raw.close()


def _frame(topic, body, seq=2, count=1, flags=0, session=7):
    from tickbook.messaging._schema import HEADER, MAGIC, VERSION

    return topic + b"\x00" + HEADER.pack(MAGIC, VERSION, flags, count, session, seq) + body


GOOD = msgspec.msgpack.encode(["q", "AAPL", 100, 101, 1, 2, 3, 0, 0])
BAD = [
    (_frame(b"md.AAPL", msgspec.msgpack.encode(["q", "AAPL", -1, 101, 1, 2, 3])), "bid"),
    (_frame(b"md.AAPL", msgspec.msgpack.encode(["zz", 1])), "type"),
    (_frame(b"md.AAPL", msgspec.msgpack.encode(["q", "AAPL", 1])), "ask"),
    (_frame(b"md.AAPL", GOOD[:-3]), "body"),
    (_frame(b"md.AAPL", b"")[:-5], "header"),
    (b"md.AAPL", "topic"),
    (_frame(b"md.AAPL", msgspec.msgpack.encode([["t", "A", 1, 1, 9, 1]]), flags=1), "side"),
    (
        _frame(b"md.AAPL", msgspec.msgpack.encode([["q", "A", 1, 1, 1, 1, 1]]), count=2, flags=1),
        "count",
    ),
    (_frame(b"md.AAPL", b"\x00" * 7, flags=2), "records"),
]


@pytest.mark.parametrize(("frame", "field"), BAD)
def test_bad_message_is_refused_naming_the_field_and_changes_nothing(wire, frame, field):
    raw, sub = wire
    raw.send(_frame(b"md.AAPL", GOOD, seq=1))
    assert sub.recv(5).seq == 1
    before = (sub.positions(), list(sub.gaps), sub.received)
    raw.send(frame)
    with pytest.raises(MessageError) as err:
        sub.recv(5)
    assert err.value.field == field
    assert (sub.positions(), list(sub.gaps), sub.received) == before


def test_subscriber_loop_survives_bad_messages(wire):
    raw, sub = wire
    raw.send(_frame(b"md.AAPL", GOOD, seq=1))
    for frame, _ in BAD:
        raw.send(frame)
    raw.send(_frame(b"md.AAPL", GOOD, seq=2))
    raw.send(_frame(b"md.AAPL", GOOD, seq=1))  # a replayed number: refused, not re-delivered
    raw.send(_frame(b"md.AAPL", GOOD, seq=4))
    got = [d.seq for d in sub.deliveries(idle_timeout_s=1.0)]
    assert got == [1, 2, 4]
    assert sub.refused_count == len(BAD) + 1
    assert sub.refused[-1].field == "seq"
    assert sub.gaps == [Gap("md.AAPL", 7, 3, 3)]


def test_exact_topic_does_not_match_a_longer_one_and_prefix_matches_all():
    with Publisher("tcp://127.0.0.1:*", name="t") as pub:
        exact = Subscriber(pub.endpoint, [md_topic("AAPL"), "hb.*"])
        prefix = Subscriber(pub.endpoint, ["md.*", "hb.*"])
        for sub in (exact, prefix):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                pub.heartbeat()
                d = sub.recv(0.02)
                if d is not None and d.topic.startswith("hb."):
                    break
        q = Quote("AAPL", 1, 2, 3, 4, 5)
        pub.publish("md.AAPLX", q)
        pub.publish("md.AAPL", q)
        seen = {
            name: [d.topic for d in sub.deliveries(0.5) if d.topic[:3] == "md."]
            for name, sub in (("exact", exact), ("prefix", prefix))
        }
        assert seen == {"exact": ["md.AAPL"], "prefix": ["md.AAPLX", "md.AAPL"]}
        exact.close()
        prefix.close()


def test_publisher_refuses_bad_messages_and_topics_before_numbering_them():
    with Publisher("tcp://127.0.0.1:*", name="t") as pub:
        with pytest.raises(MessageError) as err:
            pub.publish("md.AAPL", Quote("AAPL", -5, 2, 3, 4, 5))
        assert err.value.field == "bid"
        with pytest.raises(MessageError) as err:
            pub.publish("md AAPL", Quote("AAPL", 1, 2, 3, 4, 5))
        assert err.value.field == "topic"
        assert pub.publish("md.AAPL", Quote("AAPL", 1, 2, 3, 4, 5)) == 1


def test_signals_fills_and_records_travel_on_their_topics():
    import numpy as np

    from tickbook.core import Side
    from tickbook.messaging import MD_RECORD_DTYPE, Fill, Signal, fill_topic, signal_topic

    with Publisher("tcp://127.0.0.1:*", name="t") as pub:
        sub = Subscriber(pub.endpoint, ["sig.*", fill_topic("acct-1"), md_topic("AAPL"), "hb.*"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pub.heartbeat()
            d = sub.recv(0.02)
            if d is not None and d.topic.startswith("hb."):
                break
        sig = Signal("AAPL", "zscore", -2.0, 0.9, 1)
        fill = Fill("acct-1", "AAPL", 7, Side.BUY, 19_010, 100, 2)
        recs = np.zeros(3, MD_RECORD_DTYPE)
        recs["bid"] = [1, 2, 3]
        pub.publish(signal_topic("AAPL"), sig)
        pub.publish(fill_topic("acct-2"), fill)  # not subscribed
        pub.publish(fill_topic("acct-1"), fill)
        pub.publish_records(md_topic("AAPL"), recs)
        got = [d for d in sub.deliveries(0.5) if not d.topic.startswith("hb.")]
        assert [(d.topic, d.seq) for d in got] == [
            ("sig.AAPL", 1),
            ("fill.acct-1", 1),
            ("md.AAPL", 1),
        ]
        assert got[0].messages == [sig] and got[1].messages == [fill]
        assert got[2].messages["bid"].tolist() == [1, 2, 3] and got[2].last_seq == 3
        sub.close()
