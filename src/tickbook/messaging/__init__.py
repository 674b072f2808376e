"""Messaging between processes: a ZeroMQ pub/sub bridge and a shared-memory ring feed.

- ``Publisher`` / ``Subscriber``: ZeroMQ PUB/SUB on topics ``md.<SYMBOL>`` (``Quote``,
  ``Trade``, raw ``MD_RECORD_DTYPE`` records), ``sig.<SYMBOL>`` (``Signal``), ``fill.<account>``
  (``Fill``) and ``hb.<name>`` (``Heartbeat``). Sequence numbers per (publisher session, topic)
  let a subscriber report every ``Gap``; bad messages are refused with ``MessageError``.
- ``CommandServer`` / ``CommandClient``: start, stop, update parameters, status (ROUTER/DEALER).
- ``RingWriter`` / ``RingReader``: fixed-size ``MD_RECORD_DTYPE`` records through a file in
  ``/dev/shm``; one writer, any number of lock-free readers, losses counted, a dead writer seen.

The wire schema is documented in ``tickbook.messaging._schema``. ZeroMQ and msgspec come with
``pip install 'tickbook[messaging]'``; ``import tickbook.messaging`` loads neither (nor Numba).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tickbook.messaging._errors import CommandTimeout, MessageError, MessagingError, RingError

if TYPE_CHECKING:
    from tickbook.messaging._command import CommandClient, CommandServer
    from tickbook.messaging._pubsub import (
        Delivery,
        Gap,
        Publisher,
        Subscriber,
        fill_topic,
        md_topic,
        signal_topic,
    )
    from tickbook.messaging._ring import (
        MD_RECORD_DTYPE,
        ReadResult,
        RingReader,
        RingWriter,
        WriterState,
    )
    from tickbook.messaging._schema import Command, Fill, Heartbeat, Quote, Reply, Signal, Trade

__all__ = [
    "MD_RECORD_DTYPE",
    "Command",
    "CommandClient",
    "CommandServer",
    "CommandTimeout",
    "Delivery",
    "Fill",
    "Gap",
    "Heartbeat",
    "MessageError",
    "MessagingError",
    "Publisher",
    "Quote",
    "ReadResult",
    "Reply",
    "RingError",
    "RingReader",
    "RingWriter",
    "Signal",
    "Subscriber",
    "Trade",
    "WriterState",
    "fill_topic",
    "md_topic",
    "signal_topic",
]

_PUBSUB = ("Delivery", "Gap", "Publisher", "Subscriber", "fill_topic", "md_topic", "signal_topic")
_RING = ("MD_RECORD_DTYPE", "ReadResult", "RingReader", "RingWriter", "WriterState")
_SCHEMA = ("Command", "Fill", "Heartbeat", "Quote", "Reply", "Signal", "Trade")
_LAZY = {
    **dict.fromkeys(_PUBSUB, "_pubsub"),
    **dict.fromkeys(_RING, "_ring"),
    **dict.fromkeys(_SCHEMA, "_schema"),
    "CommandClient": "_command",
    "CommandServer": "_command",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tickbook.messaging' has no attribute {name!r}")
    if module == "_schema":
        from tickbook.messaging._deps import require

        require("msgspec")
    value = getattr(importlib.import_module(f"tickbook.messaging.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
