"""``RiskConfig``: the limits of the pre-trade risk engine, validated once at construction.

The fields and defaults are the reference's (``max_position_pct`` 0.25, ``max_leverage`` 1.5,
``max_drawdown_pct`` 0.20, ``allow_short``, ``max_short_pct`` 0.30, order, batch and trade
values), with money in integer cents. The limits beyond the reference (rates, open orders,
positions, VaR) are off (``None``) unless set.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tickbook.core._checks import check_int, refuse
from tickbook.core._errors import DataError, ValidationError

__all__ = ["RiskConfig"]

_MAX_CENTS = (1 << 62) - 1
_VAR_METHODS = ("historical", "normal")
# the reference's dollar-valued trade limits, accepted as keywords and turned into cents
_USD_ALIASES = {"min_trade_usd": "min_trade_value_cents", "max_trade_usd": "max_trade_value_cents"}


def _fraction(value: Any, name: str, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse(name, f"a number in [0, {hi}]", value)
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= hi):
        raise refuse(name, f"a number in [0, {hi}]", value)
    return v


def _cents(value: Any, name: str, lo: int = 0) -> int:
    return check_int(
        value, name, lo=lo, hi=_MAX_CENTS, expected=f"an integer number of cents >= {lo}"
    )


def _optional_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    return check_int(value, name, lo=1, hi=1 << 31, expected="a positive integer or None")


def usd_to_cents(value: Any, name: str) -> int:
    """Turn a dollar amount (the reference's ``*_usd`` keywords) into cents, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise refuse(name, "a non-negative dollar amount", value)
    try:
        cents = Decimal(str(value)) * 100
    except InvalidOperation:
        raise refuse(name, "a non-negative dollar amount", value) from None
    if not cents.is_finite() or cents < 0 or cents != cents.to_integral_value():
        raise refuse(name, "a non-negative dollar amount with at most 2 decimals", value)
    return _cents(int(cents), name)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskConfig:
    """Pre-trade limits. Fractions are of account equity; money is integer cents.

    Attributes:
        max_position_pct: largest single position, as |value| / equity.
        max_order_value_cents: largest value of one order.
        max_batch_value_cents: largest total value of one rebalance batch.
        max_leverage: largest gross exposure / equity.
        max_drawdown_pct: drawdown from the peak equity at which the breaker trips (the engine
            then passes only orders that reduce risk, until ``reset_breaker``).
        allow_short: whether positions may go below zero.
        max_short_pct: largest short exposure / equity.
        min_trade_value_cents: orders worth less get a warning (the rebalancer skips them).
        max_trade_value_cents: orders worth more fail (the reference's ``max_trade_usd``).
        max_orders_per_second: order rate limit over the last second (None: off).
        max_orders_per_minute: order rate limit over the last minute (None: off).
        max_open_orders: most orders working at once (None: off).
        max_positions: most symbols held at once (None: off).
        max_var_pct: largest 1-day value at risk / equity (None: off); needs a returns history.
        var_alpha: the VaR confidence level.
        var_method: ``"historical"`` or ``"normal"`` (parametric).
    """

    max_position_pct: float = 0.25
    max_order_value_cents: int = 100_000_00
    max_batch_value_cents: int = 1_000_000_00
    max_leverage: float = 1.5
    max_drawdown_pct: float = 0.20
    allow_short: bool = True
    max_short_pct: float = 0.30
    min_trade_value_cents: int = 0
    max_trade_value_cents: int = 100_000_00
    max_orders_per_second: int | None = None
    max_orders_per_minute: int | None = None
    max_open_orders: int | None = None
    max_positions: int | None = None
    max_var_pct: float | None = None
    var_alpha: float = 0.95
    var_method: str = "historical"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "max_position_pct", _fraction(self.max_position_pct, "max_position_pct", 100))
        set_(self, "max_leverage", _fraction(self.max_leverage, "max_leverage", 100))
        set_(self, "max_drawdown_pct", _fraction(self.max_drawdown_pct, "max_drawdown_pct", 1))
        set_(self, "max_short_pct", _fraction(self.max_short_pct, "max_short_pct", 100))
        for name in (
            "max_order_value_cents",
            "max_batch_value_cents",
            "min_trade_value_cents",
            "max_trade_value_cents",
        ):
            set_(self, name, _cents(getattr(self, name), name))
        if type(self.allow_short) is not bool:
            raise refuse("allow_short", "true or false", self.allow_short)
        for name in ("max_orders_per_second", "max_orders_per_minute", "max_open_orders"):
            set_(self, name, _optional_count(getattr(self, name), name))
        set_(self, "max_positions", _optional_count(self.max_positions, "max_positions"))
        if self.max_var_pct is not None:
            set_(self, "max_var_pct", _fraction(self.max_var_pct, "max_var_pct", 1))
        alpha = _fraction(self.var_alpha, "var_alpha", 1)
        if not 0.5 <= alpha < 1.0:
            raise refuse("var_alpha", "a confidence level in [0.5, 1)", self.var_alpha)
        set_(self, "var_alpha", alpha)
        if self.var_method not in _VAR_METHODS:
            raise refuse("var_method", "'historical' or 'normal'", self.var_method)
        if self.min_trade_value_cents > self.max_trade_value_cents:
            raise refuse(
                "min_trade_value_cents",
                f"at most max_trade_value_cents ({self.max_trade_value_cents})",
                self.min_trade_value_cents,
            )

    @classmethod
    def from_dict(cls, values: Any, *, where: str = "config") -> RiskConfig:
        """Build a config from a mapping, refusing unknown keys (the reference's ``*_usd`` too)."""
        if not isinstance(values, dict):
            raise refuse(where, "a table of risk limits", values)
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key in _USD_ALIASES:
                kwargs[_USD_ALIASES[key]] = usd_to_cents(value, key)
            elif key in known:
                kwargs[key] = value
            else:
                names = ", ".join(sorted(known | set(_USD_ALIASES)))
                raise ValidationError(
                    f"invalid `{where}`: unknown risk limit {key!r} (known: {names})",
                    field=key,
                    value=value,
                )
        return cls(**kwargs)

    @classmethod
    def from_toml(cls, path: str | Path, *, table: str = "risk") -> RiskConfig:
        """Load from a TOML file: its ``[risk]`` table, or its top level when it has none."""
        doc = read_toml(path)
        section = doc.get(table, doc) if table in doc else doc
        return cls.from_dict(section, where=f"{path}:[{table}]" if table in doc else str(path))

    def tightened(self, **limits: Any) -> RiskConfig:
        """Return a copy where each given limit is the tighter of its value and the given one."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in limits.items():
            if key not in ("max_position_pct", "max_leverage", "max_short_pct"):
                raise refuse("constraints", "max_position_pct, max_leverage or max_short_pct", key)
            values[key] = min(values[key], _fraction(value, key, 100))
        return RiskConfig(**values)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing or malformed file is a ``DataError`` naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as error:
        raise DataError(
            f"cannot read `{path}`: {error.strerror}", field="config", value=str(path)
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(
            f"invalid TOML in `{path}`: {error}", field="config", value=str(path)
        ) from None
