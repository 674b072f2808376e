"""Read ITCH 5.0 BinaryFILEs: chunked, bounded in memory, every message type, columnar.

A file is read ``chunk_bytes`` at a time into one reused buffer. A compiled scan walks the
length-prefixed messages, a counting sort groups them by type, and a compiled decoder writes
each type's fields into its native structured array. A message cut by the chunk boundary is
carried into the next chunk; one cut by the end of the file is a ``DataError``.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from tickbook.core import DataError, ValidationError
from tickbook.core._checks import check_int
from tickbook.feeds._itch_spec import MESSAGES, dtype_of, length_table, spec_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CHUNK",
    "Frames",
    "ItchData",
    "decode_frames",
    "end_offset",
    "iter_frames",
    "iter_itch",
    "read_itch",
]

#: bytes read per chunk by default (the buffer is reused, so memory stays bounded)
DEFAULT_CHUNK = 16 << 20
_MIN_FRAME = 2 + min(m.length for m in MESSAGES.values())
_MAX_FRAME = 2 + max(m.length for m in MESSAGES.values())


@dataclass(frozen=True, slots=True)
class Frames:
    """One chunk of scanned messages: offsets into ``buf`` and type bytes, in file order."""

    buf: np.ndarray  #: the chunk's bytes (a reused buffer: valid until the next chunk)
    offsets: np.ndarray  #: int64 offset of each message body (its type byte) in ``buf``
    types: np.ndarray  #: uint8 type byte of each message
    first_index: int  #: file-wide number of the first message of the chunk
    file_offset: int  #: file offset of ``buf[0]``


def _open(source: str | Path | BinaryIO) -> BinaryIO:
    if hasattr(source, "readinto"):
        return source  # type: ignore[return-value]
    path = Path(source)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ValidationError(
            f"invalid `path`: cannot open {str(path)!r} ({error.strerror})",
            field="path",
            value=str(path),
        ) from None
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    handle.seek(0)
    return handle


def _where(first_index: int, offset: int) -> str:
    return f"{first_index:,} messages ({offset:,} bytes) were read before it"


def _corrupt(buf: np.ndarray, pos: int, status: int, index: int, offset: int) -> DataError:
    from tickbook.feeds import _itch_parse as kp

    kind = int(buf[pos + 2])
    size = (int(buf[pos]) << 8) | int(buf[pos + 1])
    if status == kp.S_UNKNOWN:
        what = f"unknown message type byte 0x{kind:02x} ({chr(kind)!r})"
        fld, value = "message_type", kind
    else:
        spec = MESSAGES[chr(kind)]
        what = f"length {size} for message type {spec.type!r} (ITCH 5.0 says {spec.length})"
        fld, value = "length", size
    return DataError(
        f"corrupt ITCH data at byte offset {offset:,} (message #{index:,}): {what}; "
        + _where(index, offset),
        field=fld,
        value=value,
    )


def _truncated(tail: bytes, index: int, offset: int) -> DataError:
    if len(tail) >= 3 and chr(tail[2]) in MESSAGES:
        spec = MESSAGES[chr(tail[2])]
        what = f"a {spec.type!r} message needs {2 + spec.length} bytes, {len(tail)} remain"
    else:
        what = f"{len(tail)} bytes remain, too few for a message header"
    return DataError(
        f"truncated ITCH data: the file ends inside message #{index:,} at byte offset "
        f"{offset:,} ({what}); " + _where(index, offset),
        field="offset",
        value=offset,
    )


def iter_frames(
    source: str | Path | BinaryIO, chunk_bytes: int = DEFAULT_CHUNK
) -> Iterator[Frames]:
    """Yield the scanned messages of a BinaryFILE one chunk at a time (bounded memory)."""
    from tickbook.feeds import _itch_parse as kp

    chunk_bytes = check_int(
        chunk_bytes, "chunk_bytes", lo=64, hi=1 << 40, expected="an integer >= 64 (bytes)"
    )
    lengths = length_table()
    buf = np.empty(chunk_bytes + _MAX_FRAME, np.uint8)
    view = memoryview(buf)
    offsets = np.empty((chunk_bytes + _MAX_FRAME) // _MIN_FRAME + 1, np.int64)
    types = np.empty(len(offsets), np.uint8)
    carry = 0
    file_offset = 0
    index = 0
    handle = _open(source)
    try:
        while True:
            got = _fill(handle, view[carry : carry + chunk_bytes])
            stop = carry + got
            if got == 0:
                if carry:
                    raise _truncated(bytes(buf[:carry]), index, file_offset)
                return
            count, pos, status = kp.scan_frames(buf, 0, stop, lengths, offsets, types)
            if status == kp.S_UNKNOWN or status == kp.S_LENGTH:
                raise _corrupt(buf, pos, status, index + count, file_offset + pos)
            yield Frames(buf, offsets[:count], types[:count], index, file_offset)
            index += count
            carry = stop - pos
            buf[:carry] = buf[pos:stop]
            file_offset += pos
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"cannot read ITCH data after byte offset {file_offset:,}: {error}; "
            + _where(index, file_offset),
            field="offset",
            value=file_offset,
        ) from None
    finally:
        if handle is not source:
            handle.close()


def _fill(handle: BinaryIO, view: memoryview) -> int:
    # read until the view is full or the stream ends (gzip and pipes return short reads)
    total = 0
    while total < len(view):
        got = handle.readinto(view[total:])
        if not got:
            break
        total += got
    return total


def _type_bytes(types: Iterable[str] | None) -> list[str]:
    if types is None:
        return list(MESSAGES)
    if isinstance(types, str):
        types = [types]
    return [spec_of(t).type for t in types]


def decode_frames(frames: Frames, types: list[str]) -> dict[str, np.ndarray]:
    """Decode one chunk's messages of the given types into native structured arrays."""
    from tickbook.feeds import _itch_parse as kp
    from tickbook.feeds._itch_decode import DECODERS

    order, starts = kp.bucket_order(frames.types, 256)
    out: dict[str, np.ndarray] = {}
    for t in types:
        code = ord(t)
        sel = order[starts[code] : starts[code + 1]]
        dtype = dtype_of(t)
        table = np.empty(len(sel), dtype)
        raw = table.view(np.uint8).reshape(len(sel), dtype.itemsize)
        DECODERS[t](frames.buf, frames.offsets, sel, frames.first_index, table, raw)
        out[t] = table
    return out


