"""Checks and coercion for what callers hand the analytics: series, panels and parameters.

Series come in as numpy arrays (1-D: one series, 2-D: time x symbols), sequences, or pandas
Series/DataFrames. They leave as C-contiguous float64 arrays of shape (time, symbols), with a
``Shape`` that turns kernel outputs back into what the caller gave (pandas in, pandas out).
pandas is never imported here: an object is treated as pandas when its type comes from pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.core._checks import check_float as _check_float
from tickbook.core._checks import check_int, refuse

__all__ = [
    "MAX_PERIOD",
    "Shape",
    "bad_value_error",
    "check_choice",
    "check_float",
    "check_period",
    "panel",
    "panels",
    "real_array",
]

#: Largest accepted window length (TA-Lib's own limit).
MAX_PERIOD = 100_000


@dataclass(frozen=True, slots=True)
class Shape:
    """How to give results back: 1-D or 2-D numpy, or pandas with the caller's labels."""

    ndim: int
    index: Any = None  # pandas index when the input was pandas
    columns: Any = None  # pandas columns (DataFrame) or series name (Series)
    pandas: bool = False

    def wrap(self, out: np.ndarray, name: str | None = None) -> Any:
        """Return ``out`` (time x symbols) in the caller's form."""
        if not self.pandas:
            return out[:, 0] if self.ndim == 1 else out
        import pandas as pd

        if self.ndim == 1:
            return pd.Series(out[:, 0], index=self.index, name=name or self.columns)
        return pd.DataFrame(out, index=self.index, columns=self.columns)

    def wrap_row(self, row: np.ndarray) -> Any:
        """Return one streamed row: a float for a single series, else an array of symbols."""
        return float(row[0]) if self.ndim == 1 else row.copy()


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas"


def real_array(value: Any, field: str, expected: str) -> np.ndarray:
    """Return ``value`` (array, sequence, number or pandas object) as a float64 array.

    Refuses what is not made of real numbers (strings, objects, complex numbers, ragged
    lists) instead of letting numpy cast or fail on it; shape and finiteness are the
    caller's to check.
    """
    if _is_pandas(value):
        value = value.to_numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise refuse(field, expected, _short(value)) from None
    if arr.dtype.kind not in "biuf":
        raise refuse(field, expected, _short(value) if arr.ndim == 0 else f"dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def check_choice(value: Any, field: str, choices: Sequence[str]) -> str:
    """Return ``value`` when it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise refuse(field, " or ".join(f'"{c}"' for c in choices), value)
    return value


def panel(value: Any, field: str) -> tuple[np.ndarray, Shape]:
    """Return ``value`` as a C-contiguous float64 (time, symbols) array and its ``Shape``.

    Values are not checked for NaN here: the kernels check them in the same pass that
    computes, and report the first bad element (see ``bad_value_error``).
    """
    index = columns = None
    is_pd = _is_pandas(value)
    if is_pd:
        index = value.index
        columns = getattr(value, "columns", getattr(value, "name", None))
        value = value.to_numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise refuse(field, "an array of numbers", _short(value)) from None
    if arr.dtype.kind not in "biuf":
        raise refuse(field, "an array of real numbers", f"dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise refuse(field, "a 1-D series or a 2-D (time x symbols) panel", f"shape {arr.shape}")
    ndim = arr.ndim
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if ndim == 1:
        arr = arr.reshape(-1, 1)
    return arr, Shape(ndim, index, columns, is_pd)


def panels(values: Sequence[tuple[Any, str]]) -> tuple[list[np.ndarray], Shape]:
    """Coerce several inputs of one indicator (high, low, close, ...) that must align."""
    arrays: list[np.ndarray] = []
    first: Shape | None = None
    first_value: Any = None
    for value, field in values:
        arr, shape = panel(value, field)
        if first is None:
            first, first_value = shape, value
        elif arr.shape != arrays[0].shape or shape.ndim != first.ndim:
            expected = f"the shape of `{values[0][1]}` {_shape_text(arrays[0], first)}"
            raise refuse(field, expected, f"shape {_shape_text(arr, shape)}")
        elif first.pandas and shape.pandas and not value.index.equals(first_value.index):
            raise refuse(field, f"the same index as `{values[0][1]}`", "a different index")
        arrays.append(arr)
    assert first is not None
    return arrays, first


def _shape_text(arr: np.ndarray, shape: Shape) -> str:
    return str((arr.shape[0],)) if shape.ndim == 1 else str(arr.shape)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def bad_value_error(
    code: int, arrays: Sequence[np.ndarray], fields: Sequence[str], shape: Shape
) -> Exception:
    """Turn a kernel's bad-input code (1 + flat index of the element) into a ValidationError."""
    ncol = arrays[0].shape[1]
    t, j = divmod(code - 1, ncol)
    where = f"row {t}" if shape.ndim == 1 else f"row {t}, column {j}"
    bad = [(f, float(a[t, j])) for a, f in zip(arrays, fields, strict=True)]
    # the first non-finite input; if all are finite, another input was NaN on this bar
    field, v = next(((f, x) for f, x in bad if not math.isfinite(x)), bad[0])
    err = refuse(
        field,
        "finite numbers (NaN only before a series starts, on every input at once)",
        v,
    )
    err.args = (f"{err.args[0]} at {where}",)
    return err


def check_period(value: Any, field: str, lo: int = 1, hi: int = MAX_PERIOD) -> int:
    """Return a window length in ``[lo, hi]`` bars."""
    return check_int(
        value, field, lo=lo, hi=hi, expected=f"an integer number of bars in [{lo}, {hi}]"
    )


def check_float(
    value: Any,
    field: str,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in the given range (open or closed at each end).

    The library's one float check (``core._checks.check_float``), with the analytics' wording.
    """
    return _check_float(value, field, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
