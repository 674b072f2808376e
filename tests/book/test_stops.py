"""Example tests of stop orders and trailing stops (documented behaviour, one rule per test)."""

import pytest

from tickbook.book import Exchange, StopStatus
from tickbook.core import OrderNotActive, OrderStatus, TimeInForce, UnknownOrder


def trade_at(ex: Exchange, price: int, quantity: int = 1) -> None:
    """Print one trade at ``price`` (a resting sell taken by a buy)."""
    ex.submit_limit("sell", price, quantity)
    r = ex.submit_limit("buy", price, quantity)
    assert r.filled_quantity == quantity and r.trades[-1].price == price


# -- triggers -------------------------------------------------------------------------------


def test_buy_stop_triggers_when_the_last_trade_reaches_the_stop_price():
    ex = Exchange()
    stop = ex.submit_stop_market("buy", 105, 2).order_id
    ex.submit_limit("sell", 110, 10)
    trade_at(ex, 104)
    assert ex.get_stop_order(stop).status == StopStatus.PENDING

    trade_at(ex, 105)

    assert ex.get_stop_order(stop).status == StopStatus.TRIGGERED
    order = ex.get_order(stop)
    assert order.status is OrderStatus.FILLED and order.filled_quantity == 2
    assert ex.trades()[-1].aggressor_order_id == stop and ex.trades()[-1].price == 110


def test_sell_stop_triggers_when_the_last_trade_falls_to_the_stop_price():
    ex = Exchange()
    stop = ex.submit_stop_market("sell", 95, 2).order_id
    ex.submit_limit("buy", 90, 10)
    trade_at(ex, 96)
    assert ex.pending_stop_count() == 1

    trade_at(ex, 95)

    assert ex.pending_stop_count() == 0
    assert ex.trades()[-1].aggressor_order_id == stop and ex.trades()[-1].price == 90


def test_no_stop_triggers_before_the_first_trade():
    ex = Exchange()

    result = ex.submit_stop_market("buy", 1, 5)

    assert result.status == StopStatus.PENDING and ex.pending_stop_count() == 1


def test_a_stop_already_past_triggers_at_once():
    ex = Exchange()
    trade_at(ex, 100)
    ex.submit_limit("sell", 101, 5)

    result = ex.submit_stop_market("buy", 99, 3)

    assert result.status == StopStatus.TRIGGERED
    assert ex.get_order(result.order_id).filled_quantity == 3
    assert ex.best_ask() == 101 and ex.depth().asks[0].quantity == 2


def test_ids_are_shared_by_orders_and_stops():
    ex = Exchange()
    a = ex.submit_limit("buy", 90, 1).order_id
    s = ex.submit_stop_market("sell", 80, 1).order_id
    b = ex.submit_limit("buy", 90, 1).order_id
    assert (a, s, b) == (1, 2, 3)


def test_a_triggered_stop_market_is_a_market_order_with_the_stop_id():
    ex = Exchange()
    stop = ex.submit_stop_market("sell", 100, 10).order_id
    ex.submit_limit("buy", 99, 4)

    trade_at(ex, 100)

    order = ex.get_order(stop)
    assert order.price is None and order.time_in_force is TimeInForce.IOC
    assert (order.filled_quantity, order.cancelled_quantity) == (4, 6)
    assert order.status is OrderStatus.CANCELLED  # IOC: the rest is cancelled


def test_a_triggered_stop_limit_rests_at_its_limit_with_its_time_in_force():
    ex = Exchange()
    gtc = ex.submit_stop_limit("buy", 105, 106, 5).order_id
    ioc = ex.submit_stop_limit("buy", 105, 106, 5, "ioc").order_id
    ex.submit_limit("sell", 106, 3)

    trade_at(ex, 105)

    assert ex.get_order(gtc).status is OrderStatus.PARTIALLY_FILLED
    assert [tuple(r)[:4] for r in ex.orders("buy").tolist()] == [(gtc, 106, 2, 2)]
    assert ex.get_order(ioc).status is OrderStatus.CANCELLED
    assert ex.get_order(ioc).filled_quantity == 0