@dataclass(frozen=True, slots=True)
class ItchData:
    """ITCH messages in columnar form: one structured array per message type.

    ``tables`` maps the type byte (``"A"``) to an array of ``dtype_of("A")`` in file order;
    every type of the spec is present (empty when the file has none). Prices are int64 in
    units of 1/10,000 dollar (``p8`` fields: 1/100,000,000), timestamps int64 nanoseconds
    after midnight, alphanumerics space-padded ``bytes``.
    """

    tables: dict[str, np.ndarray]
    n_messages: int  #: messages in the file (all types, also those not kept)
    n_bytes: int  #: bytes read
    symbols: dict[int, str] = field(default_factory=dict)  #: stock locate -> symbol (R)

    def __getitem__(self, key: str) -> np.ndarray:
        """Return the table of a type byte or message name (``"A"`` or ``"add_order"``)."""
        return self.tables[spec_of(key).type]

    def counts(self) -> dict[str, int]:
        """Return the number of messages kept per type byte (types present only)."""
        return {t: len(a) for t, a in self.tables.items() if len(a)}

    def frame(self, key: str) -> pd.DataFrame:
        """Return one type's table as a DataFrame (text stripped, ``index`` as the index)."""
        import pandas as pd

        table = self[key]
        data: dict[str, Any] = {}
        for name in table.dtype.names:
            col = table[name]
            if col.dtype.kind == "S":
                col = np.char.rstrip(np.char.decode(col, "ascii", "replace"))
            data[name] = col
        return pd.DataFrame(data).set_index("index")


def iter_itch(
    source: str | Path | BinaryIO,
    types: Iterable[str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK,
) -> Iterator[ItchData]:
    """Yield the file one chunk at a time as ``ItchData`` (memory bounded by the chunk)."""
    wanted = _type_bytes(types)
    for frames in iter_frames(source, chunk_bytes):
        tables = decode_frames(frames, wanted)
        yield ItchData(
            tables, len(frames.offsets), end_offset(frames) - frames.file_offset, _directory(tables)
        )


def end_offset(frames: Frames) -> int:
    """Return the file offset just past the chunk's last message."""
    if not len(frames.offsets):
        return frames.file_offset
    last = int(frames.offsets[-1])
    return frames.file_offset + last + MESSAGES[chr(frames.types[-1])].length


def _directory(tables: dict[str, np.ndarray]) -> dict[int, str]:
    table = tables.get("R")
    if table is None or not len(table):
        return {}
    stocks = np.char.rstrip(np.char.decode(table["stock"], "ascii", "replace"))
    return dict(zip(table["stock_locate"].tolist(), stocks.tolist(), strict=True))


def read_itch(
    source: str | Path | BinaryIO,
    types: Iterable[str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK,
) -> ItchData:
    """Read a whole BinaryFILE (or the ``types`` asked for) into columnar ``ItchData``.

    Raises ``DataError`` for a truncated or corrupt file, naming the byte offset and how many
    messages were read before it.
    """
    wanted = _type_bytes(types)
    parts: dict[str, list[np.ndarray]] = {t: [] for t in wanted}
    n = 0
    nbytes = 0
    symbols: dict[int, str] = {}
    keep_directory = "R" in wanted
    for frames in iter_frames(source, chunk_bytes):
        tables = decode_frames(frames, wanted if keep_directory else [*wanted, "R"])
        for t in wanted:
            parts[t].append(tables[t])
        symbols.update(_directory(tables))
        n += len(frames.offsets)
        nbytes = max(nbytes, end_offset(frames))
    tables = {t: _join(p, t) for t, p in parts.items()}
    return ItchData(tables, n, nbytes, symbols)


def _join(parts: list[np.ndarray], message_type: str) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype_of(message_type))


def as_source(data: bytes | bytearray | memoryview) -> BinaryIO:
    """Wrap bytes held in memory so that the readers accept them."""
    return io.BytesIO(bytes(data))
