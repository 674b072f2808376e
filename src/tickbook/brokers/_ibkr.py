"""``IbkrBroker``: Interactive Brokers TWS / IB Gateway through ``ib_async`` (extra ``ibkr``).

Contracts are US stocks routed SMART in USD (``Stock(symbol, "SMART", "USD")``, qualified once
and cached). Orders map to ``MarketOrder``, ``LimitOrder``, ``StopOrder`` and
``StopLimitOrder`` with ``orderRef`` carrying the client order id, which makes a submission
idempotent: a known ``orderRef`` (in this session, or among the open and completed orders TWS
reports after a reconnect) answers its order instead of placing another. Quantities are whole
shares, prices cents; IB's floats are converted through ``Decimal`` at this edge only.

A lost connection is re-established with exponential backoff on the next call. Tested only at
the ``ib_async.IB`` seam (a recorded fake ``IB`` object), never against a real TWS.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tickbook.brokers._base import BrokerBase, check_lookup
from tickbook.brokers._errors import (
    BrokerDisconnected,
    OrderNotFound,
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
from tickbook.core import MAX_QTY, Side, TimeInForce
from tickbook.core._checks import check_int, refuse

__all__ = ["IbkrBroker"]

log = logging.getLogger("tickbook.brokers.ibkr")

_S = BrokerOrderStatus
_STATUS = {"PendingSubmit": _S.NEW, "ApiPending": _S.NEW, "PreSubmitted": _S.NEW,
           "Submitted": _S.NEW, "PendingCancel": _S.NEW, "ApiUpdate": _S.NEW,
           "Filled": _S.FILLED, "Cancelled": _S.CANCELLED, "ApiCancelled": _S.CANCELLED,
           "Inactive": _S.REJECTED, "ValidationError": _S.REJECTED}  # fmt: skip
_KINDS = {"MKT": OrderType.MARKET, "LMT": OrderType.LIMIT, "STP": OrderType.STOP,
          "STP LMT": OrderType.STOP_LIMIT}  # fmt: skip
_CONNECT_ERRORS = (OSError, TimeoutError, ConnectionError)


def _import_ib_async() -> Any:
    try:
        import ib_async
    except ImportError:
        raise ImportError("IbkrBroker needs ib_async: pip install 'tickbook[ibkr]'") from None
    return ib_async


def _cents(value: Any) -> int | None:
    """IB's float dollars as cents; ``None`` for NaN, unset, missing or non-positive prices."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    if not math.isfinite(number) or not 0 < number < 1e15:  # IB's UNSET_DOUBLE is 1.8e308
        return None
    return int((Decimal(repr(number)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _money(value: Any) -> int:
    """A signed float or decimal string of dollars as cents (0 when missing)."""
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return 0
    if not d.is_finite():
        return 0
    return int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _shares(value: Any) -> int:
    number = float(value)
    return int(number) if math.isfinite(number) else 0


class IbkrBroker(BrokerBase):
    """Interactive Brokers through TWS or IB Gateway (``pip install 'tickbook[ibkr]'``).

    Args:
        host: TWS / Gateway host.
        port: 4002 paper Gateway, 4001 live Gateway, 7497 paper TWS, 7496 live TWS.
        client_id: the API client id (unique per connection).
        account: the account to trade and report ("" for the only one).
        timeout_s: seconds for a connection attempt.
        max_reconnects: attempts per (re)connection before ``BrokerDisconnected``.
        backoff_s: the first wait between attempts; doubled each time, up to ``backoff_max_s``.
        ib: an ``ib_async.IB``-like object to use (tests); a new ``ib_async.IB()`` by default.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4002,
        client_id: int = 1,
        *,
        account: str = "",
        timeout_s: float = 4.0,
        max_reconnects: int = 5,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        currency: str = "USD",
        ib: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(host, str) or not host or len(host) > 253 or " " in host:
            raise refuse("host", "a host name or IP address", host)
        self.port = check_int(port, "port", lo=1, hi=65535, expected="a TCP port in [1, 65535]")
        self.client_id = check_int(client_id, "client_id", lo=0, hi=2**31 - 1,
                                   expected="an integer in [0, 2**31)")  # fmt: skip
        if not isinstance(account, str) or len(account) > 32:
            raise refuse("account", "an account id string", account)
        for field, value, hi in (("timeout_s", timeout_s, 600), ("backoff_s", backoff_s, 600),
                                 ("backoff_max_s", backoff_max_s, 3600)):  # fmt: skip
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0 <= value <= hi)
            ):
                raise refuse(field, f"seconds in [0, {hi}]", value)
        self._attempts = check_int(max_reconnects, "max_reconnects", lo=1, hi=100,
                                   expected="1 to 100")  # fmt: skip
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
            raise refuse("currency", "a 3-letter currency code", currency)
        self._lib = _import_ib_async()
        self.host, self.account_id, self.currency = host, account, currency
        self._timeout, self._backoff, self._backoff_max = timeout_s, backoff_s, backoff_max_s
        self._ib = ib if ib is not None else self._lib.IB()
        self._sleep = sleep
        self._wanted = False  # connect() was called and disconnect() was not
        self._contracts: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"IbkrBroker(host={self.host!r}, port={self.port}, client_id={self.client_id}, "
            f"connected={self.is_connected})"
        )

    # -- session -------------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, retrying with exponential backoff; ``BrokerDisconnected`` if all fail."""
        self._wanted = True
        if self._ib.isConnected():
            return
        wait = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                self._ib.connect(self.host, self.port, clientId=self.client_id,
                                 timeout=self._timeout, account=self.account_id)  # fmt: skip
                if self._ib.isConnected():
                    return
            except _CONNECT_ERRORS as error:
                log.warning("IBKR connect attempt %d/%d failed: %s", attempt, self._attempts,
                            type(error).__name__)  # fmt: skip
            if attempt < self._attempts:
                self._sleep(wait)
                wait = min(wait * 2, self._backoff_max)
        raise BrokerDisconnected(
            f"cannot connect to TWS/Gateway at {self.host}:{self.port} "
            f"after {self._attempts} attempts"
        )

    def disconnect(self) -> None:
        """Disconnect (idempotent); later calls raise ``BrokerDisconnected``."""
        self._wanted = False
        self._ib.disconnect()

    @property
    def is_connected(self) -> bool:
        """Return whether the API connection is up."""
        return bool(self._ib.isConnected())

    def _live(self) -> Any:
        if not self._wanted:
            raise BrokerDisconnected("IbkrBroker is not connected: call connect()")
        if not self._ib.isConnected():
            log.warning("IBKR connection lost: reconnecting")
            self.connect()
        return self._ib

    # -- contracts -----------------------------------------------------------------------------

    def _contract(self, symbol: Any) -> Any:
        ib = self._live()
        check_symbol(symbol)
        contract = self._contracts.get(symbol)
        if contract is None:
            stock = self._lib.Stock(symbol, "SMART", self.currency)
            qualified = ib.qualifyContracts(stock)
            if not qualified:
                raise UnknownSymbol(f"IB knows no {self.currency} stock {symbol!r}",
                                    field="symbol", value=symbol)  # fmt: skip
            contract = self._contracts[symbol] = qualified[0]
        return contract

    def instrument(self, symbol: str) -> Instrument:
        """Return whole shares and one-cent ticks (IB's finer sub-penny rules are not read)."""
        self._contract(symbol)
        return Instrument(symbol, max_qty=MAX_QTY)

    # -- account -------------------------------------------------------------------------------

    def positions(self) -> list[Position]:
        """Return the stock positions with IB's market value, average cost and unrealized P&L."""
        ib = self._live()
        out = []
        for item in ib.portfolio(self.account_id):
            qty = _shares(item.position)
            if qty == 0 or getattr(item.contract, "secType", "STK") != "STK":
                continue
            out.append(Position(item.contract.symbol, qty, _money(item.averageCost),
                                _money(item.marketValue), _money(item.unrealizedPNL)))  # fmt: skip
        return sorted(out, key=lambda p: p.symbol)

    def account(self) -> Account:
        """Return net liquidation, buying power, cash and gross position value in cents."""
        values = {}
        for v in self._live().accountValues(self.account_id):
            if v.currency in (self.currency, "BASE", "") and v.tag not in values:
                values[v.tag] = _money(v.value)
        return Account(
            equity_cents=values.get("NetLiquidation", 0),
            buying_power_cents=values.get("BuyingPower", 0),
            cash_cents=values.get("TotalCashValue", 0),
            gross_position_value_cents=values.get("GrossPositionValue", 0),
            currency=self.currency,
        )

    def quote(self, symbol: str) -> Quote:
        """Return a snapshot of bid, ask, last and volume (``None`` where IB has no price)."""
        contract = self._contract(symbol)
        tickers = self._ib.reqTickers(contract)
        if not tickers:
            return Quote(symbol, None, None, None, 0)
        t = tickers[0]
        volume = t.volume if t.volume is not None and math.isfinite(t.volume) else 0
        return Quote(symbol, _cents(t.bid), _cents(t.ask), _cents(t.last), max(0, int(volume)))

    # -- orders --------------------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place an order; an ``orderRef`` IB already holds answers that order instead."""
        if not isinstance(request, OrderRequest):
            raise refuse("request", "an OrderRequest", request)
        if request.quantity > MAX_QTY:
            raise refuse("quantity", f"a positive integer (shares) <= {MAX_QTY}", request.quantity)
        contract = self._contract(request.symbol)
        cid = request.client_order_id
        if cid is None:
            cid = f"tb-{self.client_id}-{self._ib.client.getReqId()}"
        else:
            known = self._by_ref(cid, refresh=True)
            if known is not None:
                return self._parse(known)
        order = self._order(request, cid)
        try:
            trade = self._ib.placeOrder(contract, order)
        except _CONNECT_ERRORS as error:
            raise UnknownOutcome(f"order {cid!r}: connection lost while placing "
                                 f"({type(error).__name__}): look it up by client order id",
                                 client_order_id=cid) from None  # fmt: skip
        return self._parse(trade)

    def _order(self, request: OrderRequest, cid: str) -> Any:
        lib, kind = self._lib, request.order_type
        action, qty = request.side.name, request.quantity
        limit = None if request.limit_price_cents is None else request.limit_price_cents / 100
        stop = None if request.stop_price_cents is None else request.stop_price_cents / 100
        if kind is OrderType.MARKET:
            order = lib.MarketOrder(action, qty)
        elif kind is OrderType.LIMIT:
            order = lib.LimitOrder(action, qty, limit)
        elif kind is OrderType.STOP:
            order = lib.StopOrder(action, qty, stop)
        else:
            order = lib.StopLimitOrder(action, qty, limit, stop)
        order.orderRef = cid
        order.tif = request.tif.name
        if self.account_id:
            order.account = self.account_id
        return order

    def _by_ref(self, cid: str, refresh: bool) -> Any:
        for trade in self._ib.trades():
            if trade.order.orderRef == cid:
                return trade
        if refresh:  # a new session: ask TWS for the open and the completed orders
            for trade in [*self._ib.reqAllOpenOrders(), *self._ib.reqCompletedOrders(False)]:
                if trade.order.orderRef == cid:
                    return trade
        return None

    def _find(self, order_id: Any, client_order_id: Any, symbol: Any) -> Any:
        self._live()
        order_id, client_order_id, symbol = check_lookup(order_id, client_order_id, symbol)
        if order_id is not None:
            if not (order_id.isascii() and order_id.isdigit()):
                raise refuse("order_id", "an IbkrBroker order id (digits)", order_id)
            trade = next((t for t in self._ib.trades() if str(t.order.orderId) == order_id),
                         None)  # fmt: skip
            if trade is None:
                trade = next((t for t in self._ib.reqAllOpenOrders()
                              if str(t.order.orderId) == order_id), None)  # fmt: skip
        else:
            trade = self._by_ref(client_order_id, refresh=True)  # type: ignore[arg-type]
        if trade is None or (symbol is not None and trade.contract.symbol != symbol):
            ref = order_id if order_id is not None else client_order_id
            field = "order_id" if order_id is not None else "client_order_id"
            raise OrderNotFound(f"IB holds no order {ref!r}", field=field, value=ref)
        return trade

    def order_status(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Return the order by IB order id or by client order id (``orderRef``)."""
        return self._parse(self._find(order_id, client_order_id, symbol))

    def cancel_order(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Request the cancel; a finished order is returned unchanged."""
        trade = self._find(order_id, client_order_id, symbol)
        if trade.orderStatus.status not in ("Filled", "Cancelled", "ApiCancelled", "Inactive"):
            trade = self._ib.cancelOrder(trade.order) or trade
        return self._parse(trade)

    def open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        """Return the working orders (of ``symbol``, or all)."""
        ib = self._live()
        if symbol is not None:
            check_symbol(symbol)
        return [self._parse(t) for t in ib.openTrades()
                if symbol is None or t.contract.symbol == symbol]  # fmt: skip

    def _parse(self, trade: Any) -> BrokerOrder:
        order, status = trade.order, trade.orderStatus
        filled = _shares(status.filled)
        state = _STATUS.get(status.status, _S.NEW)
        if state is _S.NEW and filled:
            state = _S.PARTIALLY_FILLED
        kind = _KINDS.get(order.orderType, OrderType.LIMIT)
        value = sum(_money(_dec(f.execution.shares) * _dec(f.execution.price)) for f in trade.fills)
        if not trade.fills and filled:
            value = _money(_dec(status.avgFillPrice) * filled)
        fee = 0
        for f in trade.fills:
            report = f.commissionReport
            if report is not None and math.isfinite(report.commission):
                fee += _money(report.commission)
        limited = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        stopped = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
        return BrokerOrder(
            order_id=str(order.orderId),
            client_order_id=order.orderRef or "",
            symbol=trade.contract.symbol,
            side=Side.parse(order.action),
            order_type=kind,
            quantity=_shares(order.totalQuantity),
            status=state,
            filled_quantity=filled,
            filled_value_cents=value,
            limit_price_cents=_cents(order.lmtPrice) if limited else None,
            stop_price_cents=_cents(order.auxPrice) if stopped else None,
            tif=TimeInForce.parse(order.tif if order.tif in ("GTC", "IOC", "FOK") else "GTC"),
            reason=status.whyHeld or "",
            commission_cents=fee,
        )


def _dec(value: Any) -> Decimal:
    return Decimal(repr(float(value)))