def test_a_triggered_stop_limit_fok_does_nothing_unless_it_fills_whole():
    ex = Exchange()
    stop = ex.submit_stop_limit("buy", 105, 106, 5, "fok").order_id
    ex.submit_limit("sell", 106, 3)

    trade_at(ex, 105)

    assert ex.get_order(stop).status is OrderStatus.CANCELLED
    assert ex.depth().asks[0].quantity == 3


def test_a_triggered_stop_takes_its_own_step_of_the_clock():
    # Pins the engine: the brief's list says "+1 per operation (trades carry the op's
    # timestamp)", but each triggered stop advances the clock once more and its trades carry
    # that later timestamp (nanobook does the same). Reported as a semantic doubt.
    ex = Exchange()
    first = ex.submit_stop_market("sell", 100, 1).order_id
    second = ex.submit_stop_market("sell", 100, 1).order_id
    ex.submit_limit("buy", 90, 2)
    ex.submit_limit("sell", 100, 1)
    clock = ex.clock

    ex.submit_limit("buy", 100, 1)  # one operation, two stops fire

    assert ex.clock == clock + 3
    stamps = [(t.aggressor_order_id, t.timestamp) for t in ex.trades()[-2:]]
    assert stamps == [(first, clock + 2), (second, clock + 3)]


# -- cascades -------------------------------------------------------------------------------


def test_a_cascade_fires_reached_stops_in_id_order_round_after_round():
    ex = Exchange()
    ex.submit_limit("buy", 97, 1)
    ex.submit_limit("buy", 96, 1)
    ex.submit_limit("buy", 95, 1)
    low = ex.submit_stop_market("sell", 97, 1).order_id
    first = ex.submit_stop_market("sell", 99, 1).order_id
    high = ex.submit_stop_market("sell", 98, 1).order_id
    ex.submit_limit("sell", 99, 1)

    # last 99 reaches only `first` (round 1), whose sale at 97 reaches `high` and `low`
    # (round 2), which fire in id order: `low` was submitted first
    ex.submit_limit("buy", 99, 1)

    aggressors = [(t.aggressor_order_id, t.price) for t in ex.trades()[1:]]
    assert aggressors == [(first, 97), (low, 96), (high, 95)]
    assert ex.pending_stop_count() == 0


def test_a_cascade_runs_at_most_100_rounds_per_call_and_resumes_on_the_next():
    ex = Exchange()
    n = 120
    chained_sell_stops(ex, n)

    ex.submit_limit("buy", 1000, 1)

    assert ex.pending_stop_count() == n - 100 and ex.last_trade_price() == 900
    ex.submit_limit("buy", 1, 1)  # any operation resumes the cascade
    assert ex.pending_stop_count() == 0 and ex.last_trade_price() == 880


# -- cancelling -----------------------------------------------------------------------------


def test_a_pending_stop_is_cancelled_by_id_and_never_triggers():
    ex = Exchange()
    stop = ex.submit_stop_market("sell", 100, 7).order_id

    result = ex.cancel(stop)

    assert result.success and result.cancelled_quantity == 7
    assert ex.get_stop_order(stop).status == StopStatus.CANCELLED
    assert ex.pending_stop_count() == 0
    ex.submit_limit("buy", 90, 5)
    trade_at(ex, 95)
    assert ex.get_order(stop) is None and ex.depth().bids[0].quantity == 5
    with pytest.raises(OrderNotActive):
        ex.cancel(stop)


def test_a_triggered_and_finished_stop_cannot_be_cancelled():
    ex = Exchange()
    trade_at(ex, 100)
    stop = ex.submit_stop_market("sell", 100, 1).order_id  # fires at once, nothing to take

    with pytest.raises(OrderNotActive):
        ex.cancel(stop)


def test_a_triggered_stop_limit_that_rests_is_cancelled_as_an_order():
    ex = Exchange()
    trade_at(ex, 100)
    stop = ex.submit_stop_limit("buy", 100, 90, 4).order_id

    assert ex.cancel(stop).cancelled_quantity == 4
    assert ex.get_order(stop).status is OrderStatus.CANCELLED


def test_a_pending_stop_is_not_an_order_for_modify_or_reduce():
    ex = Exchange()
    stop = ex.submit_stop_limit("buy", 105, 106, 5).order_id
    with pytest.raises(UnknownOrder):
        ex.modify(stop, 107, 5)
    with pytest.raises(UnknownOrder):
        ex.reduce(stop, 1)
    assert ex.get_order(stop) is None and ex.pending_stop_count() == 1


