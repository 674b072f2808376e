"""Example-based tests of the Exchange's documented behaviour."""

import numpy as np
import pytest

from tickbook.book import (
    BATCH_RESULT_DTYPE,
    CommandKind,
    Exchange,
    MultiExchange,
    make_commands,
)
from tickbook.book import _layout as lay
from tickbook.core import DataError, OrderNotActive, OrderStatus, Side, UnknownOrder


def test_price_time_priority_and_the_resting_price():
    ex = Exchange()
    a = ex.submit_limit("sell", 10100, 10).order_id
    b = ex.submit_limit("sell", 10050, 10).order_id
    c = ex.submit_limit("sell", 10050, 10).order_id
    r = ex.submit_limit("buy", 10200, 25)
    assert [(t.passive_order_id, t.price, t.quantity) for t in r.trades] == [
        (b, 10050, 10),
        (c, 10050, 10),
        (a, 10100, 5),
    ]
    assert r.status is OrderStatus.FILLED and r.filled_quantity == 25
    assert ex.best_bid_ask() == (None, 10100)
    assert ex.get_order(a).remaining_quantity == 5


def test_time_in_force():
    ex = Exchange()
    ex.submit_limit("sell", 100, 10)
    ioc = ex.submit_limit("buy", 100, 15, "ioc")
    assert (ioc.filled_quantity, ioc.resting_quantity, ioc.cancelled_quantity) == (10, 0, 5)
    assert ioc.status is OrderStatus.CANCELLED
    ex.submit_limit("sell", 100, 10)
    fok = ex.submit_limit("buy", 100, 11, "fok")
    assert fok.status is OrderStatus.CANCELLED and fok.trades == []
    assert ex.depth().asks[0].quantity == 10  # nothing happened to the book
    gtc = ex.submit_limit("buy", 100, 11)
    assert (gtc.filled_quantity, gtc.resting_quantity) == (10, 1)
    assert gtc.status is OrderStatus.PARTIALLY_FILLED


def test_market_orders_take_what_there_is():
    ex = Exchange()
    assert ex.submit_market("buy", 5).status is OrderStatus.CANCELLED
    ex.submit_limit("sell", 100, 3)
    ex.submit_limit("sell", 105, 3)
    r = ex.submit_market(Side.BUY, 10)
    assert [t.price for t in r.trades] == [100, 105]
    assert (r.filled_quantity, r.cancelled_quantity) == (6, 4)
    assert ex.get_order(r.order_id).price is None
    assert ex.last_trade_price() == 105


def test_cancel_modify_and_reduce():
    ex = Exchange()
    first = ex.submit_limit("buy", 100, 10).order_id
    second = ex.submit_limit("buy", 100, 10).order_id
    assert ex.reduce(first, 4).cancelled_quantity == 6  # keeps its place
    assert list(ex.orders("buy").order_id) == [first, second]
    m = ex.modify(first, 100, 4)  # cancel and replace: goes to the back
    assert m.success and m.cancelled_quantity == 4 and m.new_order_id not in (first, second)
    assert list(ex.orders("buy").order_id) == [second, m.new_order_id]
    assert ex.cancel(second).cancelled_quantity == 10
    with pytest.raises(OrderNotActive):
        ex.cancel(second)
    with pytest.raises(UnknownOrder):
        ex.cancel(999)
    failed = ex.try_cancel(999)
    assert not failed.success and isinstance(failed.error, UnknownOrder)


def test_queries_and_snapshot_analytics():
    ex = Exchange()
    ex.submit_limit("buy", 99, 30)
    ex.submit_limit("buy", 98, 10)
    ex.submit_limit("sell", 101, 10)
    assert ex.spread() == 2 and ex.best_bid() == 99 and ex.best_ask() == 101
    snap = ex.depth(5)
    assert [lv.price for lv in snap.bids] == [99, 98]
    assert snap.bid_array.tolist() == [[99, 30, 1], [98, 10, 1]]
    assert snap.mid_price() == 100.0
    assert snap.imbalance() == pytest.approx((40 - 10) / 50)
    assert snap.weighted_mid() == pytest.approx((99 * 10 + 101 * 30) / 40)
    assert ex.full_book().total_bid_quantity() == 40
    assert ex.depth(1).bids == snap.bids[:1]


