"""Example tests of icebergs, post-only orders and self-trade prevention (one rule per test)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.book.test_differential import SETTINGS, run_both, scaled
from tests.reference.book_model import engine_fingerprint
from tickbook.book import Exchange
from tickbook.core import InvalidOrder, OrderStatus


def l3(ex: Exchange, side: str) -> list[tuple[int, int, int, int]]:
    """(id, price, visible, open quantity) of one side, in priority order."""
    return [tuple(r)[:4] for r in ex.orders(side).tolist()]


def fills(result) -> list[tuple[int, int, int]]:
    """(passive id, price, quantity) of a result's trades."""
    return [(t.passive_order_id, t.price, t.quantity) for t in result.trades]


# -- icebergs -------------------------------------------------------------------------------


def test_an_iceberg_shows_only_its_display_quantity():
    ex = Exchange()

    a = ex.submit_limit("sell", 100, 10, display_quantity=3).order_id

    assert ex.depth().asks[0] == (100, 3, 1)
    assert l3(ex, "sell") == [(a, 100, 3, 10)]
    order = ex.get_order(a)
    assert (order.display_quantity, order.visible_quantity, order.remaining_quantity) == (3, 3, 10)


def test_a_partly_taken_slice_keeps_its_place():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 10, display_quantity=3).order_id
    b = ex.submit_limit("sell", 100, 5).order_id

    ex.submit_limit("buy", 100, 2)

    assert l3(ex, "sell") == [(a, 100, 1, 8), (b, 100, 5, 5)]


def test_a_used_up_slice_is_refreshed_at_the_back_of_its_level():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 10, display_quantity=3).order_id
    b = ex.submit_limit("sell", 100, 5).order_id
    c = ex.submit_limit("sell", 101, 5).order_id

    ex.submit_market("buy", 3)

    assert l3(ex, "sell") == [(b, 100, 5, 5), (a, 100, 3, 7), (c, 101, 5, 5)]
    assert ex.depth().asks[0] == (100, 8, 2)


def test_the_last_slice_shows_what_is_left():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 7, display_quantity=3).order_id

    ex.submit_market("buy", 6)

    assert l3(ex, "sell") == [(a, 100, 1, 1)]


def test_an_aggressor_keeps_matching_through_refreshes():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 6, display_quantity=2).order_id
    b = ex.submit_limit("sell", 100, 3).order_id

    r = ex.submit_limit("buy", 100, 9)

    assert fills(r) == [(a, 100, 2), (b, 100, 3), (a, 100, 2), (a, 100, 2)]
    assert r.status is OrderStatus.FILLED and ex.best_ask() is None
    assert ex.get_order(a).status is OrderStatus.FILLED


def test_fok_counts_the_hidden_quantity_of_an_iceberg():
    ex = Exchange()
    ex.submit_limit("sell", 100, 10, display_quantity=2)

    r = ex.submit_limit("buy", 100, 10, "fok")

    assert r.status is OrderStatus.FILLED and r.filled_quantity == 10


def test_reducing_an_iceberg_below_its_slice_shrinks_the_slice_in_place():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 10, display_quantity=4).order_id
    b = ex.submit_limit("sell", 100, 1).order_id

    assert ex.reduce(a, 3).cancelled_quantity == 7

    assert l3(ex, "sell") == [(a, 100, 3, 3), (b, 100, 1, 1)]
    assert ex.depth().asks[0] == (100, 4, 2)


def test_modifying_an_iceberg_keeps_its_display_quantity():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 10, display_quantity=4).order_id

    m = ex.modify(a, 101, 8)

    assert ex.get_order(m.new_order_id).display_quantity == 4
    assert l3(ex, "sell") == [(m.new_order_id, 101, 4, 8)]


def test_an_iceberg_that_trades_on_entry_rests_a_slice_of_its_remainder():
    ex = Exchange()
    ex.submit_limit("sell", 100, 4)

    r = ex.submit_limit("buy", 100, 10, display_quantity=3)

    assert (r.filled_quantity, r.resting_quantity) == (4, 6)
    assert l3(ex, "buy") == [(r.order_id, 100, 3, 6)]


# -- post-only ------------------------------------------------------------------------------


def test_a_crossing_post_only_order_is_cancelled_and_nothing_rests():
    ex = Exchange()
    ex.submit_limit("sell", 100, 5)
    before = ex.full_book().bid_array.tolist(), ex.full_book().ask_array.tolist()

    r = ex.submit_limit("buy", 100, 5, post_only=True)

    assert r.status is OrderStatus.CANCELLED and r.cancelled_quantity == 5 and r.trades == []
    assert (ex.full_book().bid_array.tolist(), ex.full_book().ask_array.tolist()) == before


