"""The tickbook error tree.

Catch ``TickbookError`` to handle anything tickbook refuses; catch a leaf for one cause::

    TickbookError                       root of everything tickbook raises on purpose
    ├── ValidationError (ValueError)    a value from outside is out of range or of the wrong kind
    │   ├── InvalidOrder                an order's fields are refused (price, quantity, side, ...)
    │   ├── UnknownOrder (KeyError)     an order id that the book does not hold
    │   └── OrderNotActive              the order exists but is filled or cancelled
    ├── DataError (ValueError)          a file or stream is truncated, corrupt or inconsistent
    └── CapacityError (MemoryError)     a fixed limit of the engine would be exceeded

Every error carries ``field`` and ``value`` (what was refused) so that the CLI and the server can
report it without parsing the message. The engine validates before it mutates: after any of
these errors the state is exactly as it was before the call.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CapacityError",
    "DataError",
    "InvalidOrder",
    "OrderNotActive",
    "TickbookError",
    "UnknownOrder",
    "ValidationError",
]


class TickbookError(Exception):
    """Root of every error tickbook raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class ValidationError(TickbookError, ValueError):
    """A value from outside is out of range or of the wrong kind."""


class InvalidOrder(ValidationError):
    """An order's fields are refused; nothing was submitted."""


class UnknownOrder(ValidationError, KeyError):
    """The order id is not held by the book (never seen, or cleared from history)."""


class OrderNotActive(ValidationError):
    """The order exists but can no longer be changed (filled or cancelled)."""


class DataError(TickbookError, ValueError):
    """A file or a stream is truncated, corrupt or inconsistent."""


class CapacityError(TickbookError, MemoryError):
    """A fixed limit of the engine would be exceeded."""
