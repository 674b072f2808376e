import pandas as pd
import pytest

from tickbook.backtest import sample_data_dir

PANEL = sample_data_dir() / "sp500_20_stocks_1990_2022.csv.gz"


@pytest.fixture(scope="session")
def small_panel(tmp_path_factory):
    """Two years of four real stocks: a whole backtest on it takes well under a second."""
    path = tmp_path_factory.mktemp("panel") / "small.csv"
    frame = pd.read_csv(PANEL, index_col=0).loc[
        "2019-01-02":"2020-12-31", ["AAPL", "KO", "MSFT", "XOM"]
    ]
    frame.to_csv(path)
    return path