def test_snapshots_do_not_change_after_the_book_does():
    ex = Exchange()
    ex.submit_limit("buy", 99, 30)
    snap = ex.depth(5)
    ex.submit_limit("buy", 100, 5)
    assert snap.best_bid() == 99 and ex.depth(5).best_bid() == 100


def test_trade_vwap_and_history_clearing():
    ex = Exchange()
    ex.submit_limit("sell", 100, 10)
    ex.submit_limit("sell", 110, 10)
    r = ex.submit_limit("buy", 110, 20)
    assert r.trades[0].vwap(r.trades) == 105.0
    assert len(ex.trades()) == 2
    ex.clear_trades()
    assert ex.trades() == [] and len(r.trades) == 2  # results keep their trades
    assert ex.clear_order_history() == 3  # all three orders are finished
    assert ex.get_order(r.order_id) is None


def test_results_survive_trade_log_growth():
    ex = Exchange()
    for _ in range(600):
        ex.submit_limit("sell", 100, 1)
    r = ex.submit_limit("buy", 100, 600)  # 600 trades: the log grows past its first block
    assert len(r.trades) == 600 and r.trades[-1].id == 600


def test_batch_equals_one_call_at_a_time():
    rng = np.random.default_rng(5)
    n = 2000
    sides = rng.integers(0, 2, n)
    prices = 1000 + rng.integers(-5, 6, n)
    qtys = rng.integers(1, 50, n)
    commands = make_commands(CommandKind.LIMIT, sides, prices, qtys)
    batch = Exchange()
    results, trades = batch.submit_batch(commands)
    assert results.dtype == BATCH_RESULT_DTYPE
    single = Exchange()
    for s, p, q in zip(sides, prices, qtys, strict=True):
        single.submit_limit(int(s), int(p), int(q))
    assert trades.tolist() == single.trades_array().tolist()
    assert batch.depth(50).bid_array.tolist() == single.depth(50).bid_array.tolist()


def test_batch_trades_are_a_read_only_view_that_later_operations_leave_alone():
    ex = Exchange()
    commands = make_commands(CommandKind.LIMIT, [1, 0, 1, 0], [100, 100, 101, 101], [5, 3, 4, 4])
    _, trades = ex.submit_batch(commands)
    before = trades.tolist()
    assert len(before) == 3 and not trades.flags.writeable
    with pytest.raises(ValueError):
        trades["price"][0] = 1
    for _ in range(3_000):  # the trade log grows (a new array) and is then cleared
        ex.submit_limit("sell", 200, 1)
        ex.submit_limit("buy", 200, 1)
    ex.clear_trades()
    ex.submit_limit("sell", 300, 1)
    ex.submit_limit("buy", 300, 1)
    assert trades.tolist() == before


def test_batch_refuses_bad_rows_and_goes_on():
    commands = make_commands([CommandKind.LIMIT] * 3, 0, [100, -5, 101], [5, 5, 0])
    results, _ = Exchange().submit_batch(commands)
    assert results["error"].tolist()[0] == 0 and all(results["error"][1:] < 0)


def test_events_replay_and_persistence(tmp_path):
    ex = Exchange()
    ex.submit_limit("sell", 100, 10, display_quantity=3)
    ex.submit_stop_market("sell", 95, 5)
    ex.submit_limit("buy", 100, 4)
    ex.submit_trailing_stop_market("sell", 90, 2, "percentage", 0.05)
    ex.submit_market("sell", 1)
    again = Exchange.replay(ex.events())
    assert again.trades_array().tolist() == ex.trades_array().tolist()
    assert again.orders("sell").tolist() == ex.orders("sell").tolist()
    assert again.clock == ex.clock and again.pending_stop_count() == ex.pending_stop_count()
    path = tmp_path / "events.jsonl"
    ex.save(path)
    loaded = Exchange.load(path)
    assert loaded.trades_array().tolist() == ex.trades_array().tolist()
    text = path.read_text().splitlines()
    path.write_text("\n".join(text[:3]) + "\n" + text[3][:10])  # truncated last line
    with pytest.raises(DataError) as info:
        Exchange.load(path)
    assert info.value.field == "line" and info.value.value == 4


