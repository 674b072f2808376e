"""The order book and the exchange built on it.

``Exchange`` matches orders with price-time priority; ``MultiExchange`` keeps one per symbol;
``FeedBook`` is the same book driven by a market-data feed (no matching).
"""

from tickbook.book._results import (
    CancelResult,
    ModifyResult,
    Order,
    StopOrder,
    StopStatus,
    StopSubmitResult,
    SubmitResult,
    Trade,
)
from tickbook.book.commands import COMMAND_DTYPE, CommandKind, make_commands
from tickbook.book.exchange import BATCH_RESULT_DTYPE, Exchange
from tickbook.book.feed import BOOK_EVENT_DTYPE, FeedBook, FeedEventKind
from tickbook.book.multi import MultiExchange
from tickbook.book.snapshot import BookSnapshot, LevelSnapshot

__all__ = [
    "BATCH_RESULT_DTYPE",
    "BOOK_EVENT_DTYPE",
    "COMMAND_DTYPE",
    "BookSnapshot",
    "CancelResult",
    "CommandKind",
    "Exchange",
    "FeedBook",
    "FeedEventKind",
    "LevelSnapshot",
    "ModifyResult",
    "MultiExchange",
    "Order",
    "StopOrder",
    "StopStatus",
    "StopSubmitResult",
    "SubmitResult",
    "Trade",
    "make_commands",
]
