"""The messaging error tree, under ``tickbook.core``'s ``TickbookError``.

::

    TickbookError
    └── MessagingError                      anything the messaging layer refuses or gives up on
        ├── MessageError (DataError)        a message is refused: wrong schema, truncated, unknown
        │                                   type, bad header; ``field`` names the part refused
        ├── RingError (DataError)           not a tickbook ring file, or another layout
        └── CommandTimeout (TimeoutError)   no reply to a command within the timeout

Every error carries ``field`` and ``value``. A refused message changes nothing: the subscriber's
sequence state is as before, so the next accepted message reports the refused one in its gap.
"""

from __future__ import annotations

from tickbook.core import DataError, TickbookError

__all__ = ["CommandTimeout", "MessageError", "MessagingError", "RingError"]


class MessagingError(TickbookError):
    """Root of the errors raised by ``tickbook.messaging``."""


class MessageError(MessagingError, DataError):
    """A message was refused: ``field`` names the part (``header``, ``type``, ``bid``, ...)."""


class RingError(MessagingError, DataError):
    """A shared-memory ring file is missing, foreign, or of another layout."""


class CommandTimeout(MessagingError, TimeoutError):
    """No reply came back for a command within the timeout."""
