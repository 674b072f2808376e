"""The broker error tree, under ``tickbook.core``'s ``TickbookError``.

Catch ``BrokerError`` for anything a broker refused or failed to do; catch a leaf for one cause::

    TickbookError
    ├── ValidationError (ValueError)        bad API arguments: refused before anything is sent
    └── BrokerError                         the broker refused, failed, or could not be reached
        ├── OrderRejected                   the order was refused (by the broker or locally)
        │   ├── InsufficientFunds           not enough cash (or position) for the order
        │   ├── UnknownSymbol               the broker does not trade the symbol
        │   └── FilterRejected              a venue filter (PRICE_FILTER, LOT_SIZE, NOTIONAL, ...)
        ├── UnknownOutcome                  sent, but the answer was lost: look it up, never resend
        ├── RateLimited                     the venue said slow down (``retry_after`` seconds)
        ├── BrokerDisconnected              not connected, or the connection is gone
        ├── OrderNotFound (KeyError)        the broker holds no such order
        └── AuthenticationFailed            the venue refused the credentials

Every error carries ``field`` and ``value`` (``TickbookError``'s) and, where the venue gave one,
``code`` (the venue's own error code, e.g. Binance's ``-2010``). Messages never contain secrets.
"""

from __future__ import annotations

from typing import Any

from tickbook.core import TickbookError

__all__ = [
    "AuthenticationFailed",
    "BrokerDisconnected",
    "BrokerError",
    "FilterRejected",
    "InsufficientFunds",
    "OrderNotFound",
    "OrderRejected",
    "RateLimited",
    "UnknownOutcome",
    "UnknownSymbol",
]


class BrokerError(TickbookError):
    """Root of every error a broker adapter raises on purpose (bad arguments excepted)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        code: int | str | None = None,
    ) -> None:
        super().__init__(message, field=field, value=value)
        self.code = code


class OrderRejected(BrokerError):
    """The order was refused; nothing rests at the broker."""


class InsufficientFunds(OrderRejected):
    """Not enough cash (or, for a sell without shorting, position) for the order."""


class UnknownSymbol(OrderRejected):
    """The broker does not know or does not trade the symbol."""


class FilterRejected(OrderRejected):
    """A venue filter would refuse the order; refused locally, nothing was sent.

    ``filter`` is the venue's filter name (``PRICE_FILTER``, ``LOT_SIZE``, ``NOTIONAL``, ...).
    """

    def __init__(self, message: str, *, filter: str, field: str | None = None, value: Any = None):
        super().__init__(message, field=field, value=value, code=filter)
        self.filter = filter


class UnknownOutcome(BrokerError):
    """The request left, but whether the broker acted on it is unknown.

    Never resend blindly: look the order up by ``client_order_id`` (``order_status``).
    """

    def __init__(self, message: str, *, client_order_id: str | None = None) -> None:
        super().__init__(message, field="client_order_id", value=client_order_id)
        self.client_order_id = client_order_id


class RateLimited(BrokerError):
    """The venue asked to slow down; wait ``retry_after`` seconds (``banned`` for an IP ban)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        banned: bool = False,
        code: int | str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
        self.banned = banned


class BrokerDisconnected(BrokerError):
    """The broker is not connected (call ``connect()``), or the connection was lost."""


class OrderNotFound(BrokerError, KeyError):
    """The broker holds no order with that id or client order id."""


class AuthenticationFailed(BrokerError):
    """The venue refused the credentials (the message never repeats them)."""