def test_book_stays_bounded_when_history_is_cleared():
    ex = Exchange(record_events=False)
    for _ in range(3):
        for i in range(3000):
            ex.cancel(ex.submit_limit("buy", 100 + i % 7, 5).order_id)
        ex.clear_order_history()
    assert ex._st.oq.shape[0] <= 4096  # slots are reused, the table does not grow


def test_multi_exchange_keeps_independent_books():
    multi = MultiExchange()
    multi.submit_limit("AAPL", "buy", 15000, 10)
    multi.get_or_create("MSFT").submit_limit("sell", 30000, 5)
    assert multi.best_prices() == [("AAPL", 15000, None), ("MSFT", None, 30000)]
    assert multi.symbols() == ["AAPL", "MSFT"] and "AAPL" in multi and len(multi) == 2


def test_compact_gives_memory_back_and_changes_nothing_observable():
    ex = Exchange()
    keep = [ex.submit_limit("buy", 100 + i % 3, 5).order_id for i in range(50)]
    for _ in range(5000):
        ex.cancel(ex.submit_limit("sell", 200, 1).order_id)
    ex.clear_order_history()
    before = (ex.orders("buy").tolist(), ex.depth(10).bid_array.tolist(), ex.get_order(keep[7]))
    assert ex.compact() < 1024
    assert (
        ex.orders("buy").tolist(),
        ex.depth(10).bid_array.tolist(),
        ex.get_order(keep[7]),
    ) == before
    r = ex.submit_limit("sell", 100, 250)  # the compacted queues still match in time priority
    assert [t.passive_order_id for t in r.trades][:3] == [keep[2], keep[5], keep[8]]  # at 102


def test_orders_are_found_after_their_slots_are_reused_and_compacted():
    # ids and slots start out in step (the lookup tries slot id - 1 first); history clearing
    # and compaction break that, and every id must still resolve to its own order
    ex = Exchange(order_capacity=16)
    first = [ex.submit_limit("buy", 100 + i % 9, 1 + i).order_id for i in range(300)]
    for oid in first[::3]:
        ex.cancel(oid)
    ex.clear_order_history()  # the cancelled ids are forgotten; half their slots are reused
    later = [ex.submit_limit("sell", 200 + i % 5, 1 + i).order_id for i in range(50)]
    assert all(ex.get_order(oid) is None for oid in first[::3])
    for oid in first[::3]:
        with pytest.raises(UnknownOrder):
            ex.cancel(oid)
    for oid in [*first[1::3], *later]:
        assert ex.get_order(oid).id == oid
    ex.compact()
    for i, oid in enumerate(later):
        assert ex.get_order(oid).remaining_quantity == 1 + i
    assert ex.cancel(later[-1]).cancelled_quantity == 50


def test_cancelled_orders_left_in_their_queue_are_invisible():
    # a cancel leaves the order linked in its level's queue (no neighbour rows touched);
    # matching, FOK checks, self-trade prevention, L3 listings and history clearing skip it
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 5, owner=7).order_id
    b = ex.submit_limit("sell", 100, 6, owner=8).order_id
    c = ex.submit_limit("sell", 100, 7, owner=9).order_id
    ex.cancel(b)
    assert ex.orders("sell").order_id.tolist() == [a, c]
    assert ex.depth(1).asks[0].quantity == 12 and ex.depth(1).asks[0].order_count == 2
    # owner 8's cancelled order does not stop its FOK through self-trade prevention
    fok = ex.submit_limit("buy", 100, 12, "fok", owner=8, stp="cancel_newest")
    assert fok.filled_quantity == 12
    assert [t.passive_order_id for t in fok.trades] == [a, c]
    assert ex.best_ask() is None
    # history cleared while a cancelled order sits inside a live queue
    d = ex.submit_limit("sell", 101, 1).order_id
    e = ex.submit_limit("sell", 101, 2).order_id
    f = ex.submit_limit("sell", 101, 3).order_id
    ex.cancel(e)
    ex.clear_order_history()
    assert ex.orders("sell").order_id.tolist() == [d, f]
    g = ex.submit_limit("sell", 101, 4).order_id  # may reuse a freed slot
    r = ex.submit_market("buy", 8)
    assert [(t.passive_order_id, t.quantity) for t in r.trades] == [(d, 1), (f, 3), (g, 4)]
    assert ex.best_ask() is None and len(ex.orders("sell")) == 0