def test_clearing_history_keeps_pending_stops_and_forgets_finished_ones():
    ex = Exchange()
    pending = ex.submit_stop_market("buy", 200, 1).order_id
    cancelled = ex.submit_stop_market("buy", 200, 1).order_id
    ex.cancel(cancelled)

    ex.clear_order_history()

    assert ex.get_stop_order(pending).status == StopStatus.PENDING
    assert ex.get_stop_order(cancelled) is None
    with pytest.raises(UnknownOrder):
        ex.cancel(cancelled)


# -- trailing stops -------------------------------------------------------------------------


def test_a_fixed_trailing_sell_stop_follows_the_high_and_never_falls():
    ex = Exchange()
    stop = ex.submit_trailing_stop_market("sell", 90, 1, "fixed", 5).order_id
    ex.submit_limit("buy", 50, 1)  # something for the stop to sell into

    moves = []
    for price in (100, 104, 102, 101):
        trade_at(ex, price)
        moves.append(ex.get_stop_order(stop).stop_price)

    assert moves == [95, 99, 99, 99]
    trade_at(ex, 99)
    assert ex.get_stop_order(stop).status == StopStatus.TRIGGERED


def test_a_fixed_trailing_buy_stop_follows_the_low_and_never_rises():
    ex = Exchange()
    stop = ex.submit_trailing_stop_market("buy", 110, 1, "fixed", 5).order_id
    ex.submit_limit("sell", 200, 1)

    moves = []
    for price in (100, 96, 98, 99):
        trade_at(ex, price)
        moves.append(ex.get_stop_order(stop).stop_price)

    assert moves == [105, 101, 101, 101]
    trade_at(ex, 101)
    assert ex.get_stop_order(stop).status == StopStatus.TRIGGERED


def test_a_percentage_trail_is_floor_of_the_extreme_times_the_fraction():
    ex = Exchange()
    sell = ex.submit_trailing_stop_market("sell", 9000, 1, "percentage", 0.05).order_id
    buy = ex.submit_trailing_stop_market("buy", 11000, 1, "percentage", 0.05).order_id

    trade_at(ex, 10050)  # 5% of 10050 = 502.5 -> 502
    assert (ex.get_stop_order(sell).stop_price, ex.get_stop_order(buy).stop_price) == (
        10050 - 502,
        10050 + 502,
    )
    trade_at(ex, 9950)  # a new low: only the buy stop moves (5% of 9950 -> 497)
    assert (ex.get_stop_order(sell).stop_price, ex.get_stop_order(buy).stop_price) == (
        9548,
        9950 + 497,
    )


def test_an_atr_trail_waits_for_enough_price_changes_then_uses_their_mean():
    ex = Exchange()
    stop = ex.submit_trailing_stop_market("sell", 50, 1, "atr", 2.0, 3).order_id

    for price in (100, 104, 101):  # two changes so far: 4 and 3
        trade_at(ex, price)
    assert ex.get_stop_order(stop).stop_price == 50

    trade_at(ex, 103)  # changes 4, 3, 2: mean 3, times 2 = 6, from the high 104

    assert ex.get_stop_order(stop).stop_price == 104 - 6


def test_an_atr_trail_tightens_when_volatility_falls():
    ex = Exchange()
    stop = ex.submit_trailing_stop_market("sell", 50, 1, "atr", 1.0, 2).order_id
    ex.submit_limit("buy", 10, 1)
    for price in (100, 110, 104):  # changes 10, 6: trail 8 from the high 110
        trade_at(ex, price)
    assert ex.get_stop_order(stop).stop_price == 102
    assert ex.get_stop_order(stop).status == StopStatus.PENDING

    trade_at(ex, 103)  # changes 6, 1: trail 3.5 -> 3, stop 107; the last price is below

    assert ex.get_stop_order(stop).stop_price == 107
    assert ex.get_stop_order(stop).status == StopStatus.TRIGGERED


