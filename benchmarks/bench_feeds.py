"""Feeds: ITCH 5.0 parsing and replay into books, LOBSTER replay, against installed ITCH peers.

LOBSTER rows: the AMZN day (level 1) replayed by the compiled kernel, with and without the
row-by-row check against its orderbook file, and the book events that replay applied run
again through ``FeedBook.apply`` (the floor: the same book work with no LOBSTER decisions).
``extras`` sets LOBSTER replay per row beside ITCH replay per message (issue 17: <= 2x).

The ITCH workload is a synthetic but valid order flow over 200 stocks, written by our encoder:
adds (some with MPID), deletes, partial executions, executions with price, partial cancels,
replaces and hidden trade prints, in the proportions of a NASDAQ day (adds and deletes
dominate). It goes to a file once; every library reads the same file (page cache).

Peers (each only if it installs): ``itch_book`` (C++23 core; columnar ``messages`` table for
parsing, BBO maintenance for replay), ``itchcpp`` (C++ parser yielding message objects;
``BookManager`` L3 books), ``nanobook.parse_itch`` (Rust; a list of exchange commands).
Targets (issue 3): parsing >= 300 MB/s, replay >= 5 million messages/s, one core.
``extras`` prints tickbook's throughput in MB/s and messages/s (peers: see the ratios).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._harness import Case

try:
    import nanobook
except ImportError:
    nanobook = None
try:
    import itch_book
    from itch_book import _core as itch_book_core
except ImportError:
    itch_book = None
try:
    import itchcpp
except ImportError:
    itchcpp = None

N_STOCKS = 200
_FILES: dict[int, Path] = {}


def synthetic_itch(n_orders: int, seed: int = 7) -> bytes:
    """Return a valid ITCH 5.0 BinaryFILE with the lifecycles of ``n_orders`` orders."""
    from tickbook.feeds import encode_itch, itch_dtype

    rng = np.random.default_rng(seed)
    n = n_orders
    ids = np.arange(1, n + 1, dtype=np.uint64)
    stock = rng.integers(1, N_STOCKS + 1, n)
    side = rng.integers(0, 2, n)
    mid = 1_000_000 + stock * 1_000
    price = np.where(
        side == 0, mid - rng.integers(1, 40, n) * 100, mid + rng.integers(1, 40, n) * 100
    )
    qty = rng.integers(1, 20, n) * 100
    t_add = np.sort(rng.integers(34_200_000_000_000, 57_600_000_000_000, n))
    d1 = t_add + rng.integers(1, 5_000_000_000, n)
    d2 = d1 + rng.integers(1, 5_000_000_000, n)
    fate = rng.choice(5, n, p=[0.62, 0.12, 0.08, 0.06, 0.12])
    rows: dict[str, list] = {t: [] for t in "AFEDCXUP"}
    # (time, type, columns...) gathered per type, then ordered by time
    mpid = rng.random(n) < 0.1
    rows["A"].append(
        (t_add[~mpid], ids[~mpid], stock[~mpid], side[~mpid], qty[~mpid], price[~mpid])
    )
    rows["F"].append((t_add[mpid], ids[mpid], stock[mpid], side[mpid], qty[mpid], price[mpid]))
    m = fate == 0  # deleted
    rows["D"].append((d1[m], ids[m], stock[m]))
    m = fate == 1  # half executed, rest deleted
    rows["E"].append((d1[m], ids[m], stock[m], qty[m] // 2))
    rows["D"].append((d2[m], ids[m], stock[m]))
    m = fate == 2  # fully executed at a price
    rows["C"].append((d1[m], ids[m], stock[m], qty[m], price[m]))
    m = fate == 3  # partly cancelled, rest deleted
    rows["X"].append((d1[m], ids[m], stock[m], qty[m] // 2))
    rows["D"].append((d2[m], ids[m], stock[m]))
    m = fate == 4  # replaced, the new order deleted
    new_ids = ids[m] + np.uint64(n)
    rows["U"].append((d1[m], ids[m], stock[m], new_ids, qty[m], price[m]))
    rows["D"].append((d2[m], new_ids, stock[m]))
    hidden = n // 50
    hs = rng.integers(1, N_STOCKS + 1, hidden)
    rows["P"].append((np.sort(rng.choice(t_add, hidden)), hs, 1_000_000 + hs * 1_000))

    tables = {}
    times = []
    for t, parts in rows.items():
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        table = np.zeros(len(cols[0]), itch_dtype(t))
        table["timestamp"], table["stock_locate"] = cols[0], cols[2 if t != "P" else 1]
        if t in "AF":
            table["order_ref"], table["side"], table["shares"] = (
                cols[1],
                np.where(cols[3] == 0, b"B", b"S"),
                cols[4],
            )
            table["price"] = cols[5]
            table["stock"] = [b"S%04d" % s for s in cols[2].tolist()]
            if t == "F":
                table["attribution"] = b"MPID"
        elif t == "D":
            table["order_ref"] = cols[1]
        elif t == "E":
            table["order_ref"], table["executed_shares"] = cols[1], cols[3]
        elif t == "C":
            table["order_ref"], table["executed_shares"] = cols[1], cols[3]
            table["execution_price"], table["printable"] = cols[4], b"Y"
        elif t == "X":
            table["order_ref"], table["cancelled_shares"] = cols[1], cols[3]
        elif t == "U":
            table["original_order_ref"], table["new_order_ref"] = cols[1], cols[3]
            table["shares"], table["price"] = cols[4], cols[5]
        else:
            table["side"], table["shares"], table["price"] = b"B", 100, cols[2]
            table["stock"] = [b"S%04d" % s for s in cols[1].tolist()]
        tables[t] = table
        times.append(cols[0])
    # order all messages by time; within one order the lifecycle times strictly increase
    all_times = np.concatenate(times)
    rank = np.empty(len(all_times), np.int64)
    rank[np.argsort(all_times, kind="stable")] = np.arange(len(all_times))
    done = 0
    head = N_STOCKS + 1
    for t in rows:
        k = len(tables[t])
        tables[t]["index"] = rank[done : done + k] + head
        done += k
    directory = np.zeros(N_STOCKS, itch_dtype("R"))
    directory["index"] = np.arange(1, N_STOCKS + 1)
    directory["stock_locate"] = np.arange(1, N_STOCKS + 1)
    directory["stock"] = [b"S%04d" % s for s in range(1, N_STOCKS + 1)]
    directory["round_lot_size"] = 100
    tables["R"] = directory
    start = np.zeros(1, itch_dtype("S"))
    start["event_code"] = b"O"
    tables["S"] = start
    return encode_itch(tables)


def _file(n_orders: int) -> Path:
    if n_orders not in _FILES:
        path = Path(tempfile.gettempdir()) / f"tickbook_bench_itch_{n_orders}.bin"
        if not path.exists():
            path.write_bytes(synthetic_itch(n_orders))
        _FILES[n_orders] = path
    return _FILES[n_orders]


def _tickbook_parse(path: Path):
    from tickbook.feeds import read_itch

    return read_itch(path)


def _tickbook_replay(path: Path):
    from tickbook.feeds import replay_itch

    replay = replay_itch(path)
    return replay.books()


def _itch_book_parse(path: Path):
    session = itch_book_core.Session(tables=["messages"], depth=0, symbols=[])
    session.feed(np.fromfile(path, np.uint8))
    return session.take_messages()


def _itch_book_replay(path: Path):
    session = itch_book_core.Session(tables=["bbo"], depth=0, symbols=[])
    session.feed(np.fromfile(path, np.uint8))
    return session.take_bbo()


def _itchcpp_parse(path: Path):
    parser = itchcpp.MessageParser()
    count = 0
    with path.open("rb") as handle:
        for _ in parser.parse_file(handle):
            count += 1
    return count


def _itchcpp_replay(path: Path):
    books = itchcpp.book.BookManager()
    for s in range(1, N_STOCKS + 1):
        books.track_symbol(f"S{s:04d}")
    books.process_stream(path.read_bytes())
    return books


def _count(path: Path) -> int:
    from tickbook.feeds import read_itch

    return read_itch(path, types=["S"]).n_messages


def _amzn():
    from tickbook.feeds import load_lobster

    root = Path(__file__).resolve().parents[1] / "data" / "feeds" / "lobster"
    return load_lobster(
        root / "AMZN_2012-06-21_34200000_57600000_message_1.csv",
        root / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv",
    )


def _lobster_cases(quick: bool) -> list[Case]:
    from tickbook.book import FeedBook
    from tickbook.feeds import replay_lobster

    data = _amzn()
    n = len(data.messages)
    events = replay_lobster(data, log=True).events
    repeat = 3 if quick else 5
    return [
        Case("feeds", f"LOBSTER AMZN day replay ({n:,} rows), per row", n,
             {"tickbook": lambda: replay_lobster(data)}, unit="msg", repeat=repeat),
        Case("feeds", f"LOBSTER AMZN day replay --check ({n:,} rows), per row", n,
             {"tickbook": lambda: replay_lobster(data, check=True)}, unit="msg", repeat=repeat),
        Case("feeds", f"the same day's {len(events):,} book events via FeedBook.apply, per event",
             len(events), {"tickbook": lambda: FeedBook(4096).apply(events)}, unit="msg",
             repeat=repeat),
    ]  # fmt: skip


def cases(quick: bool) -> list[Case]:
    """Parse and replay one synthetic ITCH file with every installed library."""
    n_orders = 200_000 if quick else 2_000_000
    path = _file(n_orders)
    n = _count(path)
    mb = path.stat().st_size / 1e6
    parse = {"tickbook": lambda: _tickbook_parse(path)}
    replay = {"tickbook": lambda: _tickbook_replay(path)}
    if itch_book is not None:
        parse["itch_book"] = lambda: _itch_book_parse(path)
        replay["itch_book"] = lambda: _itch_book_replay(path)
    if itchcpp is not None:
        parse["itchcpp"] = lambda: _itchcpp_parse(path)
        replay["itchcpp"] = lambda: _itchcpp_replay(path)
    if nanobook is not None:
        parse["nanobook"] = lambda: nanobook.parse_itch(str(path))
    repeat = 3 if quick else 2
    return [
        Case(
            "feeds",
            f"ITCH parse, all types ({n:,} msgs, {mb:.0f} MB)",
            n,
            parse,
            unit="msg",
            target=">= 300 MB/s",
            repeat=repeat,
        ),
        Case(
            "feeds",
            f"ITCH replay into {N_STOCKS} books ({n:,} msgs)",
            n,
            replay,
            unit="msg",
            target=">= 5M msg/s",
            repeat=repeat,
        ),
        *_lobster_cases(quick),
    ]


def _best(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def extras(quick: bool) -> list[dict]:
    """Throughput of tickbook's parse and replay in MB/s and messages/s (best of 3)."""
    path = _file(200_000 if quick else 2_000_000)
    n, size = _count(path), path.stat().st_size
    rows = []
    for name, fn, target in (
        ("parse", _tickbook_parse, ">= 300 MB/s"),
        ("replay", _tickbook_replay, ">= 5M msg/s"),
    ):
        seconds = _best(lambda fn=fn: fn(path), 3)
        rows.append(
            {
                "metric": f"ITCH {name} throughput",
                "tickbook": f"{size / seconds / 1e6:,.0f} MB/s, {n / seconds / 1e6:.2f} M msg/s",
                "nanobook": "",
                "target": target,
            }
        )
    from tickbook.feeds import replay_lobster

    data = _amzn()
    itch = _best(lambda: _tickbook_replay(path), 3) / n
    for label, check in (("", False), (" --check", True)):
        run = lambda check=check: replay_lobster(data, check=check)  # noqa: E731
        lobster = _best(run, 3) / len(data.messages)
        rows.append(
            {
                "metric": f"LOBSTER replay{label} per row vs ITCH replay per message",
                "tickbook": f"{lobster * 1e9:,.0f} ns vs {itch * 1e9:,.0f} ns: "
                f"{lobster / itch:.2f}x the ITCH cost",
                "nanobook": "",
                "target": "<= 2x (issue 17)",
            }
        )
    return rows
