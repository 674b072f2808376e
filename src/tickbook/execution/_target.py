"""``target.json``: the weights a rebalance aims at (the reference's format), validated whole.

    {"timestamp": "2026-02-08T15:30:00Z",
     "targets": [{"symbol": "AAPL", "weight": 0.40}, {"symbol": "SPY", "weight": -0.10}],
     "constraints": {"max_position_pct": 0.40, "max_leverage": 1.5}}

Positive weights are long, negative short; held symbols absent from ``targets`` are closed.
``constraints`` may only tighten the configured risk limits (the tighter value wins).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tickbook.core._checks import refuse
from tickbook.core._errors import DataError, ValidationError

__all__ = ["Target", "load_target", "parse_target"]

_TOP = ("timestamp", "targets", "constraints")
_ENTRY = ("symbol", "weight")
_CONSTRAINTS = ("max_position_pct", "max_leverage", "max_short_pct")


@dataclass(frozen=True, slots=True)
class Target:
    """Validated target weights: ``weights`` maps symbol to signed weight (fraction of equity)."""

    timestamp: str
    weights: dict[str, float]
    constraints: dict[str, float]
    digest: str  #: sha256 of the canonical JSON, names the target in the audit log

    def to_json(self) -> dict[str, Any]:
        """Return the canonical JSON form."""
        return {
            "timestamp": self.timestamp,
            "targets": [{"symbol": s, "weight": w} for s, w in self.weights.items()],
            "constraints": dict(self.constraints),
        }


def _unknown(where: str, keys: Any, known: tuple[str, ...]) -> None:
    extra = sorted(map(str, set(keys) - set(known)))
    if extra:
        raise ValidationError(
            f"invalid `{where}`: unknown field {extra[0]!r} (known: {', '.join(known)})",
            field=f"{where}.{extra[0]}" if where != "target" else extra[0] or where,
            value=extra[0],
        )


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise refuse(field, "a finite number", value)
    return float(value)


def parse_target(doc: Any) -> Target:
    """Validate a decoded ``target.json`` document; nothing is half-accepted."""
    if not isinstance(doc, dict):
        raise refuse("target", "a JSON object with timestamp, targets, constraints", doc)
    _unknown("target", doc, _TOP)
    stamp = doc.get("timestamp")
    if not isinstance(stamp, str):
        raise refuse("timestamp", "an ISO 8601 time string", stamp)
    try:
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise refuse("timestamp", "an ISO 8601 time string", stamp) from None
    entries = doc.get("targets")
    if not isinstance(entries, list):
        raise refuse("targets", "a list of {symbol, weight}", entries)
    weights: dict[str, float] = {}
    for i, entry in enumerate(entries):
        where = f"targets[{i}]"
        if not isinstance(entry, dict):
            raise refuse(where, "an object {symbol, weight}", entry)
        _unknown(where, entry, _ENTRY)
        sym = entry.get("symbol")
        if not isinstance(sym, str) or not sym or len(sym) > 20 or not sym.isprintable():
            raise refuse(f"{where}.symbol", "a symbol of 1 to 20 characters", sym)
        if sym in weights:
            raise refuse(f"{where}.symbol", "each symbol once", sym)
        weights[sym] = _number(entry.get("weight"), f"{where}.weight")
    raw = doc.get("constraints", {})
    if not isinstance(raw, dict):
        raise refuse("constraints", "an object of risk limits", raw)
    _unknown("constraints", raw, _CONSTRAINTS)
    constraints = {}
    for key, value in raw.items():
        v = _number(value, f"constraints.{key}")
        if not 0.0 <= v <= 100.0:
            raise refuse(f"constraints.{key}", "a number in [0, 100]", value)
        constraints[key] = v
    gross = sum(abs(w) for w in weights.values())
    cap = constraints.get("max_leverage")
    if cap is not None and gross > cap + 1e-9:
        raise refuse("targets", f"weights whose gross sum <= max_leverage ({cap})", gross)
    for sym, w in weights.items():
        cap = constraints.get("max_position_pct")
        if cap is not None and abs(w) > cap + 1e-9:
            raise refuse(f"targets.{sym}", f"|weight| <= max_position_pct ({cap})", w)
    canonical = json.dumps(
        {"timestamp": stamp, "targets": sorted(weights.items()), "constraints": constraints},
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return Target(stamp, weights, constraints, digest)


def load_target(path: str | Path) -> Target:
    """Read and validate ``target.json``; a bad file raises a ``TickbookError`` naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(
            f"cannot read `{path}`: {error.strerror}", field="target", value=str(path)
        ) from None
    except UnicodeDecodeError:
        raise DataError(f"`{path}` is not UTF-8 text", field="target", value=str(path)) from None

    def _no_constants(name: str) -> Any:
        raise refuse("target", "JSON numbers (NaN and Infinity are not JSON)", name)

    try:
        doc = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise DataError(
            f"invalid JSON in `{path}`: {error.msg} at line {error.lineno} column {error.colno}",
            field="target",
            value=str(path),
        ) from None
    return parse_target(doc)
