"""Price panels from files, and the demo backtest on the real panel shipped with tickbook.

A panel file is CSV (optionally gzip-compressed) or Parquet: one row per date, the first
column (or the index) the date, one column per symbol. Prices are read as US dollars by
default and turned into cents (x 100) as floats, so no precision is lost.
"""

from __future__ import annotations

from importlib.util import find_spec
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from tickbook.backtest._schedule import TICKS_ATTR
from tickbook.core import DataError
from tickbook.core._checks import refuse

__all__ = ["DEMO_PANEL", "DemoReport", "demo_report", "load_panel", "sample_data_dir"]

#: The real panel of the README's main backtest (20 S&P 500 stocks, daily, 1990-2022).
DEMO_PANEL = "sp500_20_stocks_1990_2022.csv.gz"
_INDEX = "sp500_index_1990_2022.csv.gz"


def sample_data_dir() -> Path:
    """Return the folder of the sample panels shipped inside the package (see its README.md).

    Real daily prices (20 S&P 500 stocks and the index, 1990-2022) travel with every install,
    so the demo, ``SimBroker.sample()`` and the rebalancer's paper account work after a plain
    ``pip install tickbook``.
    """
    return Path(__file__).resolve().parents[1] / "_sample"


def load_panel(
    path: str | Path, *, unit: str = "dollars", start: Any = None, end: Any = None
) -> Any:
    """Read a dates x symbols panel; return a DataFrame in cents (``unit="dollars"``) or as is.

    Price frames are marked as ticks (``attrs["tickbook_unit"]``), so ``backtest_weights``
    takes their fractional cents without a ``tick_size``.

    Raises ``DataError`` naming the file when it is missing, unreadable, has no dated rows,
    or holds values that are not positive numbers.
    """
    import pandas as pd

    if unit not in ("dollars", "cents", "weights"):
        raise refuse("unit", "'dollars', 'cents' or 'weights'", unit)
    if not isinstance(path, str | PathLike):
        raise refuse("path", "a file path", path)
    path = Path(path)
    if path.suffix == ".parquet" and find_spec("pyarrow") is None:
        raise ImportError("reading Parquet needs pyarrow: pip install 'tickbook[parquet]'")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            if not isinstance(frame.index, pd.DatetimeIndex):
                frame = frame.set_index(frame.columns[0])
        else:
            frame = pd.read_csv(path, index_col=0)
        frame.index = pd.to_datetime(frame.index)
        frame = frame.sort_index().apply(pd.to_numeric, errors="raise").astype(np.float64)
    except FileNotFoundError:
        raise DataError(f"no such file: {path}", field="path", value=str(path)) from None
    except (OSError, ValueError, TypeError, IndexError, ImportError) as error:
        raise DataError(
            f"cannot read {path} as a dates x symbols panel: {error}", field="path", value=str(path)
        ) from None
    if start is not None or end is not None:
        frame = frame.loc[start:end]
    if frame.empty or not frame.index.is_unique:
        raise DataError(f"{path}: no rows, or repeated dates", field="path", value=str(path))
    values = frame.to_numpy()
    if unit != "weights" and (np.isinf(values).any() or (values <= 0).any()):
        raise DataError(f"{path}: prices must be positive numbers", field="path", value=str(path))
    if unit == "weights" and np.isinf(values).any():
        raise DataError(f"{path}: weights must be finite", field="path", value=str(path))
    frame.columns = [str(c) for c in frame.columns]
    if unit == "dollars":
        frame = frame * 100.0
    if unit != "weights":
        # cents with their fractions (adjusted closes): backtest_weights takes them as ticks
        frame.attrs[TICKS_ATTR] = "ticks"
    return frame


class DemoReport:
    """What ``demo_report`` produced: the backtests and the report's files."""

    def __init__(self, momentum: Any, equal: Any, sheet: Any) -> None:
        self.momentum = momentum
        self.equal_weight = equal
        self.tear_sheet = sheet

    def __repr__(self) -> str:
        return f"DemoReport(html={self.tear_sheet.html}, png={self.tear_sheet.png})"


def demo_report(out_dir: str | Path = "reports/demo", *, cost_bps: float = 10.0) -> DemoReport:
    """Run the README's main backtest on the shipped real panel and write its tear sheet.

    Cross-sectional momentum (12-month lookback skipping the last month, best 5 of 20,
    rebalanced every 21 bars) on 20 S&P 500 stocks, 1990-2022, $1,000,000, ``cost_bps`` fees,
    whole shares, fills at the close; the equal-weight book of the same stocks is the
    benchmark line. The 20 stocks were picked from the index of 2022: survivorship bias
    flatters both lines, and the report says so.
    """
    from tickbook.backtest._bridge import backtest_weights
    from tickbook.backtest._report import tear_sheet
    from tickbook.backtest._strategy import CrossSectionalMomentum, EqualWeight

    prices = load_panel(sample_data_dir() / DEMO_PANEL)
    strategy = CrossSectionalMomentum(lookback=231, top=5, skip=21, rebalance_every=21)
    momentum = backtest_weights(strategy.weights(prices), prices, 1_000_000_00, cost_bps)
    equal = backtest_weights(EqualWeight(21).weights(prices), prices, 1_000_000_00, cost_bps)
    sheet = tear_sheet(
        momentum,
        out_dir,
        "Cross-sectional momentum (12-1, top 5 of 20 S&P 500 stocks), 1990-2022",
        benchmark=equal.returns,
        benchmark_label="equal weight, same 20 stocks",
        note=(
            "Data: daily adjusted closes of 20 stocks in the S&P 500 at the end of 2022 "
            "(skfolio's sample set): they are survivors, so both lines are biased upward. "
            f"$1,000,000, {cost_bps:g} bps fees, whole shares, fills at the close."
        ),
    )
    return DemoReport(momentum, equal, sheet)
