"""The exchange service: accounts, the journal, one command path, REST and WebSocket gateways.

Needs the ``service`` extra (``pip install 'tickbook[service]'``): Litestar, msgspec, uvicorn
and asyncpg. ``tickbook serve`` runs it; ``create_app`` builds the ASGI app around a ``Core``.
"""

from __future__ import annotations

try:
    import litestar  # noqa: F401
    import msgspec  # noqa: F401
except ImportError as _error:  # one line that says what to install
    raise ImportError(
        "tickbook.server needs the service extra: pip install 'tickbook[service]'"
    ) from _error

from tickbook.server._config import Asset, Market, SymbolSpec, default_market, load_symbols
from tickbook.server._core import Core, Overloaded, Unavailable, restore
from tickbook.server._journal import Journal, open_journal
from tickbook.server._ledger import Command, InsufficientFunds, Ledger, LimitExceeded
from tickbook.server._limits import AccountLimits, Limits
from tickbook.server.app import create_app, new_api_key, serve

__all__ = [
    "AccountLimits",
    "Asset",
    "Command",
    "Core",
    "InsufficientFunds",
    "Journal",
    "Ledger",
    "LimitExceeded",
    "Limits",
    "Market",
    "Overloaded",
    "SymbolSpec",
    "Unavailable",
    "create_app",
    "default_market",
    "load_symbols",
    "new_api_key",
    "open_journal",
    "restore",
    "serve",
]
