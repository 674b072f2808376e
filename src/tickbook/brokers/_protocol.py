"""The ``Broker`` protocol: what every adapter (simulated, Binance, IBKR) answers.

Every method takes plain values, validates them before anything is sent (a refused argument
raises ``ValidationError`` naming the field and the value), and answers with the typed results
of ``tickbook.brokers``; failures are ``BrokerError`` subclasses. Money is integer cents.

Idempotency: ``submit`` with a ``client_order_id`` that the broker already holds answers the
first order and sends nothing. After ``UnknownOutcome`` (the answer was lost), look the order up
with ``order_status(client_order_id=..., symbol=...)`` instead of sending it again.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from tickbook.brokers._types import (
    Account,
    BrokerOrder,
    Instrument,
    OrderRequest,
    OrderType,
    Position,
    Quote,
)

__all__ = ["Broker"]


@runtime_checkable
class Broker(Protocol):
    """A brokerage account: positions, cash, quotes and orders."""

    def connect(self) -> None:
        """Open the session (idempotent); raise ``BrokerDisconnected`` if it cannot."""
        ...

    def disconnect(self) -> None:
        """Close the session (idempotent)."""
        ...

    @property
    def is_connected(self) -> bool:
        """Return whether the session is open."""
        ...

    def positions(self) -> list[Position]:
        """Return the non-zero holdings, sorted by symbol."""
        ...

    def account(self) -> Account:
        """Return cash, equity and buying power in cents."""
        ...

    def quote(self, symbol: str) -> Quote:
        """Return the top of book for ``symbol``."""
        ...

    def instrument(self, symbol: str) -> Instrument:
        """Return the units, increments and minimums the broker applies to ``symbol``."""
        ...

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Send an order; a known ``client_order_id`` answers its first order, sending nothing."""
        ...

    def submit_order(
        self,
        symbol: str,
        side: Any,
        quantity: int,
        order_type: OrderType | str = "market",
        *,
        limit_price_cents: int | None = None,
        stop_price_cents: int | None = None,
        client_order_id: str | None = None,
        tif: Any = "gtc",
    ) -> BrokerOrder:
        """Build an ``OrderRequest`` from the reference's arguments and ``submit`` it."""
        ...

    def order_status(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Return the order by broker id or by client order id; ``OrderNotFound`` if none.

        ``symbol`` narrows the look-up; some venues (Binance) need it with a client order id.
        """
        ...

    def cancel_order(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        symbol: str | None = None,
    ) -> BrokerOrder:
        """Cancel a working order and return it; a terminal order is returned unchanged."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        """Return the working orders (of ``symbol``, or all), oldest first."""
        ...