def test_levels_emptied_below_the_best_are_kept_reused_and_swept():
    # a deep level that empties stays in place (no shifting of worse levels) and is invisible
    ex = Exchange()
    ids = {p: ex.submit_limit("buy", p, 1).order_id for p in range(100, 160)}
    for p in range(100, 150):  # empty 50 deep levels: they pile up, then get swept out
        ex.cancel(ids[p])
    book = ex.full_book()
    assert book.bid_array[:, 0].tolist() == list(range(159, 149, -1))
    assert ex._st.hdr[5] < 60  # the sweep ran (H_NLEV counts kept empty levels)
    again = ex.submit_limit("buy", 120, 7).order_id  # a level comes back
    assert ex.depth(20).bid_array[-1].tolist() == [120, 7, 1]
    # emptying the best level closes it and every empty level it uncovers
    for p in range(150, 160):
        ex.cancel(ids[p])
    assert ex.best_bid() == 120 and ex.depth(5).bid_array.tolist() == [[120, 7, 1]]
    r = ex.submit_market("sell", 10)
    assert [(t.passive_order_id, t.quantity) for t in r.trades] == [(again, 7)]
    assert ex.best_bid() is None and ex.full_book().bid_array.shape == (0, 3)


def _linked_entries(ex: Exchange, side: int, price: int) -> int:
    """Number of slots linked in the queue of ``price`` on ``side`` (live and dead)."""
    st = ex._st
    lv, oq, hdr = st.lv, st.oq, st.hdr
    for li in range(int(hdr[lay.H_NLEV + side])):
        key = int(lv[side, li, lay.V_KEY])
        if (key if side == 0 else -key) != price:
            continue
        count, o = 0, int(lv[side, li, lay.V_HEAD])
        while o >= 0:
            count += 1
            low = int(oq[o, lay.O_LINK]) & 0xFFFFFFFF
            o = low - (1 << 32) if low >= 1 << 31 else low
        return count
    return 0


def test_quote_and_pull_behind_a_resting_order_does_not_pile_up_dead_entries():
    ex = Exchange()
    ex.submit_limit("sell", 100, 1_000_000, owner=1)  # heads the best ask, never trades here
    for _ in range(5_000):  # a maker quotes one lot behind it and pulls it again
        ex.cancel(ex.submit_limit("sell", 100, 1, owner=2).order_id)

    assert ex.order_count() == 1
    assert len(ex.orders("sell")) == 1
    # every scan of the best ask (orders(), FOK, self-trade checks) walks these links
    assert _linked_entries(ex, 1, 100) <= 2, "cancelled orders pile up in the live queue"


def test_quote_and_pull_at_a_deep_level_does_not_pile_up_dead_entries():
    # below the best, the level empties at every pull and is kept (count 0) and reused: the
    # dead entries stay linked ahead of each new quote, and matching never reaches them
    ex = Exchange()
    ex.submit_limit("buy", 100, 5)
    for _ in range(5_000):
        ex.cancel(ex.submit_limit("buy", 90, 1).order_id)
    quote = ex.submit_limit("buy", 90, 2).order_id

    assert ex.orders("buy").order_id.tolist() == [1, quote]
    assert _linked_entries(ex, 0, 90) <= 2, "cancelled orders pile up in a kept level"


def test_a_guarded_fok_still_sees_the_right_quantity_behind_many_dead_entries():
    # correctness holds (the walkers skip the dead entries); only their cost grows
    ex = Exchange()
    head = ex.submit_limit("sell", 100, 3, owner=1).order_id
    for _ in range(2_000):
        ex.cancel(ex.submit_limit("sell", 100, 1, owner=2).order_id)
    tail = ex.submit_limit("sell", 100, 4, owner=3).order_id
    fok = ex.submit_limit("buy", 100, 7, "fok", owner=2, stp="cancel_newest")
    assert fok.filled_quantity == 7
    assert [t.passive_order_id for t in fok.trades] == [head, tail]
    assert ex.best_ask() is None


