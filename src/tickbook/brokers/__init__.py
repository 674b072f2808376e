"""Brokers: the ``Broker`` protocol, its typed results and errors, and the adapters.

- ``Broker``: connect, disconnect, positions, account, quote, instrument, submit /
  submit_order (market, limit, stop, stop-limit; idempotent client order ids), order_status,
  cancel_order, open_orders. Results are frozen dataclasses in integer cents (``Position``,
  ``Account``, ``Quote``, ``Instrument``, ``BrokerOrder``); failures are ``BrokerError``s.
- ``SimBroker``: paper trading on tickbook's own ``Exchange``, deterministic, optionally
  journaled to a file so that a restarted process sees the same account.
- ``BinanceBroker``: Binance spot REST (extra ``tickbook[binance]``).
- ``IbkrBroker``: Interactive Brokers TWS / Gateway on ``ib_async`` (extra ``tickbook[ibkr]``).

The adapters load on first use, so ``import tickbook.brokers`` compiles nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tickbook.brokers._errors import (
    AuthenticationFailed,
    BrokerDisconnected,
    BrokerError,
    FilterRejected,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    UnknownOutcome,
    UnknownSymbol,
)
from tickbook.brokers._protocol import Broker
from tickbook.brokers._types import (
    Account,
    BrokerOrder,
    BrokerOrderStatus,
    Instrument,
    OrderRequest,
    OrderType,
    Position,
    Quote,
)

if TYPE_CHECKING:
    from tickbook.brokers._binance import BinanceBroker
    from tickbook.brokers._ibkr import IbkrBroker
    from tickbook.brokers._sim import SimBroker

__all__ = [
    "Account",
    "AuthenticationFailed",
    "BinanceBroker",
    "Broker",
    "BrokerDisconnected",
    "BrokerError",
    "BrokerOrder",
    "BrokerOrderStatus",
    "FilterRejected",
    "IbkrBroker",
    "Instrument",
    "InsufficientFunds",
    "OrderNotFound",
    "OrderRejected",
    "OrderRequest",
    "OrderType",
    "Position",
    "Quote",
    "RateLimited",
    "SimBroker",
    "UnknownOutcome",
    "UnknownSymbol",
]

_LAZY = {
    "SimBroker": "tickbook.brokers._sim",
    "BinanceBroker": "tickbook.brokers._binance",
    "IbkrBroker": "tickbook.brokers._ibkr",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tickbook.brokers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
