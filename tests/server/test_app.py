"""REST API: every endpoint, errors as 4xx JSON naming field and value, account isolation."""

import pytest
from litestar.testing import TestClient

from tickbook.server import create_app

from .helpers import KEYS, fund, make_core

A = {"X-API-Key": KEYS["alice"]}
B = {"X-API-Key": KEYS["bob"]}


@pytest.fixture
def client(tmp_path):
    core = make_core(f"sqlite:///{tmp_path}/j.db")
    app = create_app(core, on_ready=fund)
    with TestClient(app) as c:
        c.core = core
        yield c


def post(c, body, headers=A):
    return c.post("/api/orders", json=body, headers=headers)


def test_health_symbols_and_openapi(client):
    assert client.get("/api/health").json()["status"] == "healthy"
    assert client.get("/api/symbols").json()[0]["tick_size"] == "0.01"
    doc = client.get("/schema/openapi.json").json()
    assert "/api/orders" in doc["paths"] and "/api/orders/{order_id}" in doc["paths"]


def test_reference_order_shape_and_book(client):
    r = post(client, {"side": "sell", "price": 50000.00, "quantity": 0.5})
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["order_id"] == 1 and body["status"] == "new"
    post(client, {"side": "buy", "price": "49950.00", "quantity": "1.5"}, B)
    book = client.get("/api/orderbook").json()
    assert book["bids"] == [["49950.00", "1.5000"]] and book["asks"] == [["50000.00", "0.5000"]]
    assert book["spread"] == "50.00"
    l1 = client.get("/api/orderbook?level=1").json()
    assert l1["best_bid"] == "49950.00" and "bids" not in l1
    l3 = client.get("/api/orderbook?level=3").json()
    assert l3["asks"][0]["order_id"] == 1 and "owner" not in l3["asks"][0]


def test_fill_balances_fills_trades_pagination(client):
    for i in range(5):
        post(client, {"side": "sell", "price": f"{100 + i}.00", "quantity": "1"})
    r = post(client, {"side": "buy", "price": "110", "quantity": "5", "type": "limit"}, B).json()
    assert r["status"] == "filled" and len(r["trades"]) == 5
    page = client.get("/api/trades?limit=2").json()
    assert [t["price"] for t in page["trades"]] == ["104.00", "103.00"]
    page2 = client.get(f"/api/trades?limit=2&before={page['next_before']}").json()
    assert [t["price"] for t in page2["trades"]] == ["102.00", "101.00"]
    fills = client.get("/api/fills", headers=A).json()["trades"]
    assert len(fills) == 5 and all(f["liquidity"] == "maker" for f in fills)
    assert client.get("/api/fills", headers=B).json()["trades"][0]["liquidity"] == "taker"
    bal = {b["asset"]: b for b in client.get("/api/balances", headers=B).json()}
    assert bal["BTC"]["total"] == "105.00000000"
    assert bal["USD"]["total"] == f"{1_000_000 - 510:.6f}"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"side": "buy", "price": "100.001", "quantity": "1"}, "price"),
        ({"side": "buy", "price": "100", "quantity": "0.00001"}, "quantity"),
        ({"side": "buy", "price": "-1", "quantity": "1"}, "price"),
        ({"side": "buy", "price": "nan", "quantity": "1"}, "price"),
        ({"side": "up", "price": "1", "quantity": "1"}, "side"),
        ({"side": "buy", "price": "1", "quantity": "1", "symbol": "ETH-USD"}, "symbol"),
        ({"side": "buy", "quantity": "1", "type": "market", "price": "1"}, "price"),
        ({"side": "buy", "quantity": "1", "type": "stop"}, "stop_price"),
        ({"side": "buy", "quantity": "1", "price": "1", "type": "iceberg"}, "display_quantity"),
        ({"side": "buy", "quantity": "1", "price": "1", "time_in_force": "day"}, "time_in_force"),
        (
            {"side": "buy", "quantity": "1", "price": "1", "client_order_id": "a b"},
            "client_order_id",
        ),
        ({"side": "buy", "quantity": "5000", "price": "1000000"}, "quantity"),
    ],
)
def test_bad_orders_answer_400_naming_the_field(client, body, field):
    seq = client.core.ledger.applied
    r = post(client, body)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field
    assert client.core.ledger.applied == seq


def test_malformed_requests_are_4xx(client):
    assert post(client, {"side": "buy", "price": "1"}).status_code == 400  # no quantity
    assert post(client, {"side": "buy", "price": "1", "quantity": "1", "x": 1}).status_code == 400
    assert client.post("/api/orders", content=b"{nope", headers=A).status_code == 400
    assert post(client, {"side": "buy", "price": "1", "quantity": "1"}, {}).status_code == 401
    bad_key = {"X-API-Key": "wrong"}
    assert post(client, {"side": "buy", "price": "1", "quantity": "1"}, bad_key).status_code == 401
    assert client.get("/api/orderbook?level=4").status_code == 400
    assert client.get("/api/trades?limit=0").status_code == 400
    assert client.get("/api/orders/abc", headers=A).status_code == 400


