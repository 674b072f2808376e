"""A stand-in for ``ib_async.IB`` at the seam ``IbkrBroker`` uses, answering with real
``ib_async`` objects (``Trade``, ``OrderStatus``, ``Fill``, ``PortfolioItem``, ``AccountValue``,
``Ticker``) shaped as a paper account's TWS sends them. No socket: tests only the mapping.
"""

from __future__ import annotations

import datetime
import itertools

import ib_async as ib

KNOWN = {"AAPL": 265598, "MSFT": 272093}
ACCOUNT = "DU1234567"


class FakeClient:
    def __init__(self):
        self._ids = itertools.count(1)

    def getReqId(self):
        return next(self._ids)


class FakeIB:
    """Answers the calls ``IbkrBroker`` makes; records them in ``calls``."""

    def __init__(self, fail_connects=0):
        self.connected = False
        self.fail_connects = fail_connects
        self.connect_calls = []
        self.calls = []
        self.client = FakeClient()
        self._trades = []  # this session's trades
        self.completed = []  # trades from earlier sessions, as reqCompletedOrders returns them
        self.prices = {
            "AAPL": (184.99, 185.01, 185.0, 51234567.0),
            "MSFT": (409.5, 409.6, 409.55, 2e7),
        }
        self.portfolio_items = [
            ib.PortfolioItem(ib.Stock("AAPL", "NASDAQ", "USD", conId=265598), 100.0, 185.0,
                             18500.0, 150.1234, 3487.66, 0.0, ACCOUNT),
            ib.PortfolioItem(ib.Stock("MSFT", "NASDAQ", "USD", conId=272093), -10.0, 409.55,
                             -4095.5, 400.0, -95.5, 0.0, ACCOUNT),
        ]  # fmt: skip
        self.account_values = [
            ib.AccountValue(ACCOUNT, "NetLiquidation", "1003412.57", "USD", ""),
            ib.AccountValue(ACCOUNT, "NetLiquidation", "930000.10", "EUR", ""),
            ib.AccountValue(ACCOUNT, "BuyingPower", "4013650.28", "USD", ""),
            ib.AccountValue(ACCOUNT, "TotalCashValue", "989008.07", "USD", ""),
            ib.AccountValue(ACCOUNT, "GrossPositionValue", "22595.50", "USD", ""),
            ib.AccountValue(ACCOUNT, "AccountType", "INDIVIDUAL", "", ""),
        ]

    # -- session -------------------------------------------------------------------------------

    def connect(self, host, port, clientId, timeout, account=""):
        self.connect_calls.append((host, port, clientId, timeout, account))
        if self.fail_connects:
            self.fail_connects -= 1
            raise ConnectionRefusedError(61, "Connect call failed")
        self.connected = True

    def isConnected(self):
        return self.connected

    def disconnect(self):
        self.connected = False
        self._trades_session_end()

    def _trades_session_end(self):
        self.completed += [
            t for t in self._trades if t.orderStatus.status in ib.OrderStatus.DoneStates
        ]
        self._open_after = [
            t for t in self._trades if t.orderStatus.status not in ib.OrderStatus.DoneStates
        ]
        self._trades = []

    def _check(self):
        if not self.connected:
            raise ConnectionError("Not connected")

    # -- data ----------------------------------------------------------------------------------

    def qualifyContracts(self, *contracts):
        self._check()
        self.calls.append(("qualifyContracts", contracts[0].symbol))
        out = []
        for c in contracts:
            if c.symbol in KNOWN:
                c.conId = KNOWN[c.symbol]
                c.primaryExchange = "NASDAQ"
                out.append(c)
        return out

    def reqTickers(self, *contracts):
        self._check()
        out = []
        for c in contracts:
            t = ib.Ticker(contract=c)
            t.bid, t.ask, t.last, t.volume = self.prices[c.symbol]
            out.append(t)
        return out

    def portfolio(self, account=""):
        self._check()
        return list(self.portfolio_items)

    def accountValues(self, account=""):
        self._check()
        return list(self.account_values)

    # -- orders --------------------------------------------------------------------------------

    def placeOrder(self, contract, order):
        self._check()
        self.calls.append(("placeOrder", order.orderRef))
        order.orderId = order.orderId or self.client.getReqId()
        status = ib.OrderStatus(orderId=order.orderId, status="Submitted",
                                remaining=order.totalQuantity)  # fmt: skip
        trade = ib.Trade(contract, order, status, [], [])
        self._trades.append(trade)
        if order.orderType == "MKT":
            bid, ask, _, _ = self.prices[contract.symbol]
            self.fill(trade, order.totalQuantity, ask if order.action == "BUY" else bid)
        return trade

    def fill(self, trade, shares, price):
        order = trade.order
        execution = ib.Execution(execId=f"e{len(trade.fills)}", shares=shares, price=price,
                                 orderId=order.orderId, orderRef=order.orderRef)  # fmt: skip
        report = ib.CommissionReport(execId=execution.execId, commission=1.0, currency="USD")
        trade.fills.append(ib.Fill(trade.contract, execution, report, datetime.datetime.now()))
        s = trade.orderStatus
        s.filled += shares
        s.remaining = trade.order.totalQuantity - s.filled
        s.avgFillPrice = price
        s.status = "Filled" if s.remaining == 0 else "Submitted"

    def cancelOrder(self, order):
        self._check()
        for t in self._trades:
            if t.order.orderId == order.orderId:
                t.orderStatus.status = "Cancelled"
                return t
        return None

    def trades(self):
        return list(self._trades)

    def openTrades(self):
        self._check()
        return [t for t in self._trades if t.orderStatus.status not in ib.OrderStatus.DoneStates]

    def reqAllOpenOrders(self):
        self._check()
        self.calls.append(("reqAllOpenOrders",))
        found = getattr(self, "_open_after", [])
        for t in found:
            if t not in self._trades:
                self._trades.append(t)
        return list(found)

    def reqCompletedOrders(self, apiOnly):
        self._check()
        self.calls.append(("reqCompletedOrders", apiOnly))
        return list(self.completed)