def test_an_atr_trail_widening_never_lowers_a_sell_stop():
    ex = Exchange()
    stop = ex.submit_trailing_stop_market("sell", 50, 1, "atr", 1.0, 1).order_id
    for price in (100, 101):  # change 1: stop 101 - 1 = 100
        trade_at(ex, price)
    assert ex.get_stop_order(stop).stop_price == 100

    trade_at(ex, 130)  # change 29: 130 - 29 = 101 > 100, moves up
    assert ex.get_stop_order(stop).stop_price == 101
    trade_at(ex, 160)  # change 30: 160 - 30 = 130
    assert ex.get_stop_order(stop).stop_price == 130


def test_a_trailing_stop_limit_becomes_a_limit_order_at_its_limit():
    ex = Exchange()
    stop = ex.submit_trailing_stop_limit("sell", 90, 80, 3, "fixed", 2, "gtc").order_id
    trade_at(ex, 100)  # stop 98

    trade_at(ex, 98)

    order = ex.get_order(stop)
    assert order.price == 80 and order.status is OrderStatus.NEW
    assert ex.best_ask() == 80


def test_get_stop_order_reports_the_trail_parameters():
    ex = Exchange()
    a = ex.submit_trailing_stop_market("sell", 90, 1, "fixed", 3).order_id
    b = ex.submit_trailing_stop_market("sell", 90, 1, "percentage", 0.025).order_id
    c = ex.submit_trailing_stop_limit("buy", 110, 111, 1, "atr", 1.5, "ioc", 7).order_id

    sa, sb, sc = ex.get_stop_order(a), ex.get_stop_order(b), ex.get_stop_order(c)

    assert (sa.trail_method, sa.trail_value, sa.atr_period) == ("fixed", 3, None)
    assert (sb.trail_method, sb.trail_value) == ("percentage", pytest.approx(0.025))
    assert (sc.trail_method, sc.trail_value, sc.atr_period) == ("atr", pytest.approx(1.5), 7)
    assert sc.limit_price == 111 and sc.time_in_force is TimeInForce.IOC
    assert ex.get_stop_order(10**6) is None


def test_trailing_stop_ignores_trades_before_its_submission():
    # was an engine bug: the high/low started at the last trade before submission
    ex = Exchange()
    trade_at(ex, 100)

    stop = ex.submit_trailing_stop_market("sell", 90, 1, "fixed", 5).order_id

    assert ex.get_stop_order(stop).stop_price == 90  # no trade since submission yet
    trade_at(ex, 98)
    assert ex.get_stop_order(stop).stop_price == 93


def test_a_trailing_buy_stop_ignores_trades_before_its_submission():
    ex = Exchange()
    trade_at(ex, 100)

    stop = ex.submit_trailing_stop_market("buy", 110, 1, "fixed", 5).order_id

    assert ex.get_stop_order(stop).stop_price == 110
    trade_at(ex, 103)
    assert ex.get_stop_order(stop).stop_price == 108


def test_trailing_stop_does_not_trigger_on_the_trade_before_its_submission():
    ex = Exchange()
    trade_at(ex, 100)

    result = ex.submit_trailing_stop_market("sell", 90, 1, "percentage", 0.001)

    assert result.status == StopStatus.PENDING


def chained_sell_stops(ex: Exchange, n: int) -> None:
    """Bids at 999, 998, ... and sell stops at 1000, 999, ...: each fill reaches the next stop."""
    for i in range(n):
        ex.submit_limit("buy", 1000 - i - 1, 1)
    for i in range(n):
        ex.submit_stop_market("sell", 1000 - i, 1)
    ex.submit_limit("sell", 1000, 1)


def test_a_trailing_stop_ignores_prices_left_over_from_a_capped_cascade():
    # was an engine bug: the last capped round's prices stayed in H_OP_HI/H_OP_LO and moved a
    # trailing stop submitted afterwards (to 895 from the stale 900, firing one round early)
    ex = Exchange()
    chained_sell_stops(ex, 120)
    ex.submit_limit("buy", 1000, 1)  # 100 rounds: the last trade is at 900, 20 stops wait
    assert ex.last_trade_price() == 900 and ex.pending_stop_count() == 20

    # the cascade resumes in this call and trades at 899 .. 880, all after the submission
    stop = ex.submit_trailing_stop_market("sell", 1, 1, "fixed", 5).order_id

    assert ex.get_stop_order(stop).stop_price == 899 - 5


