"""What a risk check answers: named checks with a status, a detail and a stable reason code."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Reason", "RiskCheck", "RiskReport", "RiskStatus", "TradingState"]


class RiskStatus(enum.IntEnum):
    """Outcome of one check (the reference's Pass / Warn / Fail)."""

    PASS = 0
    WARN = 1
    FAIL = 2


class TradingState(enum.IntEnum):
    """What the engine lets through: everything, only risk-reducing orders, or nothing."""

    ACTIVE = 0
    REDUCING = 1  #: only orders that shrink a position pass (the drawdown breaker sets this)
    HALTED = 2  #: nothing passes (the kill switch)


class Reason(enum.IntEnum):
    """Stable code of a failed or warned check; values never change meaning."""

    HALTED = 1  #: the kill switch is on
    REDUCE_ONLY = 2  #: the engine is reducing and the order would add risk
    DRAWDOWN = 3  #: equity fell past ``max_drawdown_pct`` below its peak
    ORDER_VALUE = 4  #: one order is worth more than ``max_order_value_cents``
    TRADE_VALUE = 5  #: one order is worth more than ``max_trade_value_cents``
    MIN_TRADE = 6  #: one order is worth less than ``min_trade_value_cents`` (a warning)
    POSITION_LIMIT = 7  #: a position would exceed ``max_position_pct`` of equity
    SHORT_NOT_ALLOWED = 8  #: a position would go short while ``allow_short`` is false
    SHORT_EXPOSURE = 9  #: short exposure would exceed ``max_short_pct`` of equity
    LEVERAGE = 10  #: gross exposure would exceed ``max_leverage`` times equity
    BATCH_VALUE = 11  #: a batch is worth more than ``max_batch_value_cents``
    RATE_PER_SECOND = 12  #: more than ``max_orders_per_second`` orders in the last second
    RATE_PER_MINUTE = 13  #: more than ``max_orders_per_minute`` orders in the last minute
    OPEN_ORDERS = 14  #: ``max_open_orders`` orders are already working
    MAX_POSITIONS = 15  #: a new symbol would exceed ``max_positions``
    VAR_LIMIT = 16  #: 1-day value at risk would exceed ``max_var_pct`` of equity
    MISSING_PRICE = 17  #: a held symbol has no price, so exposures leave it out (a warning)
    TARGET_WEIGHTS = 18  #: target weights break the position, short or leverage limits


_LABELS = {RiskStatus.PASS: "PASS", RiskStatus.WARN: "WARN", RiskStatus.FAIL: "FAIL"}


@dataclass(frozen=True, slots=True)
class RiskCheck:
    """One named check. ``check["status"]`` reads it as the reference's dict does."""

    name: str
    status: RiskStatus
    detail: str
    reason: Reason | None = None

    def as_dict(self) -> dict[str, str]:
        """Return the reference's form: ``{"name", "status", "detail"}`` (status "PASS"...)."""
        return {"name": self.name, "status": _LABELS[self.status], "detail": self.detail}

    def __getitem__(self, key: str) -> str:
        return self.as_dict()[key]


class RiskReport:
    """The checks of one order or batch; iterate it, or ask ``has_failures()``.

    Iterating gives ``RiskCheck`` objects, which also answer ``check["name"]``,
    ``check["status"]`` and ``check["detail"]``, so code written against the reference's list
    of dicts runs unchanged; ``to_dicts()`` gives that list itself. Details are formatted on
    first access (the pass/fail answer is known without them).
    """

    __slots__ = ("_args", "_build", "_checks", "failed", "warned")

    def __init__(
        self,
        failed: int,
        warned: int,
        build: Callable[..., tuple[RiskCheck, ...]],
        args: tuple[Any, ...] = (),
    ) -> None:
        #: bit ``1 << reason`` is set for every reason that failed / warned
        self.failed = failed
        self.warned = warned
        self._build = build
        self._args = args
        self._checks: tuple[RiskCheck, ...] | None = None

    @classmethod
    def of(cls, checks: tuple[RiskCheck, ...]) -> RiskReport:
        """Build a report from ready checks."""
        failed = warned = 0
        for c in checks:
            bit = 1 << (c.reason or 0) if c.reason else 1
            if c.status is RiskStatus.FAIL:
                failed |= bit
            elif c.status is RiskStatus.WARN:
                warned |= bit
        report = cls(failed, warned, tuple)
        report._checks = checks
        return report

    @property
    def checks(self) -> tuple[RiskCheck, ...]:
        """Every check, in a stable order."""
        if self._checks is None:
            self._checks = self._build(*self._args)
        return self._checks

    def has_failures(self) -> bool:
        """Return whether any check failed (the order or batch must not be sent)."""
        return self.failed != 0

    def has_warnings(self) -> bool:
        """Return whether any check warned."""
        return self.warned != 0

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Reason codes of the failed checks, in code order."""
        return tuple(r for r in Reason if self.failed >> r & 1)

    def failures(self) -> tuple[RiskCheck, ...]:
        """The failed checks."""
        return tuple(c for c in self.checks if c.status is RiskStatus.FAIL)

    def to_dicts(self) -> list[dict[str, str]]:
        """Return the reference's list of ``{"name", "status", "detail"}`` dicts."""
        return [c.as_dict() for c in self.checks]

    def __iter__(self) -> Iterator[RiskCheck]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def __getitem__(self, index: int) -> RiskCheck:
        return self.checks[index]

    def __repr__(self) -> str:
        inner = ", ".join(f"{c.name}={_LABELS[c.status]}" for c in self.checks)
        return f"RiskReport({inner})"


def check(name: str, failed_bits: int, warned_bits: int, reason: Reason, detail: Any) -> RiskCheck:
    """Build one check whose status comes from the report's reason bits."""
    if failed_bits >> reason & 1:
        return RiskCheck(name, RiskStatus.FAIL, detail, reason)
    if warned_bits >> reason & 1:
        return RiskCheck(name, RiskStatus.WARN, detail, reason)
    return RiskCheck(name, RiskStatus.PASS, detail)
