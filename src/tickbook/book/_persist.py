"""The event log as JSON Lines: a header line, then one command per line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tickbook.book._layout import COMMAND_DTYPE
from tickbook.book.commands import CommandKind
from tickbook.core import DataError, ValidationError, parse_int

__all__ = ["read_events", "write_events"]

_HEADER = {"format": "tickbook-events", "version": 1}
_FIELDS = ("side", "tif", "flags", "owner", "price", "qty", "ref")
_LIMITS = {name: np.iinfo(COMMAND_DTYPE[name]) for name in _FIELDS}
_KINDS = {k.name.lower(): k.value for k in CommandKind}


def write_events(path: str | Path, events: np.ndarray) -> None:
    """Write ``events`` (``COMMAND_DTYPE``) to ``path``."""
    names = {k.value: k.name.lower() for k in CommandKind}
    lines = [json.dumps(_HEADER)]
    for row in events.tolist():
        record = {"kind": names.get(row[0], row[0])}
        record.update(zip(_FIELDS, row[1:], strict=True))
        lines.append(json.dumps(record, separators=(",", ":")))
    lines.append("")
    try:
        Path(_path(path)).write_text("\n".join(lines), encoding="utf-8")
    except OSError as error:
        raise DataError(
            f"cannot write events file {path}: {error}", field="path", value=str(path)
        ) from None


def _path(path: object) -> str | Path:
    if isinstance(path, (str, Path)) and str(path):
        return path
    raise DataError(
        f"invalid `path`: expected a file path (str or Path), got {path!r}",
        field="path",
        value=path,
    )


def read_events(path: str | Path) -> np.ndarray:
    """Read a file written by ``write_events``; a bad line raises ``DataError`` naming it."""
    path = _path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(
            f"cannot read events file {path}: {error}", field="path", value=str(path)
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines:
        _fail(path, len(lines), "truncated: the last line has no end")
    if not lines:
        _fail(path, 1, "empty file: expected the tickbook-events header")
    if _parse(path, 1, lines[0]) != _HEADER:
        _fail(path, 1, f"expected the header {json.dumps(_HEADER)}")
    events = np.zeros(len(lines) - 1, COMMAND_DTYPE)
    for number, line in enumerate(lines[1:], start=2):
        record = _parse(path, number, line)
        if not isinstance(record, dict) or set(record) != {"kind", *_FIELDS}:
            _fail(path, number, f"expected the keys kind, {', '.join(_FIELDS)}")
        name = record["kind"]
        kind = _KINDS.get(name) if type(name) is str else None
        if kind is None:
            _fail(path, number, f"`kind` must be one of {', '.join(_KINDS)}, got {name!r}", "kind")
        row = events[number - 2]
        row["kind"] = kind
        for field in _FIELDS:
            value = record[field]
            limits = _LIMITS[field]
            if type(value) is not int or not limits.min <= value <= limits.max:
                _fail(
                    path,
                    number,
                    f"`{field}` must be an integer in [{limits.min}, {limits.max}], got {value!r}",
                    field,
                )
            row[field] = value
    return events


#: Longest line accepted: a command line is under 200 characters (nesting and huge numbers
#: are refused before the JSON parser sees them).
MAX_LINE = 512


def _parse(path: str | Path, number: int, line: str) -> object:
    if len(line) > MAX_LINE:
        _fail(path, number, f"line of {len(line)} characters (at most {MAX_LINE})")
    try:
        return json.loads(line, parse_int=_int)
    except json.JSONDecodeError as error:
        _fail(path, number, f"corrupt JSON ({error.msg})")
    except ValidationError as error:  # a number text refused by the bounded parser
        _fail(path, number, f"a number that is not a 64-bit integer: {error.value!r}")
    except RecursionError:
        _fail(path, number, "corrupt JSON (nested too deep)")


def _int(text: str) -> int:
    return parse_int(text, "value", lo=-(1 << 63), hi=(1 << 63) - 1)


def _fail(path: str | Path, number: int, why: str, field: str | None = None) -> None:
    where = f", field `{field}`" if field else ""
    raise DataError(f"events file {path}, line {number}{where}: {why}", field="line", value=number)
