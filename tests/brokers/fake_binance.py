"""A small Binance spot REST server for the tests: real HTTP on 127.0.0.1, in a thread.

It verifies every signed request as Binance does (API key header, HMAC-SHA256 of the query
string followed by the body, ``timestamp`` within ``recvWindow`` of its own clock), keeps
balances and orders, fills market and marketable limit orders at the book's touch, applies the
pair filters server-side, and injects faults on request: 429 / 418 with ``Retry-After``, 5xx
before or after the order is placed, an answer delayed past the client's timeout (the order is
placed all the same), a dropped connection, and partial fills.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import deque
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

D = Decimal

WEIGHTS = {"/api/v3/exchangeInfo": 20, "/api/v3/account": 20, "/api/v3/ticker/24hr": 2,
           "/api/v3/ticker/price": 4, "/api/v3/openOrders": 6}  # fmt: skip
SIGNED = {"/api/v3/account", "/api/v3/order", "/api/v3/openOrders"}


def pair_info(symbol, base, quote, tick="0.01", step="0.00001", min_qty="0.00001",
              min_notional="5", max_qty="9000"):  # fmt: skip
    return {
        "symbol": symbol, "status": "TRADING", "baseAsset": base, "quoteAsset": quote,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT"],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00",
             "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": min_qty, "maxQty": max_qty, "stepSize": step},
            {"filterType": "NOTIONAL", "minNotional": min_notional, "applyMinToMarket": True,
             "maxNotional": "9000000", "applyMaxToMarket": False, "avgPriceMins": 5},
        ],
    }  # fmt: skip


class ApiError(Exception):
    def __init__(self, status, code, msg):
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class FakeBinance:
    """State and faults of the fake venue; ``start()`` serves it, ``url`` is its address."""

    def __init__(self, api_key="fake-api-key-0123456789", secret="fake-secret-9876543210"):
        self.api_key, self.secret = api_key, secret
        self.skew_ms = 0  # the server's clock minus the real clock
        self.lock = threading.RLock()
        self.symbols = {
            "BTCUSDT": pair_info("BTCUSDT", "BTC", "USDT"),
            "ETHUSDT": pair_info("ETHUSDT", "ETH", "USDT", step="0.0001", min_qty="0.0001"),
        }
        self.books = {"BTCUSDT": (D("60000.00"), D("60000.10"), D("60000.05")),
                      "ETHUSDT": (D("3000.00"), D("3000.20"), D("3000.10"))}  # fmt: skip
        self.balances = {"USDT": [D("100000"), D(0)], "BTC": [D("0.5"), D(0)]}
        self.orders: dict[tuple[str, int], dict] = {}
        self.next_id = 1000
        self.faults: deque = deque()
        self.partial_next: Decimal | None = None
        self.requests: list[tuple[str, str, dict]] = []  # every request that was verified
        self.rejected_auth = 0
        self.weight = 0

    # -- control -------------------------------------------------------------------------------

    def start(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def inject(self, kind, method="POST", path="/api/v3/order", retry_after="1", delay=1.0,
               status=500):  # fmt: skip
        """Queue a fault for the next matching request.

        kinds: "429", "418", "5xx_before" (nothing done), "5xx_after" (done, then 5xx),
        "delay_after" (done, answer delayed ``delay`` s), "drop_after" (done, connection
        closed without an answer), "drop_before".
        """
        with self.lock:
            self.faults.append((kind, method, path, retry_after, delay, status))

    def orders_with(self, client_order_id):
        return [o for o in self.orders.values() if o["clientOrderId"] == client_order_id]

    def order_posts(self):
        return [r for r in self.requests if r[0] == "POST" and r[1] == "/api/v3/order"]

    def fill(self, symbol, order_id, qty, price):
        """Trade part of a resting order (a partial fill from the market)."""
        with self.lock:
            o = self.orders[(symbol, order_id)]
            self._execute(o, D(qty), D(price))

    # -- requests ------------------------------------------------------------------------------

    def now_ms(self):
        return time.time_ns() // 1_000_000 + self.skew_ms

    def take_fault(self, method, path):
        with self.lock:
            for k, f in enumerate(self.faults):
                if f[1] == method and f[2] == path:
                    del self.faults[k]
                    return f
        return None

    def verify(self, headers, query, body):
        """Check key, signature and timing as Binance does; return the parameters."""
        if headers.get("X-MBX-APIKEY") != self.api_key:
            self.rejected_auth += 1
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        total = query + body
        head, sep, signature = total.rpartition("&signature=")
        if not sep or not signature:
            raise ApiError(400, -1102, "Mandatory parameter 'signature' was not sent.")
        if "&" in signature:
            raise ApiError(400, -1022, "signature must be the last parameter")
        if query and body:
            raise ApiError(400, -1022, "this fake expects the query or the body, not both")
        expected = hmac.new(self.secret.encode(), head.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            self.rejected_auth += 1
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(head, keep_blank_values=True, strict_parsing=True))
        try:
            stamp = int(params["timestamp"])
            window = int(params.get("recvWindow", "5000"))
        except (KeyError, ValueError):
            raise ApiError(400, -1102, "Mandatory parameter 'timestamp' was not sent.") from None
        if window > 60_000:
            raise ApiError(400, -1131, "recvWindow must be less than 60000")
        now = self.now_ms()
        if not (stamp < now + 1000 and now - stamp <= window):
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return params

    def route(self, method, path, params):
        with self.lock:
            self.weight += WEIGHTS.get(path, 4 if (method, path) == ("GET", "/api/v3/order") else 1)
            if path == "/api/v3/time":
                return {"serverTime": self.now_ms()}
            if path == "/api/v3/exchangeInfo":
                return {"timezone": "UTC", "serverTime": self.now_ms(),
                        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                        "intervalNum": 1, "limit": 6000}],
                        "symbols": list(self.symbols.values())}  # fmt: skip
            if path == "/api/v3/ticker/price":
                names = json.loads(params["symbols"]) if "symbols" in params else [params["symbol"]]
                return [{"symbol": s, "price": str(self._book(s)[2])} for s in names]
            if path == "/api/v3/ticker/24hr":
                bid, ask, last = self._book(params.get("symbol", ""))
                return {"symbol": params["symbol"], "bidPrice": str(bid), "askPrice": str(ask),
                        "lastPrice": str(last), "volume": "1234.56789"}  # fmt: skip
            if path == "/api/v3/account":
                return {"balances": [{"asset": a, "free": str(f), "locked": str(lk)}
                                     for a, (f, lk) in self.balances.items()]}  # fmt: skip
            if path == "/api/v3/openOrders":
                sym = params.get("symbol")
                return [self._view(o) for o in self.orders.values()
                        if o["status"] in ("NEW", "PARTIALLY_FILLED")
                        and (sym is None or o["symbol"] == sym)]  # fmt: skip
            if path == "/api/v3/order":
                if method == "POST":
                    return self._new_order(params)
                o = self._find(params)
                if method == "DELETE":
                    if o is None or o["status"] not in ("NEW", "PARTIALLY_FILLED"):
                        raise ApiError(400, -2011, "Unknown order sent.")
                    self._unlock(o)
                    o["status"] = "CANCELED"
                if o is None:
                    raise ApiError(400, -2013, "Order does not exist.")
                return self._view(o)
        raise ApiError(404, -1000, f"no route {method} {path}")

    # -- the venue -----------------------------------------------------------------------------

    def _book(self, symbol):
        if symbol not in self.books:
            raise ApiError(400, -1121, "Invalid symbol.")
        return self.books[symbol]

    def _find(self, params):
        sym = params.get("symbol")
        self._book(sym)
        if "orderId" in params:
            return self.orders.get((sym, int(params["orderId"])))
        cid = params.get("origClientOrderId")
        found = [
            o for o in self.orders.values() if o["symbol"] == sym and o["clientOrderId"] == cid
        ]
        return found[-1] if found else None

    def _view(self, o):
        return {
            k: (str(v) if isinstance(v, Decimal) else v) for k, v in o.items() if k != "_locked"
        }

    def _filters(self, sym, qty, price, market):
        info = {f["filterType"]: f for f in self.symbols[sym]["filters"]}
        lot = info["LOT_SIZE"]
        if qty < D(lot["minQty"]) or qty > D(lot["maxQty"]) or qty % D(lot["stepSize"]):
            raise ApiError(400, -1013, "Filter failure: LOT_SIZE")
        pf = info["PRICE_FILTER"]
        if (
            price is not None
            and not market
            and (price % D(pf["tickSize"]) or price < D(pf["minPrice"]))
        ):
            raise ApiError(400, -1013, "Filter failure: PRICE_FILTER")
        ref = price if price is not None and not market else self.books[sym][2]
        if ref * qty < D(info["NOTIONAL"]["minNotional"]):
            raise ApiError(400, -1013, "Filter failure: NOTIONAL")

    def _new_order(self, p):
        for key in ("symbol", "side", "type", "quantity"):
            if key not in p:
                raise ApiError(400, -1102, f"Mandatory parameter '{key}' was not sent.")
        sym, side, kind = p["symbol"], p["side"], p["type"]
        bid, ask, _ = self._book(sym)
        qty = D(p["quantity"])
        price = D(p["price"]) if "price" in p else None
        cid = p.get("newClientOrderId") or f"fake-{self.next_id}"
        if any(o["status"] in ("NEW", "PARTIALLY_FILLED") for o in self.orders_with(cid)
               if o["symbol"] == sym):  # fmt: skip
            raise ApiError(400, -2010, "Duplicate order sent.")
        self._filters(sym, qty, price, kind in ("MARKET", "STOP_LOSS"))
        base, quote = self.symbols[sym]["baseAsset"], self.symbols[sym]["quoteAsset"]
        need_asset, need = (quote, qty * (price or ask)) if side == "BUY" else (base, qty)
        if self.balances.get(need_asset, [D(0)])[0] < need:
            raise ApiError(400, -2010, "Account has insufficient balance for requested action.")
        self.next_id += 1
        o = {"symbol": sym, "orderId": self.next_id, "clientOrderId": cid, "price": price or D(0),
             "origQty": qty, "executedQty": D(0), "cummulativeQuoteQty": D(0), "status": "NEW",
             "timeInForce": p.get("timeInForce", "GTC"), "type": kind, "side": side,
             "stopPrice": D(p.get("stopPrice", "0")), "time": self.now_ms(),
             "updateTime": self.now_ms(), "fills": [], "_locked": D(0)}  # fmt: skip
        self.orders[(sym, self.next_id)] = o
        touch = ask if side == "BUY" else bid
        crosses = kind == "MARKET" or (kind == "LIMIT" and (
            (side == "BUY" and price >= ask) or (side == "SELL" and price <= bid)))  # fmt: skip
        if crosses:
            part = qty if self.partial_next is None else min(qty, self.partial_next)
            self.partial_next = None
            self._execute(o, part, touch)
            if o["status"] != "FILLED" and (kind == "MARKET" or o["timeInForce"] != "GTC"):
                o["status"] = "EXPIRED"
        if o["status"] in ("NEW", "PARTIALLY_FILLED") and kind != "MARKET":
            lock = (
                (qty - o["executedQty"]) * (price or touch)
                if side == "BUY"
                else qty - o["executedQty"]
            )
            self.balances.setdefault(need_asset, [D(0), D(0)])
            self.balances[need_asset][0] -= lock
            self.balances[need_asset][1] += lock
            o["_locked"] = lock
        view = self._view(o)
        view["transactTime"] = o["updateTime"]
        return view

    def _execute(self, o, qty, price):
        sym = o["symbol"]
        base, quote = self.symbols[sym]["baseAsset"], self.symbols[sym]["quoteAsset"]
        qty = min(qty, o["origQty"] - o["executedQty"])
        value = qty * price
        for asset in (base, quote):
            self.balances.setdefault(asset, [D(0), D(0)])
        buy = o["side"] == "BUY"
        if o["_locked"]:  # a resting order trades out of its locked balance
            asset = quote if buy else base
            used = min(o["_locked"], qty * o["price"] if buy else qty)
            self.balances[asset][1] -= used
            self.balances[asset][0] += used
            o["_locked"] -= used
        self.balances[quote][0] += -value if buy else value
        self.balances[base][0] += qty if buy else -qty
        o["executedQty"] += qty
        o["cummulativeQuoteQty"] += value
        o["fills"].append({"price": str(price), "qty": str(qty), "commission": "0",
                           "commissionAsset": "BNB", "tradeId": self.next_id})  # fmt: skip
        o["status"] = "FILLED" if o["executedQty"] == o["origQty"] else "PARTIALLY_FILLED"
        o["updateTime"] = self.now_ms()

    def _unlock(self, o):
        if o["_locked"]:
            sym = o["symbol"]
            asset = self.symbols[sym]["quoteAsset" if o["side"] == "BUY" else "baseAsset"]
            self.balances[asset][1] -= o["_locked"]
            self.balances[asset][0] += o["_locked"]
            o["_locked"] = D(0)


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep the test output clean
            pass

        def setup(self):
            super().setup()  # headers and body go out in two writes: no Nagle stall between
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self, method):
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            fault = fake.take_fault(method, path)
            kind = fault[0] if fault else None
            if kind in ("429", "418"):
                return self._reply(int(kind), {"code": -1003, "msg": "Too many requests."},
                                   {"Retry-After": fault[3]})  # fmt: skip
            if kind == "drop_before":
                self.close_connection = True
                return None
            if kind == "5xx_before":
                return self._reply(fault[5], {"code": -1000, "msg": "Internal error."})
            try:
                if path in SIGNED:
                    params = fake.verify(self.headers, query, body)
                else:
                    params = dict(parse_qsl(query, keep_blank_values=True))
                with fake.lock:
                    fake.requests.append((method, path, params))
                answer, status = fake.route(method, path, params), 200
            except ApiError as error:
                answer, status = {"code": error.code, "msg": error.msg}, error.status
            if kind == "5xx_after":
                return self._reply(fault[5], {"code": -1000, "msg": "Internal error."})
            if kind == "drop_after":
                self.close_connection = True
                return None
            if kind == "delay_after":
                time.sleep(fault[4])
            return self._reply(status, answer)

        def _reply(self, status, answer, headers=None):
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-MBX-USED-WEIGHT-1M", str(fake.weight))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def do_DELETE(self):
            self._serve("DELETE")

    return Handler
