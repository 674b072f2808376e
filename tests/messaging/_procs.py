"""Process bodies for the cross-process tests (importable by ``spawn`` children).

Every loop has a deadline, so that a broken peer fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

DEADLINE_S = 20.0


def quote(seq: int):
    from tickbook.messaging import Quote

    return Quote("AAPL", 10_000 + seq, 10_001 + seq, seq % 1000, 1, seq)


def publisher(conn, n: int, batch: int, pace_s: float, sndhwm: int) -> None:
    """Bind, heartbeat until told to go, publish ``n`` quotes on md.AAPL, report, linger."""
    from tickbook.messaging import Publisher

    pub = Publisher("tcp://127.0.0.1:*", name="p", sndhwm=sndhwm)
    conn.send(pub.endpoint)
    deadline = time.monotonic() + DEADLINE_S
    while not conn.poll(0.01) and time.monotonic() < deadline:
        pub.heartbeat()
    conn.recv()
    sent = 0
    while sent < n and time.monotonic() < deadline:
        k = min(batch, n - sent)
        if k == 1:
            pub.publish("md.AAPL", quote(sent + 1))
        else:
            pub.publish_batch("md.AAPL", [quote(sent + 1 + i) for i in range(k)])
        sent += k
        if pace_s:  # a paced publisher also stops when told to
            time.sleep(pace_s)
            if conn.poll(0):
                conn.recv()
                break
    conn.send(("done", sent))
    conn.poll(DEADLINE_S)  # keep the socket open until the test has its results
    pub.close()


def subscriber(conn, endpoint, n, rcvhwm, delay_s, resume_file, stop_at, take=0):
    """Connect, report ready on the first heartbeat, collect md.AAPL until seq ``n`` or idle.

    ``stop_at``: stop after that seq (and save positions to ``resume_file``); ``take``: stop
    after that many messages.
    """
    from tickbook.messaging import Subscriber

    resume = None
    if resume_file and Path(resume_file).exists():
        resume = {(s, t): q for s, t, q in json.loads(Path(resume_file).read_text())}
    sub = Subscriber(endpoint, ["md.AAPL", "hb.*"], rcvhwm=rcvhwm, resume=resume)
    seqs: list[int] = []
    checked = True
    ready = False
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        d = sub.recv(timeout_s=1.5 if seqs else 0.5)
        if d is None:
            if seqs:
                break
            continue
        if d.topic.startswith("hb."):
            if not ready:
                ready = True
                conn.send("ready")
            continue
        for i, q in enumerate(d.messages):
            seqs.append(d.seq + i)
            checked &= q == quote(d.seq + i)
        if delay_s:
            time.sleep(delay_s)
        if seqs[-1] >= n or (stop_at and seqs[-1] >= stop_at) or (take and len(seqs) >= take):
            break
    if resume_file and stop_at:
        positions = [[s, t, q] for (s, t), q in sub.positions().items()]
        Path(resume_file).write_text(json.dumps(positions))
    md_gaps = [
        (g.first_missing, g.last_missing, g.late_join) for g in sub.gaps if g.topic[:3] == "md."
    ]
    conn.send({"seqs": seqs, "checked": checked, "gaps": md_gaps})
    sub.close()


def ring_writer(conn, name: str, capacity: int, batch: int) -> None:
    """Write consistent records (every field derived from seq) until killed or the deadline."""
    from tickbook.messaging import MD_RECORD_DTYPE, RingWriter

    w = RingWriter(name, capacity, overwrite=True)
    conn.send("ready")
    recs = np.zeros(batch, MD_RECORD_DTYPE)
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        seq = np.arange(w.head + 1, w.head + 1 + batch, dtype=np.int64)
        recs["bid"] = seq * 3
        recs["ask"] = seq * 3 + 1
        recs["bid_size"] = seq % 1000
        recs["ask_size"] = seq % 997
        recs["ts_ns"] = seq * 10
        recs["symbol_id"] = seq % 7
        w.write(recs)


def ring_reader(conn, name: str) -> None:
    """Read until the writer is dead and nothing is left; report counts and torn records."""
    from tickbook.messaging import MD_RECORD_DTYPE, RingReader, WriterState

    r = RingReader(name, start="oldest")
    start = r.next_seq
    out = np.empty(4096, MD_RECORD_DTYPE)
    got = torn = 0
    last = 0
    ordered = True
    conn.send("ready")
    state = WriterState.ALIVE
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        res = r.read_into(out)
        if res.count:
            rec = out[: res.count]
            s = rec["seq"].astype(np.int64)
            bad = (
                (rec["bid"] != s * 3)
                | (rec["ask"] != s * 3 + 1)
                | (rec["bid_size"] != s % 1000)
                | (rec["ask_size"] != s % 997)
                | (rec["ts_ns"] != s * 10)
                | (rec["symbol_id"] != s % 7)
            )
            torn += int(bad.sum())
            ordered &= bool(s[0] > last and np.all(np.diff(s) > 0))
            last = int(s[-1])
            got += res.count
            continue
        state = r.writer_state(stale_after_s=5.0)
        if state is WriterState.DEAD:
            break
        time.sleep(0.0005)
    conn.send(
        {
            "got": got,
            "torn": torn,
            "lost": r.lost,
            "ordered": ordered,
            "state": state.value,
            "last": last,
            "start": start,
            "head": r.head,
        }
    )
    r.close()