def test_a_post_only_order_that_does_not_cross_rests():
    ex = Exchange()
    ex.submit_limit("sell", 100, 5)

    r = ex.submit_limit("buy", 99, 5, post_only=True)

    assert r.status is OrderStatus.NEW and ex.best_bid() == 99
    assert ex.get_order(r.order_id).post_only


@pytest.mark.parametrize("tif", ["ioc", "fok"])
def test_post_only_is_refused_unless_gtc(tif):
    ex = Exchange()
    before = engine_fingerprint(ex)

    with pytest.raises(InvalidOrder) as info:
        ex.submit_limit("buy", 99, 5, tif, post_only=True)

    assert info.value.field == "tif" and engine_fingerprint(ex) == before


# -- self-trade prevention ------------------------------------------------------------------


def owned_book() -> tuple[Exchange, int, int, int]:
    """Asks at 100: other (owner 2, 2), mine (owner 1, 3), later (owner 2, 5)."""
    ex = Exchange()
    other = ex.submit_limit("sell", 100, 2, owner=2).order_id
    mine = ex.submit_limit("sell", 100, 3, owner=1).order_id
    later = ex.submit_limit("sell", 100, 5, owner=2).order_id
    return ex, other, mine, later


def test_cancel_newest_cancels_the_incoming_remainder_at_the_own_order():
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 6, owner=1, stp="cancel_newest")

    assert fills(r) == [(other, 100, 2)]
    assert (r.status, r.filled_quantity, r.cancelled_quantity) == (OrderStatus.CANCELLED, 2, 4)
    assert l3(ex, "sell") == [(mine, 100, 3, 3), (later, 100, 5, 5)]


def test_cancel_oldest_cancels_the_resting_own_order_and_goes_on():
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 6, owner=1, stp="cancel_oldest")

    assert fills(r) == [(other, 100, 2), (later, 100, 4)]
    assert r.status is OrderStatus.FILLED
    assert ex.get_order(mine).status is OrderStatus.CANCELLED
    assert l3(ex, "sell") == [(later, 100, 1, 1)]


def test_cancel_both_cancels_the_resting_own_order_and_the_incoming_remainder():
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 6, owner=1, stp="cancel_both")

    assert fills(r) == [(other, 100, 2)]
    assert (r.status, r.cancelled_quantity) == (OrderStatus.CANCELLED, 4)
    assert ex.get_order(mine).status is OrderStatus.CANCELLED
    assert l3(ex, "sell") == [(later, 100, 5, 5)] and ex.best_bid() is None


def test_decrement_takes_the_smaller_quantity_off_both_without_a_trade():
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 6, owner=1, stp="decrement")

    # 2 traded with `other`; 3 taken off both at `mine` (cancelled, at 0); 1 traded with `later`
    assert fills(r) == [(other, 100, 2), (later, 100, 1)]
    assert r.status is OrderStatus.CANCELLED and r.filled_quantity == 3
    mine_now = ex.get_order(mine)
    assert (mine_now.status, mine_now.cancelled_quantity) == (OrderStatus.CANCELLED, 3)
    assert l3(ex, "sell") == [(later, 100, 4, 4)]
    assert ex.get_order(r.order_id).cancelled_quantity == 3


def test_decrement_leaves_a_larger_resting_order_in_place_with_less():
    ex = Exchange()
    mine = ex.submit_limit("sell", 100, 10, owner=1).order_id
    other = ex.submit_limit("sell", 100, 5, owner=2).order_id

    r = ex.submit_limit("buy", 100, 4, owner=1, stp="decrement")

    assert (r.status, r.filled_quantity, r.cancelled_quantity) == (OrderStatus.CANCELLED, 0, 4)
    assert l3(ex, "sell") == [(mine, 100, 6, 6), (other, 100, 5, 5)]


def test_decrement_counts_the_taken_off_quantity_as_cancelled_in_the_submit_result():
    # was an engine bug: the three quantities did not add up when the remainder rested
    ex = Exchange()
    ex.submit_limit("sell", 100, 1, owner=1)

    r = ex.submit_limit("buy", 100, 2, owner=1, stp="decrement")

    assert (r.filled_quantity, r.resting_quantity) == (0, 1)
    assert r.cancelled_quantity == ex.get_order(r.order_id).cancelled_quantity == 1


def test_self_trade_prevention_needs_an_owner_and_a_mode():
    ex = Exchange()
    a = ex.submit_limit("sell", 100, 2, owner=1).order_id
    b = ex.submit_limit("sell", 100, 2).order_id
    c = ex.submit_limit("sell", 100, 2, owner=1).order_id

    no_mode = ex.submit_limit("buy", 100, 2, owner=1)  # same owner, no stp: trades
    no_owner = ex.submit_limit("buy", 100, 2, stp="cancel_newest")  # owner 0 never matches

    assert fills(no_mode) == [(a, 100, 2)] and fills(no_owner) == [(b, 100, 2)]
    assert l3(ex, "sell") == [(c, 100, 2, 2)]