def test_interior_cancels_are_walked_once_at_most():
    # place a new quote, then pull the previous one: each pull is an interior cancel, left
    # linked as a dead entry; the first walk over the level (an L3 listing, a FOK check)
    # unlinks them, so no later walk pays for them again
    ex = Exchange()
    ex.submit_limit("sell", 100, 1_000_000, owner=1)  # heads the level, never trades here
    ex.submit_limit("sell", 100, 1)
    previous = ex.submit_limit("sell", 100, 1).order_id
    for _ in range(5_000):
        new = ex.submit_limit("sell", 100, 1).order_id
        ex.cancel(previous)
        previous = new
    assert ex.order_count() == 3
    assert _linked_entries(ex, 1, 100) == 5_003
    assert ex.orders("sell").order_id.tolist()[-1] == previous
    assert _linked_entries(ex, 1, 100) == 3
    for _ in range(100):
        new = ex.submit_limit("sell", 100, 1).order_id
        ex.cancel(previous)
        previous = new
    killed = ex.submit_limit("buy", 100, 2_000_000, "fok")  # too big: killed, walks all
    assert killed.filled_quantity == 0 and _linked_entries(ex, 1, 100) == 3


# -- prices print as prices ------------------------------------------------------------------


def test_results_print_statuses_by_name_and_prices_as_decimals_while_values_stay_ticks():
    ex = Exchange()
    ex.submit_limit("sell", 10050, 10, display_quantity=4, owner=3)
    r = ex.submit_limit("buy", 10100, 4)
    trade = r.trades[0]
    assert trade.price == 10050 and type(trade.price) is int and trade.price_display == "100.50"
    assert "price=100.50" in repr(trade) and "side=buy" in repr(trade)
    assert "status=FILLED" in repr(r) and r.status is OrderStatus.FILLED
    order = ex.get_order(1)
    assert order.price == 10050
    assert repr(order).startswith("Order(id=1, side=sell, price=100.50, status=PARTIALLY_FILLED")
    assert "display=4" in repr(order) and "owner=3" in repr(order)
    stop = ex.get_stop_order(ex.submit_stop_limit("sell", 9900, 9850, 2).order_id)
    assert stop.stop_price == 9900
    assert "stop_price=99.00, limit_price=98.50" in repr(stop) and "status=pending" in repr(stop)
    assert repr(ex) == "Exchange(bid=None, ask=100.50, last=100.50, resting=1, stops=1, clock=3)"
    assert (
        repr(Exchange()) == "Exchange(bid=None, ask=None, last=None, resting=0, stops=0, clock=0)"
    )


def test_a_loaded_exchange_prints_its_prices_as_decimals(tmp_path):
    ex = Exchange()
    ex.submit_limit("buy", 9999, 1)
    ex.save(tmp_path / "e.jsonl")
    assert "bid=99.99" in repr(Exchange.load(tmp_path / "e.jsonl"))


# -- capacity --------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [2**30, 2**25, 2**63])
def test_an_initial_capacity_past_the_cap_is_refused_by_name(capacity):
    from tickbook.book.exchange import MAX_ORDER_CAPACITY
    from tickbook.core import TickbookError

    with pytest.raises(TickbookError) as info:
        Exchange(order_capacity=capacity)
    assert (info.value.field, info.value.value) == ("order_capacity", capacity)
    assert str(MAX_ORDER_CAPACITY) in str(info.value)


def test_a_failed_allocation_is_a_capacity_error_naming_the_value(monkeypatch):
    from tickbook.book import exchange as module
    from tickbook.core import CapacityError

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(module, "new_state", no_memory)
    with pytest.raises(CapacityError) as info:
        Exchange(order_capacity=4096)
    assert (info.value.field, info.value.value) == ("order_capacity", 4096)

    monkeypatch.undo()
    ex = Exchange(order_capacity=16)
    monkeypatch.setattr(module, "grow", no_memory)
    ids = []
    with pytest.raises(CapacityError):
        for i in range(100):
            ids.append(ex.submit_limit("buy", 100 + i, 1).order_id)
    assert ex.order_count() == len(ids) and ex.clock == len(ids)  # the refused one left no trace


def test_the_stop_methods_are_exchange_methods():
    from tickbook.book._stop_api import StopOrders

    assert issubclass(Exchange, StopOrders)
    for name in (
        "submit_stop_market",
        "submit_stop_limit",
        "submit_trailing_stop_market",
        "submit_trailing_stop_limit",
        "pending_stop_count",
        "get_stop_order",
    ):
        assert callable(getattr(Exchange(), name))
