"""A durable JSON-lines journal with an exclusive lock (private to ``SimBroker``).

One JSON object per line; ``append`` returns only after the line is on disk (``fsync``). A
line cut short by a crash (no final newline) was never acknowledged and is dropped on open; a
corrupt line anywhere else is a ``DataError``. The file is locked (``flock``) while open, so
two processes cannot drive one account; the lock dies with the process (SIGKILL included).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tickbook.brokers._errors import BrokerError
from tickbook.core import DataError

try:  # POSIX only; elsewhere the journal is unlocked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal"]


class Journal:
    """Append-only JSON lines at ``path``, fsynced per record, locked while open."""

    def __init__(self, path: str | Path) -> None:
        self._fd = -1
        self.path = Path(path)
        fresh = not self.path.exists()
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise DataError(
                f"cannot open state file {self.path}: {error.strerror}",
                field="state_path",
                value=str(self.path),
            ) from None
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self.close()
                raise BrokerError(
                    f"state file {self.path} is in use by another SimBroker",
                    field="state_path",
                    value=str(self.path),
                ) from None
        if fresh:
            _fsync_dir(self.path.parent)

    def read(self) -> list[dict[str, Any]]:
        """Return every complete record, dropping (and truncating) a torn last line."""
        os.lseek(self._fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        end = data.rfind(b"\n") + 1
        if end < len(data):
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
            data = data[:end]
        records = []
        for n, line in enumerate(data.splitlines(), start=1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                raise DataError(
                    f"state file {self.path}: line {n} is not a JSON object",
                    field="state_path",
                    value=str(self.path),
                )
            records.append(record)
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and return once it is on disk."""
        line = json.dumps(record, separators=(",", ":"), sort_keys=True).encode() + b"\n"
        os.lseek(self._fd, 0, os.SEEK_END)
        view = memoryview(line)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)

    def close(self) -> None:
        """Release the lock and the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
