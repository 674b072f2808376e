"""Price files for ``SimBroker``: a dates x symbols panel in dollars, read without floats.

The format of the shipped sample ``tickbook/_sample/sp500_20_stocks_1990_2022.csv.gz``: a
header ``Date,SYM1,SYM2,...`` then one row per date; prices in dollars (any number of
decimals), empty cells for no price. Prices become integer cents through ``Decimal``, rounded
half-even to the cent.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from tickbook.brokers._types import check_symbol
from tickbook.core import DataError, ValidationError

__all__ = ["PricePanel", "read_panel"]


@dataclass(frozen=True, slots=True)
class PricePanel:
    """Bars of prices in cents: ``rows[t][j]`` for ``symbols[j]`` at ``dates[t]`` (or None)."""

    dates: tuple[str, ...]
    symbols: tuple[str, ...]
    rows: tuple[tuple[int | None, ...], ...]
    sha256: str


def _cents(text: str, where: str, path: Path) -> int | None:
    text = text.strip()
    if not text or text.lower() in ("nan", "null", "na"):
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite() or d <= 0:
        raise DataError(
            f"{path}: {where}: not a positive price: {text!r}", field="prices", value=text
        )
    cents = int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return max(cents, 1)


def read_panel(path: str | Path) -> PricePanel:
    """Read a panel file (``.csv`` or ``.csv.gz``); ``DataError`` naming the file and the row."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"no such price file: {path}", field="prices", value=str(path)) from None
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}", field="prices", value=str(path)) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or len(header) < 2:
        raise DataError(f"{path}: no header 'Date,SYMBOL,...'", field="prices", value=str(path))
    try:
        symbols = tuple(check_symbol(s.strip()) for s in header[1:])
    except ValidationError as error:
        raise DataError(f"{path}: header: {error}", field="prices", value=error.value) from None
    if len(set(symbols)) != len(symbols):
        raise DataError(f"{path}: repeated symbol in the header", field="prices", value=header)
    dates, rows = [], []
    for n, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise DataError(
                f"{path}: line {n}: {len(cells)} cells, expected {len(header)}",
                field="prices",
                value=n,
            )
        dates.append(cells[0].strip())
        rows.append(tuple(_cents(c, f"line {n}", path) for c in cells[1:]))
    if not rows:
        raise DataError(f"{path}: no rows of prices", field="prices", value=str(path))
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise DataError(
            f"{path}: dates are not strictly increasing", field="prices", value=str(path)
        )
    digest = hashlib.sha256(raw).hexdigest()
    return PricePanel(tuple(dates), symbols, tuple(rows), digest)
