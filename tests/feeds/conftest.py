from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
ITCH_SAMPLE = DATA / "itch" / "itch50_first1000msgs_directory.bin"
AMZN = (
    DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_1.csv",
    DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv",
)
AAPL = (
    DATA / "lobster" / "AAPL_2012-06-21_34200000_57600000_message_10.csv",
    DATA / "lobster" / "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv",
)
BINANCE_SPOT = DATA / "crypto" / "btcusdt_20240808.gz"


@pytest.fixture(scope="session")
def itch_sample_bytes() -> bytes:
    return ITCH_SAMPLE.read_bytes()
