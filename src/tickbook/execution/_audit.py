"""The write-ahead audit log of rebalance runs: JSON lines, fsynced before anything leaves.

Every step of a run is one line ``{"seq", "run_id", "event", ...}``. An ``intent`` line (the
order's client id, symbol, side, quantity, limit) is on disk before the order is sent, so
after a crash ``recover`` knows every order that may have reached the broker. A torn last line
(the process died mid-write) is ignored; any other unreadable line is a ``DataError``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tickbook.core._errors import DataError

__all__ = ["AuditLog"]


class AuditLog:
    """Append-only JSONL file; ``write`` returns once the line is fsynced."""

    def __init__(self, path: str | Path, on_write: Callable[[], None] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._records = self.read(self.path)
        self._seq = self._records[-1]["seq"] if self._records else 0
        self._on_write = on_write

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        """Return the records of a log (none if it does not exist)."""
        path = Path(path)
        if not path.exists():
            return []
        lines = path.read_bytes().split(b"\n")
        records = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "event" not in record:
                    raise ValueError("not an audit record")
            except ValueError:
                if i == len(lines) - 1:  # torn final write: it never happened
                    break
                raise DataError(
                    f"audit log `{path}` line {i + 1} is unreadable", field="audit", value=str(path)
                ) from None
            records.append(record)
        return records

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record written so far (this process and earlier ones)."""
        return self._records

    def write(self, run_id: str, event: str, **fields: Any) -> dict[str, Any]:
        """Append one record and fsync it."""
        self._seq += 1
        record = {"seq": self._seq, "run_id": run_id, "event": event, **fields}
        data = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # a crash tore the last line: it never happened, cut it off
                whole = os.pread(fd, size, 0)
                os.ftruncate(fd, whole.rfind(b"\n") + 1)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._records.append(record)
        if self._on_write is not None:
            self._on_write()
        return record

    def runs(self) -> list[str]:
        """Run ids in the order they started."""
        return [r["run_id"] for r in self._records if r["event"] == "run"]

    def of(self, run_id: str) -> list[dict[str, Any]]:
        """The records of one run."""
        return [r for r in self._records if r["run_id"] == run_id]

    def unfinished(self) -> str | None:
        """The last run that started and neither finished nor aborted, if any."""
        open_runs: list[str] = []
        for r in self._records:
            if r["event"] == "run":
                open_runs.append(r["run_id"])
            elif r["event"] in ("done", "abort") and r["run_id"] in open_runs:
                open_runs.remove(r["run_id"])
        return open_runs[-1] if open_runs else None
