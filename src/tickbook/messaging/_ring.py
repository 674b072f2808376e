"""A shared-memory ring of fixed-size market-data records: one writer, many lock-free readers.

The ring is a file mapped into memory (under ``/dev/shm`` by default, so it never touches a
disk)::

    header: 8 x int64   magic, version, capacity, record size, writer pid, head, heartbeat_ns,
                        closed
    stamps: capacity x uint64   the sequence number a slot holds, 0 while it is being written
    slots:  capacity x MD_RECORD_DTYPE

Records are numbered from 1; record ``seq`` lives in slot ``(seq - 1) % capacity``. The writer
clears a batch's stamps, copies the records, sets the stamps to their sequence numbers, then
publishes ``head`` (the last sequence written). A reader takes ``head``, copies stamps, records
and stamps again, and keeps a record only when both stamp copies equal its number (a per-slot
seqlock): a torn or overwritten record is never returned, it is counted as lost. A reader more
than ``capacity`` records behind skips to the oldest record still held and counts the rest as
lost. Readers take no lock and write nothing to the ring.

Each step is a separate numpy copy, done in program order; x86-64 keeps stores (and loads) in
that order, which the protocol relies on. The writer refreshes ``heartbeat_ns`` on every write
and ``heartbeat()``; readers tell a dead writer from its pid, a silent one from the heartbeat.
"""

from __future__ import annotations

import contextlib
import enum
import mmap
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tickbook.core import CapacityError, ValidationError
from tickbook.messaging._errors import RingError

__all__ = ["MD_RECORD_DTYPE", "ReadResult", "RingReader", "RingWriter", "WriterState"]

#: one market-data record: prices in integer ticks, ``seq`` stamped by the ring writer
MD_RECORD_DTYPE = np.dtype(
    [
        ("seq", "<u8"),
        ("ts_ns", "<i8"),
        ("symbol_id", "<u4"),
        ("venue_id", "<u2"),
        ("flags", "<u2"),
        ("bid", "<i8"),
        ("ask", "<i8"),
        ("bid_size", "<i8"),
        ("ask_size", "<i8"),
    ]
)
_MAGIC = 0x544B52494E47  # "TKRING"
_VERSION = 1
_HEADER_WORDS = 8
_MAGIC_I, _VERSION_I, _CAP_I, _SIZE_I, _PID_I, _HEAD_I, _BEAT_I, _CLOSED_I = range(8)
_DEFAULT_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else None


class WriterState(enum.Enum):
    """What a reader knows of the writer."""

    ALIVE = "alive"  # its process exists and it wrote or beat recently
    STALE = "stale"  # its process exists but it has been silent longer than allowed
    DEAD = "dead"  # its process is gone without closing the ring
    CLOSED = "closed"  # it closed the ring: no more records will come


@dataclass(frozen=True, slots=True)
class ReadResult:
    """``count`` records were copied out; ``lost`` records were overwritten before being read."""

    count: int
    lost: int


def _ring_path(name: str | os.PathLike[str]) -> Path:
    path = Path(name)
    if path.is_absolute() or _DEFAULT_DIR is None:
        return path
    return _DEFAULT_DIR / path


