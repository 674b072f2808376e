"""Shared validation helpers, so that every refusal is worded the same way.

Each helper returns the coerced value or raises a ``ValidationError`` (or the given subclass)
naming the field and the value: "invalid `price`: expected a positive integer (ticks), got -5".
"""

from __future__ import annotations

import operator
from typing import Any

from tickbook.core._errors import ValidationError

__all__ = ["MAX_PRICE", "MAX_QTY", "check_int", "check_positive_int", "refuse"]

#: Largest accepted price in ticks (about 4.6e15): leaves headroom for sums in int64.
MAX_PRICE = (1 << 52) - 1
#: Largest accepted quantity (about 1.1e12 units); a level total of many such orders fits int64.
MAX_QTY = (1 << 40) - 1


def refuse(
    field: str, expected: str, value: Any, error: type[ValidationError] = ValidationError
) -> ValidationError:
    """Build (not raise) the standard error for a refused value."""
    return error(f"invalid `{field}`: expected {expected}, got {value!r}", field=field, value=value)


def check_int(
    value: Any,
    field: str,
    *,
    lo: int,
    hi: int,
    expected: str,
    error: type[ValidationError] = ValidationError,
) -> int:
    """Return ``value`` as an ``int`` in ``[lo, hi]``; bools, floats and strings are refused."""
    if type(value) is not int:
        if isinstance(value, bool | float | str):
            raise refuse(field, expected, value, error)
        try:
            value = operator.index(value)  # numpy integers and other integral types
        except TypeError:
            raise refuse(field, expected, value, error) from None
    if not lo <= value <= hi:
        raise refuse(field, expected, value, error)
    return value


def check_positive_int(
    value: Any, field: str, hi: int, unit: str, error: type[ValidationError] = ValidationError
) -> int:
    """Return ``value`` as an ``int`` in ``[1, hi]``."""
    return check_int(
        value, field, lo=1, hi=hi, expected=f"a positive integer ({unit}) <= {hi}", error=error
    )


def check_float(
    value: Any,
    field: str,
    *,
    lo: float = float("-inf"),
    hi: float = float("inf"),
    lo_open: bool = False,
    hi_open: bool = False,
    expected: str | None = None,
    error: type[ValidationError] = ValidationError,
) -> float:
    """Return ``value`` as a finite ``float`` in the range (open or closed at each end).

    The one float check of the library: ints, floats and numpy numbers pass; bools, strings,
    ``None``, NaN, infinities and ints too large for a float are refused.
    """
    import math
    import numbers

    if expected is None:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        expected = f"a finite number in {left}{lo}, {hi}{right}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise refuse(field, expected, value, error)
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise refuse(field, expected, value, error) from None
    if not math.isfinite(x) or (x <= lo if lo_open else x < lo) or (x >= hi if hi_open else x > hi):
        raise refuse(field, expected, value, error)
    return x
