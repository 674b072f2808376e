"""The event log as JSON Lines: a header line, then one command per line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tickbook.book._layout import COMMAND_DTYPE
from tickbook.book.commands import CommandKind
from tickbook.core import DataError

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
        kind = _KINDS.get(record["kind"])
        if kind is None:
            _fail(path, number, f"unknown kind {record['kind']!r}")
        row = events[number - 2]
        row["kind"] = kind
        for name in _FIELDS:
            value = record[name]
            limits = _LIMITS[name]
            if type(value) is not int or not limits.min <= value <= limits.max:
                _fail(path, number, f"`{name}` must be an integer in its range, got {value!r}")
            row[name] = value
    return events


def _parse(path: str | Path, number: int, line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        _fail(path, number, f"corrupt JSON ({error.msg})")


def _fail(path: str | Path, number: int, why: str) -> None:
    raise DataError(f"events file {path}, line {number}: {why}", field="line", value=number)