def test_isolation_every_order_endpoint_answers_404_for_anothers_id(client):
    mine = post(client, {"side": "buy", "price": "90", "quantity": "1"}).json()["order_id"]
    unknown = 987654
    for oid in (mine, unknown):
        g = client.get(f"/api/orders/{oid}", headers=B)
        d = client.delete(f"/api/orders/{oid}", headers=B)
        m = client.patch(f"/api/orders/{oid}", json={"price": "91", "quantity": "1"}, headers=B)
        assert (g.status_code, d.status_code, m.status_code) == (404, 404, 404)
        assert g.json()["error"] == d.json()["error"] == m.json()["error"] == "not_found"
    assert client.get("/api/orders", headers=B).json() == []
    assert [o["order_id"] for o in client.get("/api/orders", headers=A).json()] == [mine]
    assert client.get(f"/api/orders/{mine}", headers=A).json()["status"] == "new"


def test_cancel_modify_and_open_orders(client):
    oid = post(client, {"side": "buy", "price": "90", "quantity": "1"}).json()["order_id"]
    new = client.patch(
        f"/api/orders/{oid}", json={"price": "91", "quantity": "2"}, headers=A
    ).json()
    assert new["replaces"] == oid and new["price"] == "91.00" and new["quantity"] == "2.0000"
    assert client.get(f"/api/orders/{oid}", headers=A).json()["status"] == "cancelled"
    r = client.delete(f"/api/orders/{new['order_id']}", headers=A)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    again = client.delete(f"/api/orders/{new['order_id']}", headers=A)
    assert again.status_code == 409
    assert client.get("/api/orders", headers=A).json() == []
    usd = {b["asset"]: b for b in client.get("/api/balances", headers=A).json()}["USD"]
    assert usd["reserved"] == "0.000000"


def test_client_order_id_is_idempotent(client):
    body = {"side": "buy", "price": "90", "quantity": "1", "client_order_id": "c-1"}
    first = post(client, body).json()
    seq = client.core.ledger.applied
    second = post(client, {**body, "price": "95"}).json()
    assert second == first and client.core.ledger.applied == seq
    other = post(client, body, B).json()  # client ids are per account
    assert other["order_id"] != first["order_id"]


def test_order_types(client):
    post(client, {"side": "sell", "price": "100", "quantity": "2"}, B)
    po = post(client, {"side": "buy", "price": "100", "quantity": "1", "type": "post_only"}).json()
    assert po["status"] == "cancelled" and po["trades"] == []
    ice = post(
        client,
        {"side": "buy", "price": "99", "quantity": "3", "type": "iceberg", "display_quantity": "1"},
    ).json()
    assert ice["status"] == "new"
    assert client.get("/api/orderbook").json()["bids"] == [["99.00", "1.0000"]]
    # a stop-market buy reserves its quantity at the symbol's max price (1,000,000)
    stop = {"side": "buy", "quantity": "0.1", "type": "stop", "stop_price": "100"}
    stop = post(client, stop).json()
    assert stop["status"] == "pending"
    sl = {"side": "buy", "quantity": "1", "type": "stop_limit", "stop_price": "100", "price": "101"}
    assert post(client, sl).json()["status"] == "pending"
    mkt = post(client, {"side": "buy", "quantity": "0.5", "type": "market"}).json()
    assert mkt["status"] == "filled"  # trades at 100: both stops fire
    statuses = {o["order_id"]: o["status"] for o in client.get("/api/orders", headers=A).json()}
    assert stop["order_id"] not in statuses
    fok = {"side": "buy", "price": "100", "quantity": "50", "time_in_force": "fok"}
    assert post(client, fok).json()["status"] == "cancelled"


def test_insufficient_funds_is_400(client):
    r = post(client, {"side": "buy", "price": "999999", "quantity": "999"})
    assert r.status_code == 400 and r.json()["error"] == "insufficient_funds"


def test_simulation_reference_metrics(client):
    m = client.post("/api/simulation", json={"num_orders": 500, "seed": 3}).json()["metrics"]
    for key in (
        "orders_submitted", "trades_executed", "avg_latency_us", "min_latency_us",
        "max_latency_us", "throughput_per_sec", "simulation_duration_ms", "current_spread",
        "total_volume_traded", "p99_latency_us",
    ):  # fmt: skip
        assert key in m
    assert m["orders_submitted"] == 500
    again = client.post("/api/simulation", json={"num_orders": 500, "seed": 3}).json()["metrics"]
    assert again["trades_executed"] == m["trades_executed"]  # seeded: same orders, same trades
    assert client.post("/api/simulation", json={"num_orders": 0}).status_code == 400


def test_metrics(client):
    post(client, {"side": "buy", "price": "90", "quantity": "1"})
    post(client, {"side": "buy", "price": "90.001", "quantity": "1"})
    post(client, {"side": "buy", "price": "999999", "quantity": "999"})
    text = client.get("/metrics").text
    assert "tickbook_commands_total" in text and "tickbook_journal_commit_seconds_bucket" in text
    assert 'tickbook_rejects_total{reason="InsufficientFunds"} 1.0' in text
    assert "tickbook_queue_depth 0.0" in text and "tickbook_journal_group_size_count" in text