def test_a_market_order_applies_self_trade_prevention():
    ex, other, mine, later = owned_book()

    r = ex.submit_market("buy", 10, owner=1, stp="cancel_oldest")

    assert fills(r) == [(other, 100, 2), (later, 100, 5)]
    assert ex.get_order(mine).status is OrderStatus.CANCELLED


def test_self_trade_prevention_works_across_levels():
    ex = Exchange()
    low = ex.submit_limit("sell", 100, 2, owner=2).order_id
    mine = ex.submit_limit("sell", 101, 2, owner=1).order_id
    high = ex.submit_limit("sell", 102, 2, owner=2).order_id

    r = ex.submit_limit("buy", 102, 6, owner=1, stp="cancel_oldest")

    assert fills(r) == [(low, 100, 2), (high, 102, 2)]
    assert ex.get_order(mine).status is OrderStatus.CANCELLED
    assert l3(ex, "buy") == [(r.order_id, 102, 2, 2)] and ex.best_ask() is None


def test_fok_with_stp_counts_only_what_is_reachable_before_the_own_order():
    ex = owned_book()[0]
    before = engine_fingerprint(ex)

    killed = ex.submit_limit("buy", 100, 3, "fok", owner=1, stp="cancel_newest")

    assert killed.status is OrderStatus.CANCELLED and killed.trades == []
    assert engine_fingerprint(ex)[:4] == before[:4]  # the book did not change


@pytest.mark.parametrize("stp", ["cancel_both", "decrement"])
def test_fok_with_stp_stops_counting_at_the_own_order(stp):
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 3, "fok", owner=1, stp=stp)

    assert r.status is OrderStatus.CANCELLED and r.trades == []
    assert l3(ex, "sell") == [(other, 100, 2, 2), (mine, 100, 3, 3), (later, 100, 5, 5)]


def test_fok_with_cancel_oldest_skips_the_own_orders():
    ex, other, mine, later = owned_book()

    r = ex.submit_limit("buy", 100, 7, "fok", owner=1, stp="cancel_oldest")

    assert r.status is OrderStatus.FILLED and fills(r) == [(other, 100, 2), (later, 100, 5)]
    assert ex.get_order(mine).status is OrderStatus.CANCELLED


@pytest.mark.parametrize("stp", ["cancel_newest", "cancel_both", "decrement"])
def test_fok_with_stp_never_fills_partially_through_an_iceberg_refresh(stp):
    # the iceberg's refreshed slice would queue behind the own order, where matching stops:
    # only its shown 5 are reachable (was an engine bug: filled 5 of 15, status CANCELLED)
    ex = Exchange()
    ex.submit_limit("sell", 100, 20, display_quantity=5, owner=2)
    ex.submit_limit("sell", 100, 10, owner=1)
    before = engine_fingerprint(ex)

    r = ex.submit_limit("buy", 100, 15, "fok", owner=1, stp=stp)

    assert r.status is OrderStatus.CANCELLED and r.filled_quantity == 0
    assert engine_fingerprint(ex)[:4] == before[:4]


def test_fok_with_stp_may_use_an_icebergs_hidden_part_when_no_own_order_waits_at_its_level():
    ex = Exchange()
    ice = ex.submit_limit("sell", 100, 20, display_quantity=5, owner=2).order_id
    ex.submit_limit("sell", 101, 10, owner=1)

    r = ex.submit_limit("buy", 101, 15, "fok", owner=1, stp="cancel_newest")

    assert r.status is OrderStatus.FILLED and fills(r) == [(ice, 100, 5)] * 3


# -- the same rules, on random queues, against the reference model -------------------------


@st.composite
def crowded_level(draw):
    """Resting asks at 100-101 (icebergs, owners 0-2), then one incoming buy."""
    ops = []
    for _ in range(draw(st.integers(1, 6))):
        qty = draw(st.integers(1, 12))
        kwargs = {"owner": draw(st.sampled_from((0, 1, 2)))}
        if draw(st.booleans()):
            kwargs["display_quantity"] = draw(st.integers(1, qty))
        ops.append(("submit_limit", ("sell", draw(st.integers(100, 101)), qty, "gtc"), kwargs))
    stp = draw(st.sampled_from(("cancel_newest", "cancel_oldest", "cancel_both", "decrement")))
    extras = {"owner": draw(st.sampled_from((1, 2))), "stp": stp}
    qty = draw(st.integers(1, 40))
    if draw(st.booleans()):
        ops.append(("submit_market", ("buy", qty), extras))
    else:
        tif = draw(st.sampled_from(("gtc", "ioc", "fok")))
        ops.append(("submit_limit", ("buy", draw(st.integers(100, 101)), qty, tif), extras))
    return ops


@settings(max_examples=scaled(500), **SETTINGS)
@given(crowded_level())
def test_self_trade_prevention_on_crowded_levels_matches_the_model(ops):
    run_both(ops)
