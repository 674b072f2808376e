"""Checks on a price or weight panel file before ``load_panel`` reads it.

A panel is dates x symbols: its first column must hold dates and its header must name each
symbol once. pandas would otherwise turn a column of prices into dates (1970 plus nanoseconds)
and rename a repeated symbol ``AAPL.1``, and the backtest would run on nonsense.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

from tickbook.cli._parse import shown
from tickbook.core import DataError

__all__ = ["check_panel_file"]

#: a date, optionally with a time: 2020-01-02, 2020/01/02, 20200102, 2020-01-02 16:00:00
_DATE_TEXT = re.compile(
    r"[0-9]{4}([-/]?)[0-9]{2}\1[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)


def check_panel_file(path: Path, field: str) -> None:
    """Refuse a CSV panel whose first column is not dates or whose header repeats a name.

    A Parquet panel needs a date index, or a first column of dates.
    """
    if path.suffix == ".parquet":
        _check_parquet(path, field)
        return
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as text:
            reader = csv.reader(text)
            header = next(reader, None)
            if not header:
                raise DataError(f"{path}: empty file", field=field, value=str(path))
            _check_header(path, field, header)
            for line, row in enumerate(reader, start=2):
                if row and not _DATE_TEXT.match(row[0].strip()):
                    raise DataError(
                        f"{path} line {line}: the first column must hold dates "
                        f"(YYYY-MM-DD), got {shown(row[0])}",
                        field=field,
                        value=row[0],
                    )
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(
            f"cannot read {path} as a CSV panel: {error}", field=field, value=str(path)
        ) from None


def _check_header(path: Path, field: str, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header[1:]:
        key = name.strip()
        if not key:
            raise DataError(f"{path}: a column has no name", field=field, value=header)
        if key in seen:
            raise DataError(
                f"{path}: column {shown(key)} appears twice in the header",
                field=field,
                value=key,
            )
        seen.add(key)


def _check_parquet(path: Path, field: str) -> None:
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError, ImportError) as error:
        raise DataError(
            f"cannot read {path} as a Parquet panel: {error}", field=field, value=str(path)
        ) from None
    if isinstance(frame.index, pd.DatetimeIndex) or frame.columns.empty:
        return
    first = frame.iloc[:, 0]
    if pd.api.types.is_datetime64_any_dtype(first):
        return
    for line, value in enumerate(first.tolist(), start=1):
        if not (isinstance(value, str) and _DATE_TEXT.match(value.strip())):
            raise DataError(
                f"{path} row {line}: the first column must hold dates (YYYY-MM-DD), "
                f"got {shown(value)}",
                field=field,
                value=value,
            )
