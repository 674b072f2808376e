"""Fuzz the REST API with hypothesis: bad input is a 4xx JSON answer, never a 5xx, and a
refused request changes nothing (the whole state is compared before and after)."""

import json
import tempfile
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tickbook.server import create_app

from .helpers import KEYS, fund, make_core

A = {"X-API-Key": KEYS["alice"]}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "1",
            "100.00",
            "0.0001",
            "1e400",
            "-0",
            "NaN",
            "buy",
            "sell",
            "gtc",
            "ioc",
            "market",
            "stop",
            "iceberg",
            "BTC-USD",
            " 5 ",
            "1_000",
        ]
    ),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
fields = st.sampled_from(
    [
        "side",
        "price",
        "quantity",
        "symbol",
        "type",
        "stop_price",
        "time_in_force",
        "display_quantity",
        "client_order_id",
        "extra",
    ]
)
bodies = st.one_of(values, st.dictionaries(fields, values, max_size=8))

_state = {}


def client():
    if "client" not in _state:
        core = make_core(f"sqlite:///{tempfile.mkdtemp()}/j.db")
        c = TestClient(create_app(core, on_ready=fund))
        c.__enter__()
        c.core = core
        _state["client"] = c
        c.post("/api/orders", json={"side": "buy", "price": "90", "quantity": "1"}, headers=A)
    return _state["client"]


def send(c, method, path, body, headers=A):
    # json.dumps writes NaN/Infinity (not JSON): the server must answer that with a 4xx too
    content = json.dumps(body).encode()
    return c.request(
        method, path, content=content, headers={**headers, "content-type": "application/json"}
    )


def check(response, before, core):
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert "error" in body and "message" in body
        assert core.ledger.digest() == before


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_post_orders_never_5xx_and_refusals_change_nothing(body):
    c = client()
    before = c.core.ledger.digest()
    check(send(c, "POST", "/api/orders", body), before, c.core)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    oid=st.one_of(st.integers(-5, 10**20).map(str), st.text(min_size=1, max_size=12)), body=bodies
)
def test_order_id_paths_never_5xx(oid, body):
    c = client()
    oid = urllib.parse.quote(oid, safe="")
    before = c.core.ledger.digest()
    check(c.get(f"/api/orders/{oid}", headers=A), before, c.core)
    check(send(c, "PATCH", f"/api/orders/{oid}", body), before, c.core)
    if oid != "1":
        check(c.delete(f"/api/orders/{oid}", headers=A), before, c.core)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    key=st.sampled_from(["symbol", "level", "depth", "before", "limit"]), value=st.text(max_size=12)
)
def test_query_parameters_never_5xx(key, value):
    c = client()
    before = c.core.ledger.digest()
    for path in ("/api/orderbook", "/api/trades", "/api/fills", "/api/orders"):
        check(c.get(path, params={key: value}, headers=A), before, c.core)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_simulation_bad_bodies_never_5xx(body):
    c = client()
    if isinstance(body, dict) and isinstance(body.get("num_orders"), int):
        body["num_orders"] = min(body["num_orders"], 2000)
    r = send(c, "POST", "/api/simulation", body, {})
    assert r.status_code < 500, r.text
