"""SimBroker: orders on tickbook's own books, integer cash and positions, refusals, determinism."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brokers.conftest import sim_state
from tests.brokers.strategies import ops
from tickbook.backtest import FixedBps, SpreadCross, SquareRootImpact
from tickbook.brokers import (
    Broker,
    BrokerDisconnected,
    BrokerOrderStatus,
    InsufficientFunds,
    OrderNotFound,
    SimBroker,
    UnknownSymbol,
)
from tickbook.core import DataError, TickbookError, ValidationError

S = BrokerOrderStatus


def make(**kwargs):
    kwargs.setdefault("prices", {"AAPL": 100_00, "MSFT": 200_00})
    return SimBroker(100_000_00, **kwargs)


def test_sim_broker_is_a_broker():
    assert isinstance(make(), Broker)


def test_market_buy_pays_the_models_ask_and_books_cash_and_position():
    b = make(slippage=SpreadCross(spread_bps=10), commission_bps=10)
    q = b.quote("AAPL")
    assert (q.bid_cents, q.ask_cents, q.last_cents) == (99_95, 100_05, 100_00)
    o = b.submit_order("AAPL", "buy", 100)
    assert o.status is S.FILLED and o.filled_quantity == 100
    assert o.filled_value_cents == 100 * 100_05 and o.avg_price_cents == 100_05
    assert o.commission_cents == 10_01  # 10 bps of 10,005.00 dollars = 10.005, half up
    a = b.account()
    assert a.cash_cents == 100_000_00 - 100 * 100_05 - 10_01
    [p] = b.positions()
    assert (p.symbol, p.quantity, p.avg_cost_cents) == ("AAPL", 100, 100_05)
    assert p.market_value_cents == 100 * 100_00 and p.unrealized_pnl_cents == -500
    assert a.equity_cents == a.cash_cents + p.market_value_cents


def test_limit_rests_then_fills_at_its_price_when_the_market_crosses_it():
    b = make(slippage=FixedBps(0))
    o = b.submit_order("AAPL", "buy", 10, "limit", limit_price_cents=99_00, client_order_id="L1")
    assert o.status is S.NEW and b.open_orders() == [o]
    assert b.account().buying_power_cents == 100_000_00 - 10 * 99_00  # held back
    b.set_price("AAPL", 99_50)
    assert b.order_status(client_order_id="L1").status is S.NEW
    b.set_price("AAPL", 98_00)  # gaps through: fills at the limit, not the new price
    done = b.order_status(o.order_id)
    assert done.status is S.FILLED and done.avg_price_cents == 99_00
    assert b.account().cash_cents == 100_000_00 - 10 * 99_00 and b.open_orders() == []


def test_marketable_limit_walks_the_impact_ladder_and_rests_the_rest():
    b = make(slippage=SquareRootImpact(volatility=0.02, adv=1_000, spread_bps=10))
    o = b.submit_order("AAPL", "buy", 500, "limit", limit_price_cents=100_20)
    assert o.status is S.PARTIALLY_FILLED and 0 < o.filled_quantity < 500
    assert o.avg_price_cents <= 100_20 and o.remaining_quantity == 500 - o.filled_quantity
    assert b.positions()[0].quantity == o.filled_quantity


def test_ioc_remainder_expires_and_fok_all_or_nothing():
    b = make(slippage=FixedBps(0))
    ioc = b.submit_order("AAPL", "buy", 5, "limit", limit_price_cents=99_00, tif="ioc")
    assert ioc.status is S.EXPIRED and ioc.filled_quantity == 0
    fok = b.submit_order("AAPL", "buy", 5, "limit", limit_price_cents=100_00, tif="fok")
    assert fok.status is S.FILLED


def test_stop_and_stop_limit_trigger_on_the_last_price():
    b = make(slippage=FixedBps(0))
    b.submit_order("AAPL", "buy", 20)
    stop = b.submit_order("AAPL", "sell", 10, "stop", stop_price_cents=95_00)
    sl = b.submit_order("AAPL", "sell", 10, "stop-limit", stop_price_cents=95_00,
                        limit_price_cents=94_00)  # fmt: skip
    assert stop.status is S.NEW and sl.status is S.NEW
    b.set_price("AAPL", 96_00)
    assert b.order_status(stop.order_id).status is S.NEW
    b.set_price("AAPL", 94_50)
    assert b.order_status(stop.order_id).avg_price_cents == 94_50
    assert b.order_status(sl.order_id).status is S.FILLED
    assert b.order_status(sl.order_id).avg_price_cents == 94_50
    assert b.positions() == []


def test_buy_stop_triggers_at_once_when_already_through():
    b = make(slippage=FixedBps(0))
    o = b.submit_order("AAPL", "buy", 1, "stop", stop_price_cents=99_00)
    assert o.status is S.FILLED


def test_repeated_client_order_id_answers_the_first_order_and_sends_nothing():
    b = make()
    first = b.submit_order("AAPL", "buy", 10, client_order_id="rb-1")
    before = sim_state(b)
    again = b.submit_order("AAPL", "buy", 99, client_order_id="rb-1")
    assert again == first and sim_state(b) == before


def test_cancel_releases_the_hold_and_a_finished_order_is_returned_unchanged():
    b = make()
    o = b.submit_order("AAPL", "buy", 10, "limit", limit_price_cents=90_00)
    c = b.cancel_order(o.order_id)
    assert c.status is S.CANCELLED and b.account().buying_power_cents == 100_000_00
    assert b.cancel_order(client_order_id=o.client_order_id) == c
    b.set_price("AAPL", 80_00)
    assert b.order_status(o.order_id).status is S.CANCELLED


def test_insufficient_cash_and_position_are_refused_and_change_nothing():
    b = make()
    before = sim_state(b)
    with pytest.raises(InsufficientFunds) as info:
        b.submit_order("AAPL", "buy", 1_001)  # 1,001 x 100.05 > 100,000.00
    assert info.value.field == "quantity"
    with pytest.raises(InsufficientFunds):
        b.submit_order("AAPL", "sell", 1)  # shorting is off
    with pytest.raises(InsufficientFunds):
        b.submit_order("AAPL", "buy", 1_000, "limit", limit_price_cents=100_01)
    assert sim_state(b) == before


def test_open_sells_reserve_the_position():
    b = make()
    b.submit_order("AAPL", "buy", 10)
    b.submit_order("AAPL", "sell", 8, "limit", limit_price_cents=150_00)
    with pytest.raises(InsufficientFunds):
        b.submit_order("AAPL", "sell", 3)
    b.submit_order("AAPL", "sell", 2)


def test_short_selling_when_allowed():
    b = make(allow_short=True, slippage=FixedBps(0))
    b.submit_order("AAPL", "sell", 10)
    [p] = b.positions()
    assert p.quantity == -10 and p.avg_cost_cents == 100_00
    a = b.account()
    assert a.cash_cents == 100_000_00 + 10 * 100_00
    assert a.equity_cents == 100_000_00 and a.buying_power_cents == 100_000_00
    b.set_price("AAPL", 90_00)
    assert b.positions()[0].unrealized_pnl_cents == 100_00
    b.submit_order("AAPL", "buy", 15)  # flips to +5 at 90.00
    [p] = b.positions()
    assert (p.quantity, p.avg_cost_cents) == (5, 90_00)


def test_unknown_symbol_and_unknown_order():
    b = make()
    with pytest.raises(UnknownSymbol):
        b.submit_order("NOPE", "buy", 1)
    with pytest.raises(UnknownSymbol):
        b.quote("NOPE")
    with pytest.raises(OrderNotFound):
        b.order_status("42")
    with pytest.raises(OrderNotFound):
        b.order_status(client_order_id="nope")
    o = b.submit_order("AAPL", "buy", 1, client_order_id="c1")
    with pytest.raises(OrderNotFound):
        b.order_status(o.order_id, symbol="MSFT")


def test_disconnected_broker_refuses_calls():
    b = make()
    b.disconnect()
    with pytest.raises(BrokerDisconnected):
        b.account()
    b.connect()
    assert b.account().cash_cents == 100_000_00


def test_price_file_steps_through_real_prices(panel_path):
    b = SimBroker(1_000_000_00, prices=panel_path, start=-3)
    assert b.date == "2022-12-23" and len(b.symbols) == 20
    assert b.quote("AAPL").last_cents == 131_48  # 131.477 dollars, to the cent
    o = b.submit_order("AAPL", "buy", 100, "limit", limit_price_cents=130_00)
    assert b.advance() and b.date == "2022-12-27"  # 129.652: ask 129.71 <= 130.00
    assert b.order_status(o.order_id).status is S.FILLED
    assert b.advance() and not b.advance()


def test_same_commands_give_the_same_answers():
    def run():
        b = make(slippage=SquareRootImpact(volatility=0.02, adv=500))
        out = [b.submit_order("AAPL", "buy", 300, "limit", limit_price_cents=100_30)]
        for price in (101_00, 99_00, 98_00, 103_00):
            b.set_price("AAPL", price)
            out.append(b.submit_order("MSFT", "buy", 7))
        return out, sim_state(b)

    assert run() == run()


# -- bad input: named, and nothing changes --------------------------------------------------

BAD_CALLS = [
    ("submit_order", ("AAPL", "buy", 0), {}, "quantity"),
    ("submit_order", ("AAPL", "hold", 1), {}, "side"),
    ("submit_order", ("", "buy", 1), {}, "symbol"),
    ("submit_order", ("AAPL", "buy", 1, "limit"), {}, "limit_price_cents"),
    ("submit_order", ("AAPL", "buy", 1, "market"), {"stop_price_cents": 5}, "stop_price_cents"),
    ("submit_order", ("AAPL", "buy", 1 << 41), {}, "quantity"),
    ("submit_order", ("AAPL", "buy", 1), {"client_order_id": "bad id"}, "client_order_id"),
    ("submit", ({"symbol": "AAPL"},), {}, "request"),
    ("order_status", (), {}, "order_id"),
    ("order_status", ("1",), {"client_order_id": "c"}, "order_id"),
    ("order_status", (7,), {}, "order_id"),
    ("cancel_order", (None,), {"client_order_id": "bad id"}, "client_order_id"),
    ("open_orders", ("A A",), {}, "symbol"),
    ("quote", (None,), {}, "symbol"),
    ("set_quote", ("AAPL", 101, 100), {}, "bid_cents"),
    ("set_quote", ("AAPL",), {}, "last_cents"),
    ("set_quote", ("AAPL", None, None, -1), {}, "last_cents"),
    ("set_quote", ("AAPL", None, None, 100, -1), {}, "volume"),
    ("set_price", ("AAPL", 1.5), {}, "last_cents"),
    ("advance", (0,), {}, "steps"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), BAD_CALLS)
def test_bad_arguments_are_refused_by_name_and_change_nothing(method, args, kwargs, field):
    b = make()
    b.submit_order("AAPL", "buy", 5, "limit", limit_price_cents=99_00)
    before = sim_state(b)
    with pytest.raises(ValidationError) as info:
        getattr(b, method)(*args, **kwargs)
    assert info.value.field == field
    assert sim_state(b) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prices": {"AAPL": 0}}, "prices['AAPL']"),
        ({"prices": {"A A": 100}}, "prices"),
        ({"prices": 5}, "prices"),
        ({"prices": {"AAPL": 1}, "start": 0}, "start"),
        ({"slippage": "wide"}, "slippage"),
        ({"commission_bps": -1}, "commission_bps"),
        ({"allow_short": 1}, "allow_short"),
    ],
)
def test_bad_construction_is_refused_by_name(kwargs, field):
    with pytest.raises(ValidationError) as info:
        SimBroker(**kwargs)
    assert info.value.field == field


def test_bad_price_files_are_data_errors(tmp_path):
    cases = {
        "missing.csv": None,
        "empty.csv": "",
        "ragged.csv": "Date,A,B\n2020-01-01,1\n",
        "negative.csv": "Date,A\n2020-01-01,-1\n",
        "text.csv": "Date,A\n2020-01-01,abc\n",
        "order.csv": "Date,A\n2020-01-02,1\n2020-01-01,1\n",
        "header.csv": "Date,A B\n2020-01-01,1\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(DataError):
            SimBroker(prices=path)


@settings(max_examples=60, deadline=None)
@given(
    symbol=st.one_of(st.text(max_size=25), st.integers(), st.none()),
    side=st.one_of(st.sampled_from(["buy", "sell", "BUY", "x", ""]), st.integers()),
    quantity=st.one_of(st.integers(-5, 5_000), st.floats(allow_nan=True), st.text(max_size=3)),
    kind=st.sampled_from(["market", "limit", "stop", "stop_limit", "iceberg", 3]),
    limit=st.one_of(st.none(), st.integers(-10, 200_00), st.floats()),
    stop=st.one_of(st.none(), st.integers(-10, 200_00)),
)
def test_fuzzed_orders_either_work_or_change_nothing(symbol, side, quantity, kind, limit, stop):
    b = make()
    b.submit_order("AAPL", "buy", 50)
    b.submit_order("AAPL", "sell", 5, "limit", limit_price_cents=120_00)
    before = sim_state(b)
    try:
        b.submit_order(symbol, side, quantity, kind, limit_price_cents=limit, stop_price_cents=stop)
    except TickbookError as error:
        assert error.field is not None
        assert sim_state(b) == before
    else:
        assert b.clock == before[3] + 1


def test_feed_replay_drives_the_quote_and_fills_resting_orders():
    import numpy as np

    from tickbook.book import BOOK_EVENT_DTYPE, FeedEventKind

    rows = [  # (kind, side, order_id, price in 1/10000 dollars, qty)
        (FeedEventKind.ADD, 0, 1, 99_9000, 100), (FeedEventKind.ADD, 1, 2, 100_0100, 100),
        (FeedEventKind.ADD, 1, 3, 99_9500, 50),  # the ask drops to 99.95
        (FeedEventKind.DELETE, 1, 3, 0, 0), (FeedEventKind.ADD, 1, 4, 99_8000, 10),  # crossed
        (FeedEventKind.DELETE, 0, 1, 0, 0),
    ]  # fmt: skip
    events = np.zeros(len(rows), BOOK_EVENT_DTYPE)
    for k, (kind, side, oid, price, qty) in enumerate(rows):
        events[k]["ts_ns"], events[k]["kind"], events[k]["side"] = k, kind, side
        events[k]["order_id"], events[k]["price"], events[k]["qty"] = oid, price, qty
    b = SimBroker(10_000_00, prices={"AAPL": 100_00})  # SpreadCross: the quoted bid and ask
    o = b.submit_order("AAPL", "buy", 5, "limit", limit_price_cents=99_96)
    seen = []
    for index in b.replay("AAPL", events, ticks_per_cent=100):
        q = b.quote("AAPL")
        seen.append((index, q.bid_cents, q.ask_cents, b.order_status(o.order_id).status))
    # one-sided (after event 1, after 6) and crossed (after 5) books are not quoted
    assert [row[:3] for row in seen] == [(2, 99_90, 100_01), (3, 99_90, 99_95), (4, 99_90, 100_01)]
    assert [row[3] for row in seen] == [S.NEW, S.FILLED, S.FILLED]
    assert b.order_status(o.order_id).avg_price_cents == 99_96
    with pytest.raises(ValidationError):
        b.replay("AAPL", [1, 2, 3])


def test_generated_client_ids_never_collide_with_given_ones():
    b = make()
    given = b.submit_order("AAPL", "buy", 1, client_order_id="sim-2")
    auto = b.submit_order("AAPL", "buy", 1)
    assert auto.client_order_id != "sim-2"
    assert b.order_status(client_order_id="sim-2") == given


def test_marketable_limit_may_use_nearly_all_the_cash():
    b = make(slippage=FixedBps(0))  # 100,000.00 of cash
    o = b.submit_order("AAPL", "buy", 990, "limit", limit_price_cents=100_50)
    assert o.status is S.FILLED and b.account().cash_cents == 100_000_00 - 990 * 100_00
    stop = b.submit_order("MSFT", "buy", 4, "stop_limit", stop_price_cents=201_00,
                          limit_price_cents=202_00)  # fmt: skip
    b.set_price("MSFT", 201_50)
    assert b.order_status(stop.order_id).status is S.FILLED


@settings(max_examples=80, deadline=None)
@given(ops=ops, short=st.booleans(), model=st.sampled_from(["spread", "impact", "fixed"]))
def test_cash_and_positions_always_add_up_to_the_fills(ops, short, model):
    impact = SquareRootImpact(volatility=0.02, adv=400, spread_bps=6)
    slippage = {"spread": SpreadCross(), "fixed": FixedBps(3), "impact": impact}[model]
    base = {"AAPL": 100_00, "MSFT": 200_00}
    b = SimBroker(100_000_00, prices=base, slippage=slippage, allow_short=short,
                  commission_bps=2, min_commission_cents=1)  # fmt: skip
    for op in ops:
        try:
            if op[0] == "order":
                _, sym, side, qty, kind, offset, tif = op
                price = base[sym] + offset * 10
                b.submit_order(sym, side, qty, kind, tif=tif,
                               limit_price_cents=price if "limit" in kind else None,
                               stop_price_cents=price if "stop" in kind else None)  # fmt: skip
            elif op[0] == "price":
                b.set_price(op[1], base[op[1]] + op[2] * 10)
            else:
                b.cancel_order(str(op[1]))
        except (InsufficientFunds, OrderNotFound, ValidationError):
            pass
    orders, k = [], 1
    while True:
        try:
            orders.append(b.order_status(str(k)))
        except OrderNotFound:
            break
        k += 1
    held = {}
    cash = 100_000_00
    for o in orders:
        sign = 1 if o.side.name == "BUY" else -1
        held[o.symbol] = held.get(o.symbol, 0) + sign * o.filled_quantity
        cash += -sign * o.filled_value_cents - o.commission_cents
        assert 0 <= o.filled_quantity <= o.quantity
        assert (o.status is S.FILLED) == (o.filled_quantity == o.quantity)
    positions = {p.symbol: p.quantity for p in b.positions()}
    assert positions == {s: q for s, q in held.items() if q}
    a = b.account()
    assert a.cash_cents == cash
    assert a.equity_cents == cash + sum(p.market_value_cents for p in b.positions())
    if not short:
        assert all(q >= 0 for q in positions.values()) and a.cash_cents >= 0
        assert a.buying_power_cents >= 0 or any(o.is_open for o in orders)
    assert {o.order_id for o in b.open_orders()} == {o.order_id for o in orders if o.is_open}


def test_threads_may_share_one_broker():
    import threading

    b = make(slippage=FixedBps(0))

    def trade(side, n):
        for _ in range(n):
            b.submit_order("AAPL", side, 1)
            b.set_price("AAPL", 100_00)

    b.submit_order("AAPL", "buy", 200)
    threads = [threading.Thread(target=trade, args=(s, 100)) for s in ("buy", "sell", "buy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.positions()[0].quantity == 300
    assert b.account().cash_cents == 100_000_00 - 300 * 100_00


def test_sample_account_trades_the_shipped_panel(panel_path):
    b = SimBroker.sample()
    assert b.date == "2022-12-28" and "XOM" in b.symbols
    assert b.quote("XOM").last_cents == 106_63
