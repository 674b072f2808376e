"""WebSocket gateways: market data seq/snapshot/deltas/resync, slow consumers, order entry."""

import pytest
from litestar.testing import TestClient

from tickbook.server import create_app
from tickbook.server._market import MarketData, Subscriber

from .helpers import KEYS, fund, make_core

A = {"X-API-Key": KEYS["alice"]}
B = {"X-API-Key": KEYS["bob"]}


@pytest.fixture
def client(tmp_path):
    core = make_core(f"sqlite:///{tmp_path}/j.db")
    with TestClient(create_app(core, on_ready=fund)) as c:
        c.core = core
        yield c


def test_market_snapshot_then_deltas_and_trades_with_consecutive_seq(client):
    client.post("/api/orders", json={"side": "sell", "price": "100", "quantity": "1"}, headers=A)
    with client.websocket_connect("/ws/market") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "order_book" and snap["snapshot"] is True
        assert snap["asks"] == [["100.00", "1.0000"]]
        seq = snap["seq"]
        client.post(
            "/api/orders", json={"side": "sell", "price": "101", "quantity": "2"}, headers=A
        )
        delta = ws.receive_json()
        assert delta["snapshot"] is False and delta["seq"] == seq + 1
        assert delta["asks"] == [["101.00", "2.0000"]]
        client.post("/api/orders", json={"side": "buy", "price": "100", "quantity": "1"}, headers=B)
        trade = ws.receive_json()
        assert trade["type"] == "trade" and trade["seq"] == seq + 2
        assert (trade["price"], trade["quantity"], trade["side"]) == ("100.00", "1.0000", "buy")
        book = ws.receive_json()
        assert book["seq"] == seq + 3 and book["asks"] == [["100.00", "0.0000"]]
        assert book["best_ask"] == "101.00"
        ws.send_json({"op": "resync"})
        again = ws.receive_json()
        assert again["snapshot"] is True and again["seq"] == seq + 3
        assert again["asks"] == [["101.00", "2.0000"]]


def test_slow_consumer_is_dropped_and_never_stalls_publishing(client):
    md = MarketData(client.core.ledger)
    slow, fast = md.subscribe(maxsize=3), md.subscribe(maxsize=100)
    trade = {"id": 1, "symbol": "BTC-USD", "price": 100, "quantity": 1, "side": "buy"}
    for i in range(10):
        md.publish([{**trade, "id": i + 1}], set())  # returns at once, whoever lags
    assert slow.dropped is not None and "slow consumer" in slow.dropped
    assert slow not in md.subscribers and md.dropped == 1
    assert fast.queue.qsize() == 11  # snapshot + 10 trades


def test_subscriber_drop_wakes_its_reader():
    sub = Subscriber(2)
    assert sub.offer(b"1") and sub.offer(b"2")
    assert not sub.offer(b"3")
    assert sub.queue.get_nowait() is None and sub.dropped


def test_orders_socket_entry_acks_and_own_events(client):
    with client.websocket_connect("/ws/orders", headers=A) as ws:
        assert ws.receive_json()["type"] == "authenticated"
        ws.send_json({"op": "submit", "req_id": 7, "side": "buy", "price": "99", "quantity": "1"})
        msgs = [ws.receive_json(), ws.receive_json()]
        ack = next(m for m in msgs if m["type"] == "ack")
        event = next(m for m in msgs if m["type"] == "order")
        assert ack["req_id"] == 7 and ack["status"] == "new"
        assert event["event"] == "accepted" and event["order_id"] == ack["order_id"]
        ws.send_json(
            {"op": "submit", "req_id": 8, "side": "buy", "price": "9.999", "quantity": "1"}
        )
        reject = ws.receive_json()
        assert reject["type"] == "reject" and reject["req_id"] == 8 and reject["field"] == "price"
        # bob trades against alice: alice sees her fill, not bob's order
        client.post("/api/orders", json={"side": "sell", "price": "99", "quantity": "1"}, headers=B)
        fill = ws.receive_json()
        assert fill["event"] == "filled" and fill["order_id"] == ack["order_id"]
        ws.send_json({"op": "cancel", "req_id": 9, "order_id": ack["order_id"]})
        assert ws.receive_json()["error"] == "order_not_active"
        ws.send_json({"op": "dance", "req_id": 10})
        assert ws.receive_json()["field"] == "op"


def test_orders_socket_auth_by_first_message_and_refusal(client):
    with client.websocket_connect("/ws/orders") as ws:
        ws.send_json({"op": "auth", "api_key": KEYS["bob"]})
        assert ws.receive_json()["type"] == "authenticated"
    with client.websocket_connect("/ws/orders") as ws:
        ws.send_json({"op": "auth", "api_key": "nope"})
        assert ws.receive_json() == {"type": "error", "message": "unauthorized"}
