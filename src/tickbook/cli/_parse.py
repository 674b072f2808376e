"""Typed parsers for command-line values: each refuses with a named tickbook error.

Commands take their options as text and parse them here, first thing (so the refusal is a
``ValidationError`` or ``DataError`` whatever typer's version does with parser errors); the
same parsers read the words of a ``lob`` command line. Number text is bounded and ASCII
before anything converts it, so a 5000-digit number, ``1e999990`` or a superscript digit is
refused at once, never slowly. A refusal raised here is bad input (exit 1), not a usage
error (exit 2): the command line had the right shape, one of its values was refused.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path

from tickbook.core import DataError, ValidationError

__all__ = [
    "check_in_file",
    "check_out_dir",
    "parse_cents",
    "parse_date",
    "parse_float",
    "parse_int",
    "prepare_out_dir",
    "refuse",
    "shown",
]

#: ASCII digits only, at most 19 before the point and 12 after: nothing slow to convert
_INT = re.compile(r"[0-9]{1,19}\Z")
_DECIMAL = re.compile(r"[0-9]{1,19}(?:\.[0-9]{1,12})?\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,19}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def shown(value: object, limit: int = 40) -> str:
    """Return ``repr(value)``, shortened past ``limit`` characters (says how long it was)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str | bytes) else ""
    return f"{text[: limit - 1]}…{size}"


def refuse(field: str, expected: str, value: object) -> ValidationError:
    """Build the standard refusal of ``value`` for ``field`` (the value shown shortened)."""
    return ValidationError(
        f"invalid `{field}`: expected {expected}, got {shown(value)}", field=field, value=value
    )


def parse_int(text: str, field: str, lo: int, hi: int) -> int:
    """Parse ASCII digits into an int in ``[lo, hi]``."""
    expected = f"a whole number from {lo:,} to {hi:,}"
    if not isinstance(text, str) or not _INT.match(text.strip()):
        raise refuse(field, expected, text)
    value = int(text.strip())
    if not lo <= value <= hi:
        raise refuse(field, expected, text)
    return value


def parse_float(text: str, field: str, lo: float, hi: float) -> float:
    """Parse a plain decimal (no exponent, no inf/nan) into a float in ``[lo, hi]``."""
    expected = f"a decimal number from {lo:g} to {hi:g}"
    if not isinstance(text, str) or not _FLOAT.match(text.strip()):
        raise refuse(field, expected, text)
    value = float(text.strip())
    if not (math.isfinite(value) and lo <= value <= hi):
        raise refuse(field, expected, text)
    return value


def parse_cents(text: str, field: str, decimals: int = 2) -> int:
    """Parse a positive decimal price or amount into integer ticks (``10^-decimals`` units)."""
    from tickbook.core import parse_price

    if not isinstance(text, str) or not _DECIMAL.match(text.strip()):
        raise refuse(field, "a positive decimal number such as 100.50", text)
    return parse_price(text.strip(), decimals, field)


def parse_date(text: str, field: str) -> dt.date:
    """Parse an ISO date ``YYYY-MM-DD``."""
    if not isinstance(text, str) or not _DATE.match(text.strip()):
        raise refuse(field, "a date YYYY-MM-DD", text)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise refuse(field, "a real calendar date YYYY-MM-DD", text) from None


def _bad_path(path: Path, field: str, why: str) -> DataError:
    return DataError(
        f"invalid `{field}`: {why}: {shown(str(path), 80)}", field=field, value=str(path)
    )


def check_in_file(path: Path, field: str) -> Path:
    """Return ``path`` if it is a readable file; else a ``DataError`` naming it."""
    if "\0" in str(path):
        raise _bad_path(path, field, "a path cannot hold a NUL character")
    try:
        if not path.exists():
            raise _bad_path(path, field, "no such file")
        if not path.is_file() or not os.access(path, os.R_OK):
            raise _bad_path(path, field, "not a readable file")
    except OSError as error:
        raise _bad_path(path, field, error.strerror or "cannot look at the file") from None
    return path


def check_out_dir(path: Path, field: str) -> Path:
    """Return ``path`` if it is (or can be created as) a writable folder; creates nothing."""
    if "\0" in str(path):
        raise _bad_path(path, field, "a path cannot hold a NUL character")
    try:
        return _check_out_dir(path, field)
    except OSError as error:
        raise _bad_path(path, field, error.strerror or "cannot look at the folder") from None


def _check_out_dir(path: Path, field: str) -> Path:
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        what = "a file" if probe == path else f"under the file {probe}"
        raise DataError(
            f"invalid `{field}`: {path} is {what}, expected a folder", field=field, value=str(path)
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise DataError(
            f"invalid `{field}`: cannot write into {probe}", field=field, value=str(path)
        )
    return path


def prepare_out_dir(path: Path, field: str) -> Path:
    """Create the folder ``path`` and check that a file can be written in it."""
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except (OSError, ValueError) as error:
        raise DataError(
            f"invalid `{field}`: cannot write into {shown(str(path), 80)}: "
            f"{getattr(error, 'strerror', None) or error}",
            field=field,
            value=str(path),
        ) from None
    return path
