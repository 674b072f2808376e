"""``BinanceBroker``: Binance spot through its REST API (extra ``tickbook[binance]``: httpx).

Symbols are base assets traded against ``quote_asset`` (``"BTC"`` means ``BTCUSDT``, as in the
reference); a full pair name (``"BTCUSDT"``) is accepted too. Prices are cents of the quote
asset; quantities are ``10**-qty_decimals`` of the base asset (``qty_decimals=8``: 1 BTC is
``100_000_000``). Order ids are ``"PAIR:orderId"`` strings.

Orders are idempotent by ``newClientOrderId``. When the answer to a new order is lost (a 5xx,
a timeout, a dropped connection), the outcome is unknown: the broker looks the order up by its
client id (``GET /api/v3/order?origClientOrderId=``) and returns what Binance holds. Only when
Binance says the order does not exist (-2013) *and* the first request can no longer be
accepted (its ``recvWindow`` has passed by Binance's clock) is it sent again, with the same id.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from tickbook.brokers._base import BrokerBase, check_lookup
from tickbook.brokers._binance_filters import SymbolRules, cents, decimal_text, units
from tickbook.brokers._binance_http import BinanceHttp, Secret
from tickbook.brokers._errors import (
    BrokerDisconnected,
    BrokerError,
    OrderNotFound,
    OrderRejected,
    UnknownOutcome,
    UnknownSymbol,
)
from tickbook.brokers._types import (
    Account,
    BrokerOrder,
    BrokerOrderStatus,
    Instrument,
    OrderRequest,
    OrderType,
    Position,
    Quote,
    check_symbol,
)
from tickbook.core import Side, TimeInForce, ValidationError
from tickbook.core._checks import check_int, refuse

__all__ = ["BinanceBroker"]

MAINNET = "https://api.binance.com"
TESTNET = "https://testnet.binance.vision"
_ASSET = re.compile(r"[A-Z0-9]{2,12}")
_TYPES = {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT",
          OrderType.STOP: "STOP_LOSS", OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT"}  # fmt: skip
_KINDS = {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT, "LIMIT_MAKER": OrderType.LIMIT,
          "STOP_LOSS": OrderType.STOP, "TAKE_PROFIT": OrderType.STOP,
          "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
          "TAKE_PROFIT_LIMIT": OrderType.STOP_LIMIT}  # fmt: skip
_STATUS = {"NEW": "NEW", "PENDING_NEW": "NEW", "PARTIALLY_FILLED": "PARTIALLY_FILLED",
           "FILLED": "FILLED", "CANCELED": "CANCELLED", "PENDING_CANCEL": "NEW",
           "REJECTED": "REJECTED", "EXPIRED": "EXPIRED",
           "EXPIRED_IN_MATCH": "EXPIRED"}  # fmt: skip


def _secret(value: Any, field: str) -> Secret:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        # the value is never echoed: it may be a real key
        raise ValidationError(
            f"invalid `{field}`: expected a non-empty printable string", field=field, value="***"
        )
    return Secret(value)


class BinanceBroker(BrokerBase):
    """Binance spot trading through REST (``pip install 'tickbook[binance]'``).

    Args:
        api_key: the API key (sent only in the ``X-MBX-APIKEY`` header; never printed).
        secret_key: the secret that signs requests (never sent, never printed).
        testnet: trade on ``testnet.binance.vision`` (the default) instead of the live venue.
        quote_asset: the asset that symbols are priced in, and the account's cash.
        base_url: another endpoint (a local fake in tests); overrides ``testnet``.
        recv_window_ms: how long after its ``timestamp`` a signed request stays valid.
        timeout_s: seconds before a request counts as lost.
        max_retries: how many times a request refused with 429/418 is sent again after waiting
            ``Retry-After`` (0: raise ``RateLimited`` at once).
        max_retry_wait_s: the longest ``Retry-After`` that is waited out.
        qty_decimals: decimals of the quantity unit (8: quantities in 1e-8 of the base asset).
        check_client_ids: look a caller's client order id up before sending it the first time
            in a session (Binance itself refuses a repeated id only while the first order is
            open, so a filled order would be placed again after a restart).
        transport: an httpx transport (tests).
    """

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        testnet: bool = True,
        quote_asset: str = "USDT",
        base_url: str | None = None,
        *,
        recv_window_ms: int = 5000,
        timeout_s: float = 10.0,
        max_retries: int = 0,
        max_retry_wait_s: float = 10.0,
        qty_decimals: int = 8,
        check_client_ids: bool = True,
        transport: Any = None,
        clock_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_key = _secret(api_key, "api_key")
        self._secret_key = _secret(secret_key, "secret_key")
        if type(testnet) is not bool:
            raise refuse("testnet", "True or False", testnet)
        if not isinstance(quote_asset, str) or not _ASSET.fullmatch(quote_asset):
            raise refuse("quote_asset", "2 to 12 of A-Z, 0-9 (e.g. 'USDT')", quote_asset)
        if base_url is not None and (
            not isinstance(base_url, str) or not re.fullmatch(r"https?://[^\s?#]+", base_url)
        ):
            raise refuse("base_url", "an http(s) URL without query", base_url)
        self._recv = check_int(recv_window_ms, "recv_window_ms", lo=1, hi=60_000,
                               expected="milliseconds in [1, 60000]")  # fmt: skip
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int | float)
            or not (0 < timeout_s <= 600)
        ):
            raise refuse("timeout_s", "seconds in (0, 600]", timeout_s)
        self._retries = check_int(max_retries, "max_retries", lo=0, hi=10, expected="0 to 10")
        if (
            isinstance(max_retry_wait_s, bool)
            or not isinstance(max_retry_wait_s, int | float)
            or (not 0 <= max_retry_wait_s <= 3600)
        ):
            raise refuse("max_retry_wait_s", "seconds in [0, 3600]", max_retry_wait_s)
        self._qd = check_int(qty_decimals, "qty_decimals", lo=0, hi=8, expected="0 to 8")
        if type(check_client_ids) is not bool:
            raise refuse("check_client_ids", "True or False", check_client_ids)
        self._check_ids = check_client_ids
        try:
            import httpx  # noqa: F401
        except ImportError:
            raise ImportError(
                "BinanceBroker needs httpx: pip install 'tickbook[binance]'"
            ) from None
        self.testnet = testnet
        self.quote_asset = quote_asset
        self.base_url = base_url or (TESTNET if testnet else MAINNET)
        self._options = dict(timeout_s=float(timeout_s), max_retry_wait_s=float(max_retry_wait_s),
                             transport=transport, clock_ms=clock_ms, sleep=sleep)  # fmt: skip
        self._sleep = sleep
        self._http: BinanceHttp | None = None
        self._rules: dict[str, SymbolRules] = {}
        self._sent: dict[str, str] = {}  # client order id -> pair, for this session

    # -- session -------------------------------------------------------------------------------

    def connect(self) -> None:
        """Measure the clock offset and load the symbols' rules (``exchangeInfo``)."""
        if self._http is not None:
            return
        opts = self._options
        http = BinanceHttp(
            self.base_url,
            self._api_key,
            self._secret_key,
            recv_window_ms=self._recv,
            max_retries=self._retries,
            **opts,  # type: ignore[arg-type]
        )
        try:
            http.sync_time()
            info = http.public("GET", "/api/v3/exchangeInfo")
            rules = {}
            for entry in info.get("symbols", ()):
                r = SymbolRules.parse(entry)
                rules[r.pair] = r
            for limit in info.get("rateLimits", ()):
                if (
                    limit.get("rateLimitType") == "REQUEST_WEIGHT"
                    and limit.get("interval") == ("MINUTE")
                    and limit.get("intervalNum") == 1
                ):
                    http.weight_limit = int(limit["limit"])
        except BaseException:
            http.close()
            raise
        self._rules = rules
        self._http = http

    def disconnect(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    @property
    def is_connected(self) -> bool:
        """Return whether ``connect`` succeeded (and ``disconnect`` was not called since)."""
        return self._http is not None

    @property
    def used_weight(self) -> int:
        """Return the request weight used this minute, as Binance last reported it."""
        return 0 if self._http is None else self._http.used_weight

    @property
    def weight_limit(self) -> int | None:
        """Return the request-weight limit per minute from ``exchangeInfo``."""
        return None if self._http is None else self._http.weight_limit

    @property
    def clock_offset_ms(self) -> int:
        """Return Binance's clock minus the local clock, in milliseconds."""
        return 0 if self._http is None else self._http.offset_ms

    def _live(self) -> BinanceHttp:
        if self._http is None:
            raise BrokerDisconnected("BinanceBroker is not connected: call connect()")
        return self._http

    def __repr__(self) -> str:
        return (
            f"BinanceBroker(base_url={self.base_url!r}, testnet={self.testnet}, "
            f"quote_asset={self.quote_asset!r}, connected={self.is_connected})"
        )

    # -- symbols -------------------------------------------------------------------------------

    def _pair(self, symbol: Any, field: str = "symbol") -> tuple[str, SymbolRules]:
        check_symbol(symbol, field)
        name = symbol.upper()
        rules = self._rules.get(name)
        if rules is None or rules.quote != self.quote_asset:
            rules = self._rules.get(name + self.quote_asset) or rules
        if rules is None:
            raise UnknownSymbol(
                f"Binance lists no pair {name}{self.quote_asset} or {name}",
                field=field,
                value=symbol,
            )
        return self._name(rules), rules

    def _name(self, rules: SymbolRules) -> str:
        return rules.base if rules.quote == self.quote_asset else rules.pair

    def instrument(self, symbol: str) -> Instrument:
        """Return the pair's tick, lot and minimum notional in cents and quantity units."""
        self._live()
        name, rules = self._pair(symbol)
        return rules.instrument(name, self._qd)

    # -- account -------------------------------------------------------------------------------

    def _prices(self, pairs: list[str]) -> dict[str, Decimal]:
        if not pairs:
            return {}
        symbols = "[" + ",".join(f'"{p}"' for p in pairs) + "]"
        data = self._live().public("GET", "/api/v3/ticker/price", [("symbols", symbols)])
        return {d["symbol"]: Decimal(str(d["price"])) for d in data}

    def _holdings(self) -> tuple[dict[str, Any], list[tuple[str, int, Decimal]]]:
        data = self._live().signed("GET", "/api/v3/account", [("omitZeroBalances", "true")])
        balances = {b["asset"]: b for b in data.get("balances", ())}
        held = []
        for asset, b in sorted(balances.items()):
            pair = asset + self.quote_asset
            amount = Decimal(str(b["free"])) + Decimal(str(b["locked"]))
            if asset != self.quote_asset and pair in self._rules and amount > 0:
                held.append((pair, units(amount, self._qd), amount))
        return balances, held

    def positions(self) -> list[Position]:
        """Return the base-asset balances with a pair against ``quote_asset``, marked to last.

        Binance keeps no cost basis: ``avg_cost_cents`` and ``unrealized_pnl_cents`` are 0.
        """
        _, held = self._holdings()
        prices = self._prices([p for p, _, _ in held])
        out = []
        for pair, qty, amount in held:
            value = cents(amount * prices[pair])
            out.append(Position(self._name(self._rules[pair]), qty, 0, value, 0))
        return out

    def account(self) -> Account:
        """Return the quote asset as cash (free as buying power) plus the marked holdings."""
        balances, held = self._holdings()
        prices = self._prices([p for p, _, _ in held])
        q = balances.get(self.quote_asset, {"free": "0", "locked": "0"})
        free = cents(q["free"], ROUND_FLOOR)
        cash = cents(Decimal(str(q["free"])) + Decimal(str(q["locked"])), ROUND_FLOOR)
        gross = sum(cents(amount * prices[pair]) for pair, _, amount in held)
        return Account(cash + gross, free, cash, gross, self.quote_asset)

    def quote(self, symbol: str) -> Quote:
        """Return bid (rounded down), ask (rounded up) and last in cents, and 24 h volume."""
        http = self._live()
        name, rules = self._pair(symbol)
        d = http.public("GET", "/api/v3/ticker/24hr", [("symbol", rules.pair)])
        bid = cents(d.get("bidPrice", "0"), ROUND_FLOOR)
        ask = cents(d.get("askPrice", "0"), ROUND_CEILING)
        last = cents(d.get("lastPrice", "0"))
        return Quote(
            name, bid or None, ask or None, last or None, units(d.get("volume", "0"), self._qd)
        )

    # -- orders --------------------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Send an order after the pair's filters pass locally (``FilterRejected`` otherwise).

        A client order id already sent in this session answers that order (looked up, not
        resent); a lost answer is resolved by look-up (see the module docstring).
        """
        http = self._live()
        if not isinstance(request, OrderRequest):
            raise refuse("request", "an OrderRequest", request)
        name, rules = self._pair(request.symbol)
        if not rules.trading:
            raise OrderRejected(f"{rules.pair} is not trading", field="symbol", value=name)
        qty = Decimal(request.quantity).scaleb(-self._qd)
        last = None
        if request.order_type in (OrderType.MARKET, OrderType.STOP):
            last = self._prices([rules.pair])[rules.pair]
        rules.check(request, qty, last)
        cid = request.client_order_id or f"tb-{uuid.uuid4().hex[:24]}"
        if cid in self._sent:
            return self._lookup(rules.pair, cid)
        if request.client_order_id is not None and self._check_ids:
            # Binance refuses a repeated id only while the first order is open: a filled one
            # from an earlier session would be placed again. Ask first (weight 4).
            try:
                return self._lookup(rules.pair, cid)
            except OrderNotFound:
                pass
        params = self._params(request, rules.pair, qty, cid)
        try:
            data = http.signed("POST", "/api/v3/order", params, placing=True)
        except UnknownOutcome:
            return self._resolve(rules.pair, cid, params, http.last_stamp_ms)
        except OrderRejected as error:
            if "duplicate order" not in str(error).lower():
                raise
            data = None  # Binance holds an open order with this id: answer it
        self._sent[cid] = rules.pair
        return self._parse(data) if data is not None else self._lookup(rules.pair, cid)

    def _params(
        self, request: OrderRequest, pair: str, qty: Decimal, cid: str
    ) -> list[tuple[str, Any]]:
        kind = request.order_type
        params: list[tuple[str, Any]] = [
            ("symbol", pair),
            ("side", request.side.name),
            ("type", _TYPES[kind]),
        ]
        if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            params.append(("timeInForce", request.tif.name))
        params.append(("quantity", decimal_text(qty)))
        if request.limit_price_cents is not None:
            params.append(("price", decimal_text(Decimal(request.limit_price_cents).scaleb(-2))))
        if request.stop_price_cents is not None:
            stop = Decimal(request.stop_price_cents).scaleb(-2)
            params.append(("stopPrice", decimal_text(stop)))
        params += [("newClientOrderId", cid), ("newOrderRespType", "FULL")]
        return params

    def _resolve(
        self, pair: str, cid: str, params: list[tuple[str, Any]], stamp: int
    ) -> BrokerOrder:
        """Find out what happened to a new order whose answer was lost; resend only if safe."""
        http = self._live()
        for _ in range(4):
            try:
                return self._lookup(pair, cid)
            except OrderNotFound:
                pass
            except (UnknownOutcome, BrokerDisconnected):
                continue
            except BrokerError as error:
                if isinstance(error.code, int) and error.code >= 500:
                    continue
                raise UnknownOutcome(
                    f"order {cid!r} on {pair}: the answer was lost and the look-up failed "
                    f"({error}); look it up later",
                    client_order_id=cid,
                ) from None
            # Binance does not hold it; wait until the lost request can no longer be accepted
            wait_ms = stamp + self._recv + 1 - http.now_ms()
            if wait_ms > 0:
                self._sleep(wait_ms / 1000)
                try:
                    return self._lookup(pair, cid)
                except OrderNotFound:
                    pass
            try:
                data = http.signed("POST", "/api/v3/order", params, placing=True)
            except UnknownOutcome:
                stamp = http.last_stamp_ms
                continue
            except OrderRejected as error:
                if "duplicate order" in str(error).lower():
                    continue
                raise
            self._sent[cid] = pair
            return self._parse(data)
        raise UnknownOutcome(
            f"order {cid!r} on {pair}: the outcome is still unknown after repeated look-ups; "
            "look it up later with order_status(client_order_id=..., symbol=...)",
            client_order_id=cid,
        )

    def _lookup(self, pair: str, cid: str) -> BrokerOrder:
        data = self._live().signed(
            "GET", "/api/v3/order", [("symbol", pair), ("origClientOrderId", cid)]
        )
        self._sent[cid] = pair
        return self._parse(data)

    def _target(
        self, order_id: Any, client_order_id: Any, symbol: Any
    ) -> tuple[str, tuple[str, Any]]:
        """Return the pair and the id parameter of a look-up or cancel."""
        self._live()
        order_id, client_order_id, symbol = check_lookup(order_id, client_order_id, symbol)
        pair = None if symbol is None else self._pair(symbol)[1].pair
        if order_id is not None:
            head, _, number = order_id.partition(":")
            if not (number.isascii() and number.isdigit()) or head not in self._rules:
                raise refuse("order_id", "a BinanceBroker order id 'PAIR:number'", order_id)
            if pair is not None and pair != head:
                raise OrderNotFound(f"order {order_id!r} is not on {pair}", field="order_id",
                                    value=order_id)  # fmt: skip
            return head, ("orderId", int(number))
        pair = pair or self._sent.get(client_order_id)  # type: ignore[arg-type]
        if pair is None:
            raise refuse("symbol", "the symbol (Binance looks client order ids up by pair)", None)
        return pair, ("origClientOrderId", client_order_id)

    def order_status(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Return the order; a client order id needs ``symbol`` unless sent in this session."""
        pair, ref = self._target(order_id, client_order_id, symbol)
        data = self._live().signed("GET", "/api/v3/order", [("symbol", pair), ref])
        return self._parse(data)

    def cancel_order(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Cancel a working order; a finished one is returned as Binance holds it."""
        pair, ref = self._target(order_id, client_order_id, symbol)
        http = self._live()
        try:
            data = http.signed("DELETE", "/api/v3/order", [("symbol", pair), ref])
        except OrderNotFound:
            # -2011: unknown, or no longer cancellable (filled): ask what it is
            data = http.signed("GET", "/api/v3/order", [("symbol", pair), ref])
        return self._parse(data)

    def open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        """Return the working orders (of ``symbol``, or all: a heavier request), oldest first."""
        http = self._live()
        params = [] if symbol is None else [("symbol", self._pair(symbol)[1].pair)]
        data = http.signed("GET", "/api/v3/openOrders", params)
        orders = [self._parse(d) for d in data]
        return sorted(orders, key=lambda o: (o.ts_ns, o.order_id))

    def _parse(self, d: dict[str, Any]) -> BrokerOrder:
        """Turn Binance's order JSON into a ``BrokerOrder`` (cents, quantity units)."""
        try:
            pair = str(d["symbol"])
            rules = self._rules.get(pair)
            kind = _KINDS[d["type"]]
            price = Decimal(str(d.get("price", "0")))
            stop = Decimal(str(d.get("stopPrice", "0")))
            stamp = d.get("updateTime") or d.get("transactTime") or d.get("time") or 0
            fee = sum(
                cents(f["commission"])
                for f in d.get("fills", ())
                if f.get("commissionAsset") == self.quote_asset
            )
            return BrokerOrder(
                order_id=f"{pair}:{int(d['orderId'])}",
                client_order_id=str(d["clientOrderId"]),
                symbol=self._name(rules) if rules is not None else pair,
                side=Side.parse(d["side"]),
                order_type=kind,
                quantity=units(d["origQty"], self._qd),
                status=BrokerOrderStatus.parse(_STATUS[d["status"]]),
                filled_quantity=units(d["executedQty"], self._qd),
                filled_value_cents=cents(d.get("cummulativeQuoteQty", "0")),
                limit_price_cents=cents(price) if price > 0 else None,
                stop_price_cents=cents(stop) if stop > 0 else None,
                tif=TimeInForce.parse(d.get("timeInForce", "GTC")),
                qty_decimals=self._qd,
                ts_ns=int(stamp) * 1_000_000,
                commission_cents=fee,
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise BrokerError(
                f"Binance answered an order this adapter cannot read ({type(error).__name__}: "
                f"{error})"
            ) from None