def _layout(buf: mmap.mmap, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # slots are handled as raw bytes (capacity, itemsize): numpy copies structured arrays field
    # by field, about 75x slower than a plain byte copy
    header = np.frombuffer(buf, dtype="<i8", count=_HEADER_WORDS)
    offset = _HEADER_WORDS * 8
    stamps = np.frombuffer(buf, dtype="<u8", count=capacity, offset=offset)
    offset += capacity * 8
    size = MD_RECORD_DTYPE.itemsize
    slots = np.frombuffer(buf, dtype=np.uint8, count=capacity * size, offset=offset)
    return header, stamps, slots.reshape(capacity, size)


def _as_bytes(records: np.ndarray) -> np.ndarray:
    return records.view(np.uint8).reshape(len(records), MD_RECORD_DTYPE.itemsize)


class RingWriter:
    """Create (or take over) a ring file and write record batches into it.

    ``name`` is a file name under ``/dev/shm`` or an absolute path; ``capacity`` a power of two.
    ``overwrite=True`` replaces an existing ring with a new file (readers of the old one see its
    writer ``DEAD`` and open the new one); the old file is never truncated under them.
    """

    def __init__(
        self, name: str | os.PathLike[str], capacity: int = 1 << 16, *, overwrite: bool = False
    ) -> None:
        if not isinstance(capacity, int) or capacity < 2 or capacity & (capacity - 1):
            raise ValidationError(
                f"invalid `capacity`: expected a power of two >= 2, got {capacity!r}",
                field="capacity",
                value=capacity,
            )
        self.path = _ring_path(name)
        self.capacity = capacity
        size_rec = MD_RECORD_DTYPE.itemsize
        size = _HEADER_WORDS * 8 + capacity * (8 + size_rec)
        if overwrite:  # a new file, never a truncated one: readers of the old keep their map
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise RingError(
                f"invalid `name`: ring {str(self.path)!r} exists (pass overwrite=True)",
                field="name",
                value=str(self.path),
            ) from None
        try:
            os.ftruncate(fd, size)
            self._buf = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._header, self._stamps, self._slots = _layout(self._buf, capacity)
        self._seq_col = np.ndarray(  # the ``seq`` field of every slot, as strided uint64
            (capacity,), "<u8", self._buf, _HEADER_WORDS * 8 + capacity * 8, (size_rec,)
        )
        self._mask = capacity - 1
        now = time.time_ns()
        self._header[:] = [
            _MAGIC,
            _VERSION,
            capacity,
            MD_RECORD_DTYPE.itemsize,
            os.getpid(),
            0,
            now,
            0,
        ]
        self.head = 0

    def write(self, records: np.ndarray) -> int:
        """Append ``records`` (``MD_RECORD_DTYPE``; their ``seq`` is set); return the last seq."""
        if not isinstance(records, np.ndarray) or records.dtype != MD_RECORD_DTYPE:
            raise ValidationError(
                "invalid `records`: expected a MD_RECORD_DTYPE array",
                field="records",
                value=getattr(records, "dtype", type(records).__name__),
            )
        n = len(records)
        if records.ndim != 1 or n > self.capacity:
            raise CapacityError(
                f"invalid `records`: expected a 1-d batch of at most {self.capacity}, got {n}",
                field="records",
                value=n,
            )
        if n == 0:
            return self.head
        first = self.head + 1
        seqs = np.arange(first, first + n, dtype=np.uint64)
        batch = np.ascontiguousarray(records)
        batch_bytes = _as_bytes(batch)
        chunks = self._chunks(first, n)
        for lo, hi, _ in chunks:
            self._stamps[lo:hi] = 0
        for lo, hi, src in chunks:
            self._slots[lo:hi] = batch_bytes[src : src + hi - lo]
            self._seq_col[lo:hi] = seqs[src : src + hi - lo]
        for lo, hi, src in chunks:
            self._stamps[lo:hi] = seqs[src : src + hi - lo]
        self.head += n
        self._header[_HEAD_I] = self.head
        self._header[_BEAT_I] = time.time_ns()
        return self.head

    def heartbeat(self) -> None:
        """Tell readers the writer is alive though it has nothing to write."""
        self._header[_BEAT_I] = time.time_ns()

    def close(self, *, unlink: bool = False) -> None:
        """Mark the ring closed (readers see ``WriterState.CLOSED``); optionally delete it."""
        if self._buf.closed:
            return
        self._header[_CLOSED_I] = 1
        del self._header, self._stamps, self._slots, self._seq_col
        self._buf.close()
        if unlink:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> RingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _chunks(self, first: int, n: int) -> list[tuple[int, int, int]]:
        # (slot lo, slot hi, offset in the batch) for the at most two contiguous runs
        lo = (first - 1) & self._mask
        run = min(n, self.capacity - lo)
        out = [(lo, lo + run, 0)]
        if run < n:
            out.append((0, n - run, run))
        return out


class RingReader:
    """Read a ring without locks; each reader keeps its own position.

    ``start="latest"`` reads only records written from now on, ``"oldest"`` from the oldest
    record the ring still holds, an int from that sequence number (or the oldest held).
    """

    def __init__(self, name: str | os.PathLike[str], *, start: str | int = "latest") -> None:
        self.path = _ring_path(name)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise RingError(
                f"invalid `name`: no ring at {str(self.path)!r}", field="name", value=str(self.path)
            ) from None
        try:
            size = os.fstat(fd).st_size
            if size < _HEADER_WORDS * 8:
                raise RingError(f"invalid `header`: {size} bytes", field="header", value=size)
            self._buf = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        header = np.frombuffer(self._buf, dtype="<i8", count=_HEADER_WORDS)
        magic, version, capacity, rsize = (int(x) for x in header[:4])
        if magic != _MAGIC or version != _VERSION or rsize != MD_RECORD_DTYPE.itemsize:
            raise RingError(
                f"invalid `header`: magic {magic:#x} version {version} record size {rsize}",
                field="header",
                value=(magic, version, rsize),
            )
        if capacity < 2 or capacity & (capacity - 1) or size < 64 + capacity * (8 + rsize):
            raise RingError(
                f"invalid `capacity`: {capacity} for a file of {size} bytes",
                field="capacity",
                value=capacity,
            )
        self.capacity = capacity
        self._mask = capacity - 1
        self._header, self._stamps, self._slots = _layout(self._buf, capacity)
        head = int(self._header[_HEAD_I])
        if start == "latest":
            self.next_seq = head + 1
        elif start == "oldest":
            self.next_seq = max(1, head - capacity + 1)
        elif isinstance(start, int) and start >= 1:
            self.next_seq = max(start, head - capacity + 1)
        else:
            raise ValidationError(
                f"invalid `start`: expected 'latest', 'oldest' or a seq >= 1, got {start!r}",
                field="start",
                value=start,
            )
        self.lost = 0

    @property
    def head(self) -> int:
        """Last sequence number the writer has published."""
        return int(self._header[_HEAD_I])

    def read_into(self, out: np.ndarray) -> ReadResult:
        """Copy up to ``len(out)`` new records into ``out[:count]``; count the ones lost."""
        if (
            not isinstance(out, np.ndarray)
            or out.dtype != MD_RECORD_DTYPE
            or out.ndim != 1
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ValidationError(
                "invalid `out`: expected a writeable contiguous 1-d MD_RECORD_DTYPE array",
                field="out",
                value=getattr(out, "dtype", None),
            )
        head = int(self._header[_HEAD_I])
        lost = 0
        if head - self.next_seq + 1 > self.capacity:  # lapped: those records are gone
            lost = head - self.capacity + 1 - self.next_seq
            self.next_seq += lost
        n = min(len(out), head - self.next_seq + 1, self.capacity)
        if n <= 0:
            self.lost += lost
            return ReadResult(0, lost)
        first = self.next_seq
        lo = (first - 1) & self._mask
        run = min(n, self.capacity - lo)
        before = self._stamp_copy(lo, run, n)
        out_bytes = _as_bytes(out)
        out_bytes[:run] = self._slots[lo : lo + run]
        out_bytes[run:n] = self._slots[: n - run]
        after = self._stamp_copy(lo, run, n)
        kept = n
        expected = np.arange(first, first + n, dtype=np.uint64)
        if not (np.array_equal(before, expected) and np.array_equal(after, expected)):
            good = (before == expected) & (after == expected)
            kept = int(good.sum())  # overwritten while we read: drop, never return them torn
            out[:kept] = out[:n][good]
            lost += n - kept
        self.next_seq = first + n
        self.lost += lost
        return ReadResult(kept, lost)

    def _stamp_copy(self, lo: int, run: int, n: int) -> np.ndarray:
        if run == n:
            return self._stamps[lo : lo + n].copy()
        return np.concatenate((self._stamps[lo : lo + run], self._stamps[: n - run]))

    def read(self, max_records: int = 4096) -> tuple[np.ndarray, int]:
        """Return (new records, records lost) reading at most ``max_records``."""
        out = np.empty(max(1, int(max_records)), dtype=MD_RECORD_DTYPE)
        res = self.read_into(out)
        return out[: res.count], res.lost

    def writer_state(self, stale_after_s: float = 1.0) -> WriterState:
        """Say whether the writer is alive, silent past ``stale_after_s``, dead or closed."""
        if self._header[_CLOSED_I]:
            return WriterState.CLOSED
        if not _pid_alive(int(self._header[_PID_I])):
            return WriterState.DEAD
        silent_ns = time.time_ns() - int(self._header[_BEAT_I])
        return WriterState.STALE if silent_ns > stale_after_s * 1e9 else WriterState.ALIVE

    def close(self) -> None:
        """Unmap the ring (the file stays for other readers)."""
        if not self._buf.closed:
            del self._header, self._stamps, self._slots
            self._buf.close()

    def __enter__(self) -> RingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pid_alive(pid: int) -> bool:
    # a zombie (killed, not yet reaped) counts as dead
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
