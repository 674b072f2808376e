"""Market data in: NASDAQ ITCH 5.0, LOBSTER and Binance diff depth, replayed into the book."""

from tickbook.feeds._itch_encode import encode_itch, encode_message, encode_records
from tickbook.feeds._itch_read import ItchData, iter_itch, read_itch
from tickbook.feeds._itch_replay import FeedEvent, ItchReplay, parse_itch, replay_itch
from tickbook.feeds._itch_spec import MESSAGES as ITCH_MESSAGES
from tickbook.feeds._itch_spec import dtype_of as itch_dtype
from tickbook.feeds._lobster_itch import LobsterItch, lobster_to_itch
from tickbook.feeds.binance import DepthBook, DepthStats, read_depth_recording, to_units
from tickbook.feeds.lobster import LobsterData, LobsterReplay, load_lobster, replay_lobster

__all__ = [
    "ITCH_MESSAGES",
    "DepthBook",
    "DepthStats",
    "FeedEvent",
    "ItchData",
    "ItchReplay",
    "LobsterData",
    "LobsterItch",
    "LobsterReplay",
    "encode_itch",
    "encode_message",
    "encode_records",
    "itch_dtype",
    "iter_itch",
    "load_lobster",
    "lobster_to_itch",
    "parse_itch",
    "read_depth_recording",
    "read_itch",
    "replay_itch",
    "replay_lobster",
    "to_units",
]
