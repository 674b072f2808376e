"""An ITCH 5.0 encoder: the exact inverse of the columnar reader.

``encode_itch(tables)`` writes the per-type structured arrays that ``read_itch`` returns back
to a NASDAQ BinaryFILE (2-byte length + message), in the order of their ``index`` column, so
``encode_itch(read_itch(path).tables) == open(path, "rb").read()``. It is used by the tests
(round trips), by the LOBSTER-to-ITCH converter and by the benchmarks to build large files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tickbook.core import ValidationError
from tickbook.feeds._itch_spec import dtype_of, spec_of

__all__ = ["encode_itch", "encode_message", "encode_records"]

_LIMIT = {"u": None, "ts": 1 << 48, "p4": 1 << 32, "p8": 1 << 64}


def _ints(values: Any, field: str, size: int, kind: str) -> np.ndarray:
    limit = _LIMIT[kind] or (1 << (8 * size))
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise ValidationError(
            f"invalid `{field}`: expected integers, got dtype {arr.dtype}", field=field, value=arr
        )
    bad = arr < 0 if arr.dtype.kind == "i" else np.zeros(arr.shape, bool)
    if limit < 1 << 64:
        bad |= arr >= limit
    if bad.any():
        value = arr[np.argmax(bad)].item()
        raise ValidationError(
            f"invalid `{field}`: expected an integer in [0, {limit}), got {value}",
            field=field,
            value=value,
        )
    return arr.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - size :]


def _alpha(values: Any, field: str, size: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        try:
            arr = np.char.encode(arr, "ascii")
        except UnicodeEncodeError:
            raise ValidationError(
                f"invalid `{field}`: expected ASCII text", field=field, value=values
            ) from None
    if arr.dtype.kind != "S":
        raise ValidationError(
            f"invalid `{field}`: expected text of at most {size} characters, got {arr.dtype}",
            field=field,
            value=values,
        )
    if arr.dtype.itemsize > size and (np.char.str_len(arr) > size).any():
        value = arr[np.argmax(np.char.str_len(arr) > size)]
        raise ValidationError(
            f"invalid `{field}`: expected at most {size} characters, got {value!r}",
            field=field,
            value=value,
        )
    padded = np.char.ljust(arr.astype(f"S{size}"), size, b" ")
    return np.frombuffer(padded.tobytes(), np.uint8).reshape(-1, size)


def encode_records(message_type: str, records: Any) -> np.ndarray:
    """Encode records of one type into framed messages: a uint8 array (n, 2 + length).

    ``records`` is a structured array (or a mapping of columns) with the spec's field names
    (and optionally ``index``); missing fields are written as zeros (text: spaces).
    """
    spec = spec_of(message_type)
    columns = _columns(records)
    n = _rows(columns)
    out = np.zeros((n, 2 + spec.length), np.uint8)
    out[:, 0] = spec.length >> 8
    out[:, 1] = spec.length & 0xFF
    out[:, 2] = ord(spec.type)
    known = {f[0] for f in spec.fields}
    unknown = sorted(set(columns) - known - {"index"})
    if unknown:
        raise ValidationError(
            f"invalid `records`: {unknown} are not fields of message type {spec.type!r}",
            field=unknown[0],
            value=unknown,
        )
    for name, offset, size, kind in spec.fields:
        if name not in columns:
            if kind == "a":
                out[:, 2 + offset : 2 + offset + size] = ord(" ")
            continue
        values = np.broadcast_to(np.asarray(columns[name]), (n,))
        if kind == "a":
            out[:, 2 + offset : 2 + offset + size] = _alpha(values, name, size)
        else:
            out[:, 2 + offset : 2 + offset + size] = _ints(values, name, size, kind)
    return out


def _columns(records: Any) -> Mapping[str, Any]:
    if isinstance(records, np.ndarray) and records.dtype.names:
        return {name: records[name] for name in records.dtype.names}
    if isinstance(records, Mapping):
        return records
    raise ValidationError(
        "invalid `records`: expected a structured array or a mapping of columns",
        field="records",
        value=type(records).__name__,
    )


def _rows(columns: Mapping[str, Any]) -> int:
    sizes = {np.ndim(v) and len(v) for v in columns.values()}
    sizes.discard(0)
    if len(sizes) > 1:
        raise ValidationError(
            f"invalid `records`: columns of different lengths {sorted(sizes)}",
            field="records",
            value=sorted(sizes),
        )
    return sizes.pop() if sizes else 1


def encode_message(message_type: str, **fields: Any) -> bytes:
    """Encode one framed message (length prefix included); missing fields are 0 or spaces."""
    return encode_records(message_type, {k: [v] for k, v in fields.items()}).tobytes()


def encode_itch(tables: Mapping[str, np.ndarray]) -> bytes:
    """Encode per-type tables (as ``read_itch`` returns them) into one BinaryFILE.

    Messages are written in the order of their ``index`` column, which must hold distinct
    integers across all tables.
    """
    parts = [(key, t) for key, t in tables.items() if len(t)]
    for key, table in parts:
        if table.dtype.names is None or "index" not in table.dtype.names:
            raise ValidationError(
                f"invalid `tables[{key!r}]`: expected a structured array with an `index` column",
                field="tables",
                value=key,
            )
    if not parts:
        return b""
    encoded = [encode_records(key, table) for key, table in parts]
    index = np.concatenate([t["index"].astype(np.int64) for _, t in parts])
    if len(np.unique(index)) != len(index):
        raise ValidationError("invalid `tables`: `index` values repeat", field="index", value=None)
    widths = np.concatenate([np.full(len(e), e.shape[1], np.int64) for e in encoded])
    order = np.argsort(index, kind="stable")
    starts = np.empty(len(index), np.int64)
    starts[order] = np.cumsum(widths[order]) - widths[order]
    out = np.empty(int(widths.sum()), np.uint8)
    done = 0
    for e in encoded:
        rows = starts[done : done + len(e)]
        out[rows[:, None] + np.arange(e.shape[1])] = e
        done += len(e)
    return out.tobytes()


def empty_table(message_type: str, n: int = 0) -> np.ndarray:
    """Return a zeroed columnar table of ``n`` messages of one type (for building files)."""
    return np.zeros(n, dtype_of(message_type))
