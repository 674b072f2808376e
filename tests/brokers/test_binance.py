"""BinanceBroker against a local fake Binance (tests/brokers/fake_binance.py): real HTTP."""

import logging
import sys
import traceback
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.brokers.fake_binance import FakeBinance, pair_info
from tickbook.brokers import (
    AuthenticationFailed,
    BinanceBroker,
    Broker,
    BrokerDisconnected,
    BrokerError,
    BrokerOrderStatus,
    FilterRejected,
    InsufficientFunds,
    OrderNotFound,
    RateLimited,
    UnknownSymbol,
)
from tickbook.brokers._binance_http import sign
from tickbook.core import Side, TickbookError, ValidationError

S = BrokerOrderStatus
BTC = 100_000_000  # quantity units per coin (qty_decimals=8)


def test_signature_matches_binances_documented_examples():
    # Binance spot API docs, "Request Security" -> "SIGNED Endpoint Examples for POST
    # /api/v3/order" -> "HMAC Keys" (both examples: ASCII symbol, percent-encoded non-ASCII):
    # https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    tail = "&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"  # noqa: E501
    assert sign(secret, "symbol=LTCBTC" + tail) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    encoded = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
    assert sign(secret, encoded + tail) == (
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
    )


@pytest.fixture
def fake():
    venue = FakeBinance()
    venue.symbols["SOLUSDT"] = pair_info("SOLUSDT", "SOL", "USDT", tick="0.10", step="0.01",
                                         min_qty="0.01")  # fmt: skip
    venue.books["SOLUSDT"] = (venue.books["ETHUSDT"][0] / 20, venue.books["ETHUSDT"][1] / 20,
                              venue.books["ETHUSDT"][2] / 20)  # fmt: skip
    venue.start()
    yield venue
    venue.stop()


def connect(fake, **kwargs):
    kwargs.setdefault("timeout_s", 2.0)
    kwargs.setdefault("recv_window_ms", 1500)
    broker = BinanceBroker(fake.api_key, fake.secret, base_url=fake.url, **kwargs)
    broker.connect()
    return broker


