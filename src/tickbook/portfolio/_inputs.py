"""Checks for what callers hand the portfolio: prices, targets and options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tickbook.core import Symbol
from tickbook.core._checks import MAX_PRICE, check_float, check_int, refuse

__all__ = ["MAX_WEIGHT", "check_weight", "money", "price_map", "quantity_step", "target_map"]


def _pairs(values: Any, field: str) -> Iterable[tuple[Any, Any]]:
    if isinstance(values, Mapping):
        return values.items()
    expected = "a mapping or a sequence of (symbol, value) pairs"
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise refuse(field, expected, values)
    try:
        return list(values)
    except TypeError:  # iterable in type only: a 0-d array...
        raise refuse(field, expected, values) from None


def _symbol(name: Any, field: str) -> Symbol:
    try:
        return Symbol(name)
    except (TypeError, ValueError):
        raise refuse(field, "(symbol, value) pairs with valid symbols", name) from None


def price_map(prices: Any, field: str = "prices") -> dict[Symbol, int]:
    """Return ``{symbol: price}`` from a mapping or pairs; prices are positive int ticks."""
    out: dict[Symbol, int] = {}
    for pair in _pairs(prices, field):
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise refuse(field, "(symbol, price) pairs", pair) from None
        sym = _symbol(name, field)
        if sym in out:
            raise refuse(field, "each symbol once", str(sym))
        out[sym] = check_int(
            value,
            f"{field}[{sym}]",
            lo=1,
            hi=MAX_PRICE,
            expected="a positive integer price (ticks)",
        )
    return out


def target_map(targets: Any, field: str = "targets") -> dict[Symbol, float]:
    """Return ``{symbol: weight}`` from a mapping or pairs; weights are finite numbers."""
    out: dict[Symbol, float] = {}
    for pair in _pairs(targets, field):
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise refuse(field, "(symbol, weight) pairs", pair) from None
        sym = _symbol(name, field)
        if sym in out:
            raise refuse(field, "each symbol once", str(sym))
        out[sym] = check_weight(value, f"{field}[{sym}]")
    return out


#: Largest accepted absolute weight (a leverage of a million).
MAX_WEIGHT = 1e6


def check_weight(value: Any, field: str) -> float:
    """Return a target weight: a finite number within +-``MAX_WEIGHT``."""
    return check_float(
        value, field, lo=-MAX_WEIGHT, hi=MAX_WEIGHT, expected="a finite weight within +-1e6"
    )


def money(value: Any, field: str, *, lo: int = 0) -> int:
    """Return ``value`` as integer cents >= ``lo``."""
    return check_int(value, field, lo=lo, hi=1 << 62, expected=f"an integer >= {lo} (cents)")


def quantity_step(value: Any) -> float:
    """Return the share step as a float.

    0 means micro-share resolution; otherwise a positive multiple of one micro-share
    (1.0 whole shares, 0.001, ...).
    """
    expected = "0 or a positive number of shares"
    step = check_float(value, "quantity_step", lo=0.0, hi=1e9, expected=expected)
    micro = step * 1_000_000
    if step > 0 and (micro < 1 - 1e-9 or abs(micro - round(micro)) > 1e-6 * max(1.0, micro)):
        raise refuse("quantity_step", "a multiple of 0.000001 share", value)
    return step