# -- many pending stops: the trigger index ----------------------------------------------------


def test_many_stops_fire_in_id_order_whatever_their_price():
    import random

    ex = Exchange()
    rng = random.Random(3)
    ex.submit_limit("buy", 1_000, 10**6)
    ex.submit_limit("sell", 1_001, 10)
    ex.submit_limit("sell", 1_050, 10**6)
    ex.submit_limit("sell", 1_000, 1, "ioc")  # last trade 1000
    stops = {}
    for _ in range(3_000):  # none reached yet: buys above 1000, sells below
        if rng.random() < 0.5:
            price = rng.randrange(1_001, 1_100)
            stops[ex.submit_stop_market("buy", price, 1).order_id] = ("buy", price)
        else:
            price = rng.randrange(900, 1_000)
            stops[ex.submit_stop_market("sell", price, 1).order_id] = ("sell", price)
    assert ex.pending_stop_count() == len(stops)
    expected = sorted(oid for oid, (side, p) in stops.items() if side == "buy" and p <= 1_050)

    ex.submit_limit("buy", 1_050, 11, "ioc")  # last 1050: buy stops <= 1050 fire, by id

    fired = [t.aggressor_order_id for t in ex.trades() if t.aggressor_order_id in stops]
    assert fired == expected and all(t.price == 1_050 for t in ex.trades()[-len(fired) :])
    assert ex.pending_stop_count() == len(stops) - len(expected)
    for oid in set(stops) - set(expected):
        assert ex.get_stop_order(oid).status == StopStatus.PENDING


def test_cancelling_many_stops_in_random_order_leaves_the_rest_to_fire():
    import random

    ex = Exchange()
    rng = random.Random(4)
    ex.submit_limit("sell", 2_000, 10**6)
    ex.submit_limit("buy", 2_000, 1)  # last trade 2000
    stops = [
        ex.submit_stop_market("buy", rng.randrange(2_001, 2_500), 1).order_id for _ in range(500)
    ]
    cancelled = set(rng.sample(stops, 400))
    for oid in rng.sample(sorted(cancelled), len(cancelled)):
        ex.cancel(oid)
    assert ex.pending_stop_count() == 100
    ex.submit_limit("sell", 2_600, 10**6)
    ex.submit_limit("buy", 2_600, 10**6 + 10, "ioc")  # sweeps to 2600: every stop fires
    fired = {t.aggressor_order_id for t in ex.trades()} & set(stops)
    assert fired == set(stops) - cancelled and ex.pending_stop_count() == 0


def test_many_trailing_stops_move_and_fire_like_single_ones():
    singles, crowd = Exchange(), Exchange()
    for ex in (singles, crowd):
        ex.submit_limit("buy", 50, 10**6)
        ex.submit_limit("sell", 500, 10**6)
    mine = crowd.submit_trailing_stop_market("sell", 90, 1, "fixed", 5).order_id
    for k in range(300):  # company that must not change what happens to ``mine``
        crowd.submit_trailing_stop_market("sell", 80 - (k % 20), 1, "fixed", 10 + k % 7)
        crowd.submit_stop_market("buy", 1_000 + k, 1)
    alone = singles.submit_trailing_stop_market("sell", 90, 1, "fixed", 5).order_id
    for price in (100, 110, 120, 116, 114):
        for ex in (singles, crowd):
            trade_at(ex, price)
    assert singles.get_stop_order(alone).stop_price == crowd.get_stop_order(mine).stop_price == 115
    assert singles.get_stop_order(alone).status == crowd.get_stop_order(mine).status
    assert crowd.get_stop_order(mine).status == StopStatus.TRIGGERED


def test_a_batch_trailing_stop_without_a_trail_method_is_refused():
    from tickbook.book import CommandKind, make_commands

    ex = Exchange()
    kinds = [CommandKind.TRAIL_MARKET, CommandKind.TRAIL_PARAMS]
    cmds = make_commands(kinds, [1, 0], [0, 5], [1, 0], [95, 0])  # method (ref) 0: none
    results, _ = ex.submit_batch(cmds)
    assert (results["error"] < 0).all() and ex.pending_stop_count() == 0
    assert ex.clock == 0