def test_it_is_a_broker_and_reads_the_account(fake):
    b = connect(fake)
    assert isinstance(b, Broker) and b.is_connected
    [p] = b.positions()
    assert (p.symbol, p.quantity) == ("BTC", BTC // 2)
    assert p.market_value_cents == 30_000_02  # 0.5 x 60,000.05 = 30,000.025, half-even
    a = b.account()
    assert a.cash_cents == a.buying_power_cents == 100_000_00 and a.currency == "USDT"
    assert a.equity_cents == a.cash_cents + p.market_value_cents
    q = b.quote("BTC")
    assert (q.bid_cents, q.ask_cents, q.last_cents) == (60_000_00, 60_000_10, 60_000_05)
    assert q.volume == 123_456_789_000
    i = b.instrument("BTCUSDT")
    assert (i.symbol, i.qty_decimals, i.tick_cents, i.lot, i.min_qty) == ("BTC", 8, 1, 1000, 1000)
    assert i.min_notional_cents == 500 and b.instrument("SOL").tick_cents == 10


def test_clock_offset_is_measured_and_resynced(fake):
    fake.skew_ms = 30_000  # the venue's clock runs 30 s ahead: beyond any recvWindow
    b = connect(fake)
    assert abs(b.clock_offset_ms - 30_000) < 500
    assert b.account().cash_cents == 100_000_00
    fake.skew_ms = -20_000  # it jumps: one -1021, a re-sync, and the call goes through
    assert b.account().cash_cents == 100_000_00
    assert abs(b.clock_offset_ms + 20_000) < 500


def test_market_order_fills_and_updates_balances(fake):
    b = connect(fake)
    o = b.submit_order("BTC", "buy", BTC // 100, client_order_id="m1")  # 0.01 BTC
    assert o.status is S.FILLED and o.filled_quantity == BTC // 100
    assert o.filled_value_cents == 600_00  # 600.001 USDT, half-even to the cent
    assert o.order_id.startswith("BTCUSDT:") and o.side is Side.BUY and o.qty_decimals == 8
    [(_, _, params)] = fake.order_posts()
    assert params["quantity"] == "0.01" and params["type"] == "MARKET"
    assert params["newClientOrderId"] == "m1"
    assert b.positions()[0].quantity == BTC // 2 + BTC // 100


def test_limit_order_rests_partially_fills_and_cancels(fake):
    b = connect(fake)
    o = b.submit_order("ETH", "buy", BTC, "limit", limit_price_cents=2_900_00)  # 1 ETH
    assert o.status is S.NEW and o.limit_price_cents == 2_900_00
    assert b.open_orders("ETH") == [o] and b.account().buying_power_cents == 97_100_00
    fake.fill("ETHUSDT", int(o.order_id.split(":")[1]), "0.25", "2900")
    part = b.order_status(o.order_id)
    assert part.status is S.PARTIALLY_FILLED and part.filled_quantity == BTC // 4
    assert part.avg_price_cents == 2_900_00 and part.remaining_quantity == 3 * BTC // 4
    done = b.cancel_order(client_order_id=o.client_order_id)
    assert done.status is S.CANCELLED and done.filled_quantity == BTC // 4
    assert b.cancel_order(o.order_id) == done  # cancelling a finished order answers it
    assert b.open_orders() == []


def test_partial_fill_of_a_marketable_ioc(fake):
    b = connect(fake)
    fake.partial_next = Decimal("0.004")
    o = b.submit_order("BTC", "buy", BTC // 100, "limit", limit_price_cents=60_001_00, tif="ioc")
    assert o.status is S.EXPIRED and o.filled_quantity == 400_000


@pytest.mark.parametrize(
    ("args", "kwargs", "filter_name", "field"),
    [
        (("SOL", "buy", 100_000_000, "limit"), {"limit_price_cents": 150_05}, "PRICE_FILTER",
         "limit_price_cents"),
        (("BTC", "buy", 1_500, "limit"), {"limit_price_cents": 60_000_00}, "LOT_SIZE", "quantity"),
        (("BTC", "buy", 900_000_000_001, "limit"), {"limit_price_cents": 1_00}, "LOT_SIZE",
         "quantity"),
        (("BTC", "buy", 1_000, "limit"), {"limit_price_cents": 60_000_00}, "NOTIONAL", "quantity"),
        (("BTC", "sell", 2_000), {}, "NOTIONAL", "quantity"),  # market: at the last price
        (("SOL", "sell", 100_000_000, "stop"), {"stop_price_cents": 140_01}, "PRICE_FILTER",
         "stop_price_cents"),
    ],
)  # fmt: skip
def test_filters_refuse_locally_naming_the_filter(fake, args, kwargs, filter_name, field):
    b = connect(fake)
    with pytest.raises(FilterRejected) as info:
        b.submit_order(*args, **kwargs)
    assert info.value.filter == filter_name and info.value.field == field
    assert filter_name in str(info.value)
    assert fake.order_posts() == []  # nothing was sent


def test_venue_refusals_map_to_the_error_tree(fake):
    b = connect(fake)
    with pytest.raises(InsufficientFunds):
        b.submit_order("BTC", "buy", 10 * BTC, "limit", limit_price_cents=60_000_00)
    with pytest.raises(UnknownSymbol):
        b.quote("DOGE")
    with pytest.raises(OrderNotFound):
        b.order_status("BTCUSDT:999999")
    with pytest.raises(OrderNotFound):
        b.order_status(client_order_id="never", symbol="BTC")


@pytest.mark.parametrize(("kind", "banned"), [("429", False), ("418", True)])
def test_rate_limits_raise_with_retry_after(fake, kind, banned):
    b = connect(fake)
    fake.inject(kind, "GET", "/api/v3/account", retry_after="7")
    with pytest.raises(RateLimited) as info:
        b.account()
    assert info.value.retry_after == 7.0 and info.value.banned is banned


def test_bounded_retry_waits_retry_after_and_resigns(fake):
    waits = []
    b = connect(fake, max_retries=2, sleep=waits.append)
    fake.inject("429", "POST", "/api/v3/order", retry_after="2")
    fake.inject("429", "POST", "/api/v3/order", retry_after="3")
    o = b.submit_order("BTC", "buy", BTC // 100, client_order_id="r1")
    assert o.status is S.FILLED and waits == [2.0, 3.0]
    assert len(fake.orders_with("r1")) == 1
    fake.inject("429", "GET", "/api/v3/account", retry_after="30")  # beyond max_retry_wait_s
    with pytest.raises(RateLimited):
        b.account()


def test_used_weight_is_tracked_and_a_spent_minute_holds_requests_back(fake):
    b = connect(fake)
    b.account()
    assert b.used_weight == fake.weight > 0 and b.weight_limit == 6000
    fake.weight = 6_000  # this minute's weight is spent (as Binance reports it)
    b.quote("BTC")
    sent = len(fake.requests)
    with pytest.raises(RateLimited) as info:
        b.account()
    assert info.value.code == "local" and 0 < info.value.retry_after <= 60
    assert len(fake.requests) == sent


def test_after_a_429_nothing_is_sent_before_retry_after(fake):
    b = connect(fake)
    fake.inject("429", "GET", "/api/v3/account", retry_after="7")
    with pytest.raises(RateLimited):
        b.account()
    sent = len(fake.requests)
    with pytest.raises(RateLimited) as info:
        b.submit_order("BTC", "buy", BTC // 100)
    assert info.value.code == "local" and 6 < info.value.retry_after <= 7
    assert len(fake.requests) == sent and fake.order_posts() == []


@pytest.mark.parametrize("fault", ["5xx_after", "delay_after", "drop_after"])
def test_lost_answer_is_resolved_by_lookup_without_a_duplicate(fake, fault):
    b = connect(fake)
    fake.inject(fault, delay=3.0, status=503)
    o = b.submit_order("BTC", "buy", BTC // 100, "limit", limit_price_cents=59_000_00,
                       client_order_id="u1")  # fmt: skip
    assert o.status is S.NEW and o.client_order_id == "u1"
    assert len(fake.orders_with("u1")) == 1 and len(fake.order_posts()) == 1


def test_order_not_placed_is_resent_only_after_its_recv_window(fake):
    waits = []

    def sleep(seconds):
        import time

        waits.append(seconds)
        time.sleep(seconds)

    b = connect(fake, sleep=sleep)
    fake.inject("5xx_before", status=502)
    o = b.submit_order("BTC", "buy", BTC // 100, client_order_id="u2")
    assert o.status is S.FILLED
    assert len(fake.orders_with("u2")) == 1 and len(fake.order_posts()) == 1
    assert waits and 0 < waits[0] <= 1.51  # waited out the first request's recvWindow


def test_same_client_id_twice_sends_once(fake):
    b = connect(fake)
    first = b.submit_order("BTC", "buy", BTC // 100, "limit", limit_price_cents=59_000_00,
                           client_order_id="i1")  # fmt: skip
    assert b.submit_order("BTC", "buy", BTC // 100, "limit", limit_price_cents=59_000_00,
                          client_order_id="i1") == first  # fmt: skip
    other = connect(fake)  # a restarted process: Binance answers "Duplicate order sent."
    assert other.submit_order("BTC", "buy", BTC // 100, "limit", limit_price_cents=59_000_00,
                              client_order_id="i1") == first  # fmt: skip
    assert len(fake.orders_with("i1")) == 1
    with pytest.raises(ValidationError) as info:  # by client id, a new session needs the pair
        connect(fake).order_status(client_order_id="i1")
    assert info.value.field == "symbol"
    assert connect(fake).order_status(client_order_id="i1", symbol="BTC") == first


def test_wrong_credentials_and_disconnection(fake):
    b = BinanceBroker(fake.api_key, "wrong-secret", base_url=fake.url, timeout_s=2.0)
    b.connect()  # public calls only
    with pytest.raises(AuthenticationFailed):
        b.account()
    b.disconnect()
    with pytest.raises(BrokerDisconnected):
        b.account()
    dead = BinanceBroker("k", "s", base_url="http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(BrokerDisconnected):
        dead.connect()


BAD_CALLS = [
    ("submit_order", ("BTC", "buy", 0), {}, "quantity"),
    ("submit_order", ("BTC", "up", 1000), {}, "side"),
    ("submit_order", ("BTC", "buy", 1000, "limit"), {}, "limit_price_cents"),
    ("submit_order", ("BTC", "buy", 1000), {"client_order_id": "x" * 40}, "client_order_id"),
    ("submit_order", ("B C", "buy", 1000), {}, "symbol"),
    ("order_status", ("12",), {}, "order_id"),
    ("order_status", ("NOPE:12",), {}, "order_id"),
    ("cancel_order", (), {}, "order_id"),
    ("open_orders", ("",), {}, "symbol"),
    ("quote", (5,), {}, "symbol"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "field"), BAD_CALLS)
def test_bad_arguments_are_refused_and_nothing_is_sent(fake, method, args, kwargs, field):
    b = connect(fake)
    sent = len(fake.requests)
    with pytest.raises(ValidationError) as info:
        getattr(b, method)(*args, **kwargs)
    assert info.value.field == field
    assert len(fake.requests) == sent


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"api_key": ""}, "api_key"),
        ({"secret_key": None}, "secret_key"),
        ({"testnet": "yes"}, "testnet"),
        ({"quote_asset": "usdt"}, "quote_asset"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"recv_window_ms": 60_001}, "recv_window_ms"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"max_retries": -1}, "max_retries"),
        ({"qty_decimals": 9}, "qty_decimals"),
    ],
)
def test_bad_construction_is_refused(kwargs, field):
    args = {"api_key": "k", "secret_key": "s", **kwargs}
    with pytest.raises(ValidationError) as info:
        BinanceBroker(**args)
    assert info.value.field == field


def test_secrets_never_reach_reprs_errors_or_logs(fake, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    secret_fake = FakeBinance(api_key="KEY-ab12cd34ef56", secret="SECRET-zz98yy76xx54")
    secret_fake.start()
    texts = []
    try:
        b = connect(secret_fake)
        texts += [repr(b), str(b), repr(b.__dict__)]
        b.submit_order("BTC", "buy", BTC // 100)
        for fault in ("5xx_after", "delay_after", "429"):
            secret_fake.inject(fault, delay=3.0)
            try:
                b.submit_order("BTC", "buy", BTC // 100)
            except TickbookError as error:
                texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        wrong = BinanceBroker("KEY-ab12cd34ef56", "SECRET-other-0000", base_url=secret_fake.url)
        wrong.connect()
        try:
            wrong.account()
        except BrokerError as error:
            texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        with pytest.raises(ValidationError) as info:
            BinanceBroker("KEY-ab12cd34ef56", "bad\nSECRET-zz98yy76xx54")
        texts += [str(info.value), repr(info.value), repr(info.value.value)]
    finally:
        secret_fake.stop()
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records  # the session did log
    blob = "\n".join(texts)
    assert "SECRET-zz98yy76xx54" not in blob and "SECRET-other" not in blob
    assert "KEY-ab12cd34ef56" not in blob


def test_missing_httpx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(ImportError, match=r"pip install 'tickbook\[binance\]'"):
        BinanceBroker("k", "s")


def test_a_filled_orders_client_id_is_not_placed_again_after_a_restart(fake):
    first = connect(fake).submit_order("BTC", "buy", BTC // 100, client_order_id="f1")
    assert first.status is S.FILLED
    again = connect(fake).submit_order("BTC", "buy", BTC // 100, client_order_id="f1")
    assert again == first and len(fake.orders_with("f1")) == 1
    # Binance itself would take it: it refuses a repeated id only while the first is open
    connect(fake, check_client_ids=False).submit_order("BTC", "buy", BTC // 100,
                                                       client_order_id="f1")  # fmt: skip
    assert len(fake.orders_with("f1")) == 2


@pytest.fixture(scope="module")
def shared_fake():
    venue = FakeBinance().start()
    yield venue
    venue.stop()


def _venue_state(fake):
    import copy

    with fake.lock:
        return copy.deepcopy((fake.balances, fake.orders))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    symbol=st.one_of(st.sampled_from(["BTC", "ETHUSDT", "DOGE", "", "b c"]), st.integers()),
    side=st.sampled_from(["buy", "sell", "hold", 1]),
    quantity=st.one_of(st.integers(-10, 10**12), st.floats(), st.just("1")),
    kind=st.sampled_from(["market", "limit", "stop", "stop_limit", "oco"]),
    limit=st.one_of(st.none(), st.integers(-5, 10**8), st.floats()),
    stop=st.one_of(st.none(), st.integers(-5, 10**8)),
)
def test_fuzzed_orders_are_sent_whole_or_refused_with_nothing_sent(
    shared_fake, symbol, side, quantity, kind, limit, stop
):
    b = connect(shared_fake)
    before, sent = _venue_state(shared_fake), len(shared_fake.order_posts())
    try:
        b.submit_order(symbol, side, quantity, kind, limit_price_cents=limit,
                       stop_price_cents=stop)  # fmt: skip
    except TickbookError as error:
        assert error.field is not None or isinstance(error, BrokerError)
        if not isinstance(error, BrokerError) or isinstance(error, FilterRejected | UnknownSymbol):
            assert len(shared_fake.order_posts()) == sent  # refused locally: nothing sent
            assert _venue_state(shared_fake) == before
    b.disconnect()


def test_a_lost_answer_to_a_read_is_a_disconnection_not_a_guess(fake):
    b = connect(fake)
    fake.inject("delay_after", "GET", "/api/v3/account", delay=3.0)
    with pytest.raises(BrokerDisconnected):
        b.account()
    fake.inject("5xx_before", "GET", "/api/v3/openOrders", status=503)
    with pytest.raises(BrokerError) as info:
        b.open_orders("BTC")
    assert info.value.code == 503
    assert b.account().cash_cents == 100_000_00  # and the session goes on
