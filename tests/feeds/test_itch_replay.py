import io
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.book import FeedEventKind
from tickbook.core import DataError, Side, ValidationError
from tickbook.feeds import encode_message, parse_itch, replay_itch

from .conftest import ITCH_SAMPLE
from .reference_book import RefBook

SYMBOLS = {3: "AAPL", 9: "MSFT", 12: "ZVZZT"}


def directory():
    return [
        encode_message("R", stock_locate=loc, stock=name, round_lot_size=100)
        for loc, name in SYMBOLS.items()
    ]


def random_flow(seed, n):
    """Valid order flow over three stocks; the reference books after every message."""
    rng = random.Random(seed)
    refs = {loc: RefBook() for loc in SYMBOLS}
    frames, snapshots = directory(), []
    next_id, match = 1, 1
    for i in range(n):
        loc = rng.choice(list(SYMBOLS))
        ref = refs[loc]
        ts = 34_200_000_000_000 + i
        live = list(ref.orders)
        op = rng.random() if live else 0.0
        head = {"stock_locate": loc, "tracking_number": 0, "timestamp": ts}
        if op < 0.4:
            side = rng.randrange(2)
            price = 1_000_000 + (rng.randrange(-20, 1) if side == 0 else rng.randrange(1, 21)) * 100
            qty = rng.randrange(1, 500)
            kind = rng.choice("AF")
            extra = {"attribution": "MPID"} if kind == "F" else {}
            frames.append(
                encode_message(
                    kind,
                    **head,
                    order_ref=next_id,
                    side="BS"[side],
                    shares=qty,
                    stock=SYMBOLS[loc],
                    price=price,
                    **extra,
                )
            )
            ref.add(next_id, side, price, qty)
            next_id += 1
        else:
            oid = rng.choice(live)
            side, price, rem = ref.orders[oid]
            kind = rng.choice("ECXDUP")
            if kind == "E":
                q = rng.randrange(1, rem + 1)
                frames.append(
                    encode_message(
                        "E", **head, order_ref=oid, executed_shares=q, match_number=match
                    )
                )
                ref.reduce(oid, q)
            elif kind == "C":
                q = rng.randrange(1, rem + 1)
                frames.append(
                    encode_message(
                        "C",
                        **head,
                        order_ref=oid,
                        executed_shares=q,
                        match_number=match,
                        printable="Y",
                        execution_price=price + 100,
                    )
                )
                ref.reduce(oid, q)
            elif kind == "X":
                q = rng.randrange(1, rem + 1)
                frames.append(encode_message("X", **head, order_ref=oid, cancelled_shares=q))
                ref.reduce(oid, q)
            elif kind == "D":
                frames.append(encode_message("D", **head, order_ref=oid))
                ref.delete(oid)
            elif kind == "U":
                new_price = price + rng.randrange(-3, 4) * 100
                q = rng.randrange(1, 500)
                frames.append(
                    encode_message(
                        "U",
                        **head,
                        original_order_ref=oid,
                        new_order_ref=next_id,
                        shares=q,
                        price=new_price,
                    )
                )
                ref.replace(oid, next_id, new_price, q)
                next_id += 1
            else:
                frames.append(
                    encode_message(
                        "P",
                        **head,
                        order_ref=0,
                        side="B",
                        shares=7,
                        stock=SYMBOLS[loc],
                        price=price,
                        match_number=match,
                    )
                )
            match += 1
        snapshots.append({loc: (r.levels(0), r.levels(1)) for loc, r in refs.items()})
    return b"".join(frames), snapshots


def levels(book, side):
    snap = book.depth(1000)
    arr = snap.bid_array if side == 0 else snap.ask_array
    return [tuple(r) for r in arr.tolist()]


