"""Real prices for the analytics tests (data/analytics/README.md gives their provenance)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "analytics"


def _ohlcv(name: str) -> SimpleNamespace:
    df = pd.read_csv(DATA / f"{name}_2008_2014.csv.gz", index_col="Date")
    return SimpleNamespace(
        frame=df,
        open=df["Open"].to_numpy(float),
        high=df["High"].to_numpy(float),
        low=df["Low"].to_numpy(float),
        close=df["Close"].to_numpy(float),
        volume=df["Volume"].to_numpy(float),
    )


@pytest.fixture(scope="session")
def orcl() -> SimpleNamespace:
    """ORCL daily OHLCV, 2008-2014 (1,763 bars)."""
    return _ohlcv("orcl")


@pytest.fixture(scope="session")
def ohlcv_panel() -> SimpleNamespace:
    """ORCL, NVDA and YHOO as (time x 3) panels of open, high, low, close, volume."""
    parts = [_ohlcv(n) for n in ("orcl", "nvda", "yhoo")]
    return SimpleNamespace(
        **{
            k: np.column_stack([getattr(p, k) for p in parts])
            for k in ("open", "high", "low", "close", "volume")
        },
        symbols=("ORCL", "NVDA", "YHOO"),
    )


@pytest.fixture(scope="session")
def stock_prices() -> pd.DataFrame:
    """Adjusted closes of 20 S&P 500 stocks, 2019-2022 (1,006 days)."""
    return pd.read_csv(DATA / "sp500_20_stocks_2019_2022.csv.gz", index_col="Date")


@pytest.fixture(scope="session")
def stock_returns(stock_prices: pd.DataFrame) -> pd.DataFrame:
    """Simple daily returns of the 20 stocks (1,005 x 20)."""
    return stock_prices.pct_change().iloc[1:]


@pytest.fixture(scope="session")
def index_prices() -> pd.Series:
    """The S&P 500 index, 1990-2022."""
    return pd.read_csv(DATA / "sp500_index_1990_2022.csv.gz", index_col="Date")["SP500"]
