"""Messaging: the wire schema (msgspec vs protobuf), ZeroMQ and the shared-memory ring.

- cases: encode + decode of one quote, trade and signal, msgspec (tickbook's schema) beside
  protobuf (upb backend, message classes built from ``descriptor_pb2``, same fields);
- extras (two real processes, spawned): messages/s over ZeroMQ PUB/SUB on tcp loopback, the
  publisher in a child process, the subscriber here counting from its first delivery to the
  last. Batched: 100 ``Quote`` Structs per frame, each decoded and validated to a Struct by
  the subscriber, and by default checked by the publisher too (``validate=True``; one row
  without). Single: one message per frame. Records: 1,000 raw ``MD_RECORD_DTYPE`` records
  per frame, viewed in place by the subscriber. Each row also gives messages per CPU-second
  of the subscriber process, a figure less bent by other loads on a shared machine.
- the ring: records/s between a writer child (batches of 4,096) and a reader here (8,192),
  1 Mi slots; lost = records the writer lapped while the reader was off the CPU.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._harness import Case

ZMQ_TARGET = 500_000
RING_TARGET = 5_000_000


def _protobuf():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    f = descriptor_pb2.FileDescriptorProto(name="tb_bench.proto", package="tb", syntax="proto3")
    i64, u32, s, d = (
        descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
        descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
        descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    )
    shapes = {
        "Quote": [("symbol", s), ("bid", i64), ("ask", i64), ("bid_size", i64),
                  ("ask_size", i64), ("ts_ns", i64), ("venue", u32), ("flags", u32)],
        "Trade": [("symbol", s), ("price", i64), ("qty", i64), ("side", u32), ("ts_ns", i64),
                  ("trade_id", i64)],
        "Signal": [("symbol", s), ("name", s), ("value", d), ("confidence", d), ("ts_ns", i64)],
    }  # fmt: skip
    for name, fields in shapes.items():
        m = f.message_type.add(name=name)
        for k, (fname, ftype) in enumerate(fields, 1):
            m.field.add(name=fname, number=k, type=ftype, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return {
        n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tb.{n}")) for n in shapes
    }


def _samples():
    from tickbook.core import Side
    from tickbook.messaging import Quote, Signal, Trade

    ts = 1_733_250_000_123_456_789
    return {
        "Quote": Quote("AAPL", 19_005, 19_010, 300, 500, ts),
        "Trade": Trade("AAPL", 19_007, 100, Side.BUY, ts, 123_456),
        "Signal": Signal("AAPL", "zscore", -1.75, 0.8, ts),
    }


def cases(quick: bool) -> list[Case]:
    from tickbook.messaging import _schema

    n = 20_000 if quick else 200_000
    samples = _samples()
    pb = _protobuf()
    out = []
    for name, msg in samples.items():
        raw = _schema.encode(msg)

        def mine(msg=msg, raw=raw):
            enc, dec = _schema.encode, _schema.decode_body
            for _ in range(n):
                dec(enc(msg), 1, False)

        runners = {"tickbook": mine}
        if pb is not None:
            fields = {f: getattr(msg, f) for f in msg.__struct_fields__}
            proto = pb[name](**{k: int(v) if k == "side" else v for k, v in fields.items()})
            cls = pb[name]

            def theirs(proto=proto, cls=cls):
                for _ in range(n):
                    cls.FromString(proto.SerializeToString())

            runners["protobuf"] = theirs
        target = f"choose by this ({len(raw)} B msgspec"
        target += f", {len(proto.SerializeToString())} B protobuf)" if pb else ")"
        out.append(Case("messaging", f"{name.lower()} encode+decode", n, runners, target=target))
    return out


def _zmq_publisher(conn, mode: str, n: int, batch: int) -> None:
    from tickbook.messaging import MD_RECORD_DTYPE, Publisher, Quote

    validate = mode != "batch-trusted"
    pub = Publisher("tcp://127.0.0.1:*", name="bench", sndhwm=10_000_000, validate=validate)
    conn.send(pub.endpoint)
    quotes = [Quote("AAPL", 19_000 + i % 50, 19_001 + i % 50, 100, 200, i) for i in range(batch)]
    records = np.zeros(batch, MD_RECORD_DTYPE)
    while not conn.poll(0.01):
        pub.heartbeat()
    conn.recv()
    t0 = time.perf_counter()
    for _ in range(n // batch):
        if mode == "single":
            pub.publish("md.AAPL", quotes[0])
        elif mode.startswith("batch"):
            pub.publish_batch("md.AAPL", quotes)
        else:
            pub.publish_records("md.AAPL", records)
    conn.send(time.perf_counter() - t0)
    conn.poll(30)
    pub.close()


def _zmq_run(mode: str, n: int, batch: int) -> tuple[float, int, float, float]:
    from tickbook.messaging import Subscriber

    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_zmq_publisher, args=(theirs, mode, n, batch), daemon=True)
    proc.start()
    try:
        endpoint = mine.recv() if mine.poll(60) else None
        sub = Subscriber(endpoint, ["md.AAPL", "hb.*"], rcvhwm=10_000_000)
        while (d := sub.recv(5.0)) is not None and not d.topic.startswith("hb."):
            pass
        mine.send("go")
        got, timed, t0, t1, c0, c1 = 0, 0, None, 0.0, 0.0, 0.0
        expected = (n // batch) * batch
        while got < expected and (d := sub.recv(3.0)) is not None:
            if d.topic.startswith("hb."):
                continue
            got += len(d.messages)
            if t0 is None:  # the clock starts after the first delivery
                t0, c0 = time.perf_counter(), time.process_time()
                continue
            timed += len(d.messages)
            t1, c1 = time.perf_counter(), time.process_time()
        pub_s = mine.recv() if mine.poll(30) else float("nan")
        mine.send("bye")
        lost = sum(g.count for g in sub.gaps if g.topic == "md.AAPL")
        sub.close()
        wall, cpu = max(t1 - (t0 or t1), 1e-9), max(c1 - c0, 1e-9)
        return timed / wall, lost, expected / pub_s, timed / cpu
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def _ring_writer(conn, path: str, n: int, batch: int) -> None:
    from tickbook.messaging import MD_RECORD_DTYPE, RingWriter

    recs = np.zeros(batch, MD_RECORD_DTYPE)
    recs["bid"] = np.arange(batch)
    w = RingWriter(path, 1 << 20, overwrite=True)
    conn.send("ready")
    conn.recv()
    t0 = time.perf_counter()
    for _ in range(n // batch):
        w.write(recs)
    conn.send(time.perf_counter() - t0)
    w.close()


def _ring_run(n: int) -> tuple[float, int, float]:
    from tickbook.messaging import MD_RECORD_DTYPE, RingReader, WriterState

    path = Path("/dev/shm" if Path("/dev/shm").is_dir() else tempfile.gettempdir())
    path = path / f"tickbook-bench-{os.getpid()}"
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_ring_writer, args=(theirs, str(path), n, 4096), daemon=True)
    proc.start()
    try:
        assert mine.poll(60) and mine.recv() == "ready"
        reader = RingReader(path, start="oldest")
        out = np.empty(8192, MD_RECORD_DTYPE)
        mine.send("go")
        got, t0, t1 = 0, None, 0.0
        expected = (n // 4096) * 4096
        deadline = time.monotonic() + 60
        while reader.next_seq <= expected and time.monotonic() < deadline:
            res = reader.read_into(out)
            if res.count:
                if t0 is None:  # the clock starts after the first batch
                    t0 = time.perf_counter()
                    continue
                got += res.count
                t1 = time.perf_counter()
            elif reader.writer_state() in (WriterState.CLOSED, WriterState.DEAD) and (
                reader.head < reader.next_seq
            ):
                break
        write_s = mine.recv() if mine.poll(30) else float("nan")
        return got / max(t1 - (t0 or t1), 1e-9), reader.lost, expected / write_s
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
        path.unlink(missing_ok=True)


def extras(quick: bool) -> list[dict]:
    rows = []
    scale = 1 if quick else 5
    runs = [
        ("zmq batched Quote Structs (100/frame), msg/s", "batch", 400_000 * scale, 100),
        ("same, publisher validate=False, msg/s", "batch-trusted", 400_000 * scale, 100),
        ("zmq single Quote per frame, msg/s", "single", 100_000 * scale, 1),
        ("zmq MD records (1000 raw/frame), rec/s", "records", 2_000_000 * scale, 1000),
    ]
    for label, mode, n, batch in runs:
        rate, lost, pub_rate, per_cpu = _zmq_run(mode, n, batch)
        rows.append({
            "metric": label,
            "tickbook": f"{rate:,.0f} recv ({rate / ZMQ_TARGET:.2f}x target), lost {lost}, "
                        f"publisher {pub_rate:,.0f}/s; {per_cpu:,.0f} per subscriber CPU-s",
            "target": f">= {ZMQ_TARGET:,}/s",
        })  # fmt: skip
    rate, lost, write_rate = _ring_run(5_000_000 * scale)
    rows.append({
        "metric": "shm ring, 2 processes, rec/s (reader)",
        "tickbook": f"{rate:,.0f} ({rate / RING_TARGET:.2f}x target), lost {lost}, "
                    f"writer {write_rate:,.0f}/s",
        "target": f">= {RING_TARGET:,}/s",
    })  # fmt: skip
    return rows