def test_replay_matches_reference_books_at_the_end():
    raw, snaps = random_flow(1, 3000)

    replay = replay_itch(io.BytesIO(raw), chunk_bytes=1024)

    assert replay.n_messages == 3 + 3000
    for loc, name in SYMBOLS.items():
        book = replay.book(name)
        assert (levels(book, 0), levels(book, 1)) == snaps[-1][loc]
        assert replay.refused(name) == 0


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 300), st.data())
def test_book_at_any_message_matches_reference(seed, n, data):
    raw, snaps = random_flow(seed, n)
    replay = replay_itch(io.BytesIO(raw), chunk_bytes=data.draw(st.integers(64, 2048)))
    k = data.draw(st.integers(0, n - 1))
    loc = data.draw(st.sampled_from(list(SYMBOLS)))

    book = replay.book(SYMBOLS[loc], at=3 + k)  # 3 directory messages come first

    assert (levels(book, 0), levels(book, 1)) == snaps[k][loc]


def test_trades_hold_executions_and_hidden_prints():
    raw = b"".join(
        [
            *directory(),
            encode_message(
                "A",
                stock_locate=3,
                timestamp=5,
                order_ref=1,
                side="S",
                shares=100,
                stock="AAPL",
                price=1_500_000,
            ),
            encode_message(
                "E", stock_locate=3, timestamp=6, order_ref=1, executed_shares=30, match_number=11
            ),
            encode_message(
                "C",
                stock_locate=3,
                timestamp=7,
                order_ref=1,
                executed_shares=20,
                match_number=12,
                printable="Y",
                execution_price=1_499_900,
            ),
            encode_message(
                "P",
                stock_locate=3,
                timestamp=8,
                order_ref=0,
                side="S",
                shares=5,
                stock="AAPL",
                price=1_500_100,
                match_number=13,
            ),
        ]
    )

    trades = replay_itch(io.BytesIO(raw)).trades("AAPL")

    assert trades["price"].tolist() == [1_500_000, 1_499_900, 1_500_100]
    assert trades["quantity"].tolist() == [30, 20, 5]
    assert trades["ts_ns"].tolist() == [6, 7, 8]
    assert trades["aggressor_side"].tolist() == [Side.BUY] * 3


def test_symbol_filter_keeps_only_those_stocks():
    raw, snaps = random_flow(2, 500)

    replay = replay_itch(io.BytesIO(raw), symbols=["msft"])

    assert replay.locates() == [9]
    assert (levels(replay.book("MSFT"), 0), levels(replay.book(9), 1)) == snaps[-1][9]
    with pytest.raises(ValidationError, match="not in the file's stock directory"):
        replay_itch(io.BytesIO(raw), symbols=["GOOG"])
    with pytest.raises(ValidationError, match="symbol"):
        replay.book("GOOG")


def test_unknown_order_ids_are_refused_and_counted():
    raw = b"".join([*directory(), encode_message("D", stock_locate=3, order_ref=99)])

    replay = replay_itch(io.BytesIO(raw))

    assert replay.refused("AAPL") == 1
    assert replay.book("AAPL").order_count() == 0


def test_bad_side_is_a_data_error_with_offset():
    raw = b"".join(
        [
            *directory(),
            encode_message(
                "A", stock_locate=3, order_ref=1, side="Q", shares=1, stock="AAPL", price=1
            ),
        ]
    )

    with pytest.raises(DataError, match=r"byte offset .* \(message #3\): buy/sell indicator 'Q'"):
        replay_itch(io.BytesIO(raw))


def test_parse_itch_lists_book_events_with_symbols():
    raw, _ = random_flow(3, 200)

    events = parse_itch(io.BytesIO(raw))

    assert len(events) == 200
    symbol, first = events[0]
    assert symbol in SYMBOLS.values()
    assert first.kind in (FeedEventKind.ADD,)
    assert first.side in (Side.BUY, Side.SELL)
    assert [e.ts_ns for _, e in events] == sorted(e.ts_ns for _, e in events)


def test_real_sample_has_directory_and_no_order_flow():
    replay = replay_itch(ITCH_SAMPLE)

    assert replay.n_messages == 1000
    assert replay.n_events == 0
    assert len(replay.symbols) == 993
    assert parse_itch(ITCH_SAMPLE) == []
    assert replay.book("AAPL").best_bid_ask() == (None, None)
    assert np.asarray(replay.events("AAPL")).size == 0
