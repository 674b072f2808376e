"""The protocol's value types: validation at construction, dict access, the error tree."""

import pytest

import tickbook.brokers as brokers
from tickbook.brokers import (
    BrokerError,
    BrokerOrder,
    BrokerOrderStatus,
    OrderNotFound,
    OrderRequest,
    OrderType,
    Quote,
    RateLimited,
    UnknownOutcome,
)
from tickbook.core import Side, TickbookError, TimeInForce, ValidationError


def test_request_coerces_text_to_enums():
    r = OrderRequest("AAPL", "buy", 100, "stop-limit", limit_price_cents=185_00,
                     stop_price_cents=184_00, client_order_id="rb-1:AAPL", tif="ioc")  # fmt: skip
    assert r.side is Side.BUY and r.order_type is OrderType.STOP_LIMIT and r.tif is TimeInForce.IOC
    assert r.price_cents == 185_00


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"symbol": ""}, "symbol"),
        ({"symbol": "AA PL"}, "symbol"),
        ({"symbol": 5}, "symbol"),
        ({"side": "long"}, "side"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"order_type": "trailing"}, "order_type"),
        ({"order_type": "limit"}, "limit_price_cents"),
        ({"order_type": "limit", "limit_price_cents": 0}, "limit_price_cents"),
        ({"order_type": "limit", "limit_price_cents": 1.5}, "limit_price_cents"),
        ({"order_type": "stop"}, "stop_price_cents"),
        ({"limit_price_cents": 100}, "limit_price_cents"),
        (
            {"order_type": "limit", "limit_price_cents": 5, "stop_price_cents": 4},
            "stop_price_cents",
        ),
        ({"client_order_id": "has space"}, "client_order_id"),
        ({"client_order_id": "x" * 37}, "client_order_id"),
        ({"tif": "day"}, "tif"),
    ],
)
def test_request_refuses_bad_fields_naming_them(kwargs, field):
    args = {"symbol": "AAPL", "side": "buy", "quantity": 10, **kwargs}
    with pytest.raises(ValidationError) as info:
        OrderRequest(**args)
    assert info.value.field == field
    assert field in str(info.value)


def test_results_answer_dict_access_like_the_reference():
    q = Quote("AAPL", 100_00, 100_02, 100_01, 500)
    assert q["bid_cents"] == 100_00 and q.mid_cents == 100_01
    with pytest.raises(KeyError):
        q["nope"]
    o = BrokerOrder("7", "c1", "AAPL", Side.SELL, OrderType.LIMIT, 10, BrokerOrderStatus.NEW,
                    filled_quantity=3, filled_value_cents=301, limit_price_cents=100)  # fmt: skip
    assert o.to_dict()["side"] == "sell" and o.to_dict()["status"] == "new"
    assert o.avg_price_cents == 100 and o.remaining_quantity == 7 and o.is_open


def test_average_price_uses_quantity_decimals():
    # 0.5 BTC (qty_decimals 8) for 30,000.00 USDT -> 60,000.00 a coin
    o = BrokerOrder("1", "c", "BTCUSDT", Side.BUY, OrderType.MARKET, 50_000_000,
                    BrokerOrderStatus.FILLED, 50_000_000, 3_000_000, qty_decimals=8)  # fmt: skip
    assert o.avg_price_cents == 6_000_000 and o.remaining_quantity == 0


def test_status_parses_binance_spelling():
    assert BrokerOrderStatus.parse("CANCELED") is BrokerOrderStatus.CANCELLED
    assert BrokerOrderStatus.FILLED.is_terminal() and not BrokerOrderStatus.NEW.is_terminal()


def test_error_tree():
    for name in ("OrderRejected", "InsufficientFunds", "UnknownSymbol", "FilterRejected",
                 "UnknownOutcome", "RateLimited", "BrokerDisconnected", "OrderNotFound",
                 "AuthenticationFailed"):  # fmt: skip
        assert issubclass(getattr(brokers, name), BrokerError)
    assert issubclass(BrokerError, TickbookError)
    assert issubclass(OrderNotFound, KeyError)
    assert str(OrderNotFound("no order 'x'")) == "no order 'x'"
    assert RateLimited("slow", retry_after=2.5, banned=True).retry_after == 2.5
    assert UnknownOutcome("lost", client_order_id="c1").client_order_id == "c1"
