"""Turn the three accepted schedule shapes into aligned (bars, symbols) float64 arrays.

1. Rows of pairs, as the reference documents show: ``weight_schedule[t]`` is a list of
   ``(symbol, weight)`` and ``price_schedule[t]`` a list of ``(symbol, price)``, the price in
   integer ticks or an ``(open, high, low, close)`` tuple (or any object with those
   attributes, such as nanobook's ``BarPrices``). Every weight row is the whole target book:
   held symbols it leaves out are closed, and an empty row closes everything (as nanobook
   does). Use arrays or DataFrames to skip a bar's rebalance.
2. numpy arrays (bars x symbols): NaN weight leaves that holding alone, an all-NaN row means
   no rebalance; NaN price means no price in that bar.
3. pandas DataFrames (dates x symbols), with the array rules. Weights may cover fewer dates
   (a monthly schedule on daily prices) and fewer symbols; the missing cells are NaN.

For 2 and 3, ``price_schedule`` may also be a mapping with a ``"close"`` entry and optional
``"open"``, ``"high"`` and ``"low"`` entries of the same shape.

Prices are ticks. Without a ``tick_size`` they must be whole (an integral float such as
10050.0 is fine), so that dollar prices are never taken for cents; with one, they are
divided by it and may keep fractions (adjusted closes). A DataFrame that ``load_panel`` read
says its unit itself (``attrs["tickbook_unit"] == "ticks"``). Every price must be at most
``MAX_PRICE`` ticks and every weight within +-1e6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tickbook.core import Symbol
from tickbook.core._checks import MAX_PRICE, check_float, check_int, refuse
from tickbook.portfolio._inputs import MAX_WEIGHT, check_weight

__all__ = ["TICKS_ATTR", "Schedule", "to_schedule"]

#: ``DataFrame.attrs`` key by which ``load_panel`` says its prices are ticks already.
TICKS_ATTR = "tickbook_unit"

_FIELDS = ("open", "high", "low")


@dataclass
class Schedule:
    """Aligned inputs of one backtest."""

    symbols: tuple[str, ...]
    index: Any  # the dates of DataFrame input, else None
    weights: np.ndarray
    close: np.ndarray
    open: np.ndarray | None = None
    high: np.ndarray | None = None
    low: np.ndarray | None = None
    tick_size: float | None = None  # what the prices were divided by (None: whole ticks)


def _is_frame(x: Any) -> bool:
    return type(x).__name__ == "DataFrame" and hasattr(x, "columns")


def to_schedule(
    weight_schedule: Any, price_schedule: Any, symbols: Any = None, tick_size: Any = None
) -> Schedule:
    """Return the aligned schedule, or raise ``ValidationError`` naming what is wrong."""
    tick = None
    if tick_size is not None:
        tick = check_float(
            tick_size, "tick_size", lo=0.0, hi=1e9, lo_open=True, expected="a positive number"
        )
    parts = _split_prices(price_schedule)
    close = parts["close"]
    if _is_frame(close):
        if tick is None and getattr(close, "attrs", {}).get(TICKS_ATTR) == "ticks":
            tick = 1.0  # load_panel's ticks: fractions kept
        sched = _from_frames(weight_schedule, parts)
    elif isinstance(close, np.ndarray):
        sched = _from_arrays(weight_schedule, parts, symbols)
    elif isinstance(close, Sequence) and not isinstance(close, str | bytes):
        if set(parts) != {"close"}:
            raise refuse("price_schedule", "OHLC inside the rows for row input", sorted(parts))
        sched = _from_rows(weight_schedule, close, whole=tick is None)
    else:
        raise refuse(
            "price_schedule", "rows of (symbol, price), an array or a DataFrame", type(close)
        )
    _check_prices(sched, tick)
    return sched


def _split_prices(price_schedule: Any) -> dict[str, Any]:
    if isinstance(price_schedule, Mapping) and not _is_frame(price_schedule):
        unknown = set(price_schedule) - {"close", *_FIELDS}
        if unknown or "close" not in price_schedule:
            raise refuse(
                "price_schedule", "a mapping with 'close' and optional 'open', 'high', 'low'",
                sorted(map(str, price_schedule)),
            )  # fmt: skip
        return {k: v for k, v in price_schedule.items() if v is not None}
    return {"close": price_schedule}


def _float_array(x: Any, field: str) -> np.ndarray:
    try:
        raw = np.asarray(x)
        if raw.dtype.kind not in "biufO":  # strings, complex numbers, dates...
            raise TypeError(raw.dtype)
        arr = np.ascontiguousarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise refuse(field, "a 2-D array of real numbers", type(x).__name__) from None
    if arr.ndim != 2:
        raise refuse(field, "a 2-D array (bars x symbols)", f"shape {arr.shape}")
    return arr


def _from_arrays(weights: Any, parts: dict[str, Any], symbols: Any) -> Schedule:
    close = _float_array(parts["close"], "price_schedule")
    w = _float_array(weights, "weight_schedule")
    if w.shape != close.shape:
        raise refuse("weight_schedule", f"the prices' shape {close.shape}", f"shape {w.shape}")
    extra = {}
    for name in _FIELDS:
        if name in parts:
            arr = _float_array(parts[name], f"price_schedule[{name!r}]")
            if arr.shape != close.shape:
                raise refuse(
                    f"price_schedule[{name!r}]", f"the close's shape {close.shape}", arr.shape
                )
            extra[name] = arr
    n = close.shape[1]
    if symbols is None:
        names = tuple(str(i) for i in range(n))
    else:
        if isinstance(symbols, str | bytes) or not isinstance(symbols, Sequence):
            raise refuse("symbols", f"a list of {n} distinct symbols", symbols)
        try:
            names = tuple(str(Symbol(s)) for s in symbols)
        except ValueError:
            raise refuse("symbols", f"{n} distinct valid symbols", list(symbols)) from None
        if len(names) != n or len(set(names)) != n:
            raise refuse("symbols", f"{n} distinct symbols", list(names))
    return Schedule(names, None, w, close, **extra)


def _from_frames(weights: Any, parts: dict[str, Any]) -> Schedule:
    close = parts["close"]
    if not _is_frame(weights):
        raise refuse("weight_schedule", "a DataFrame like the prices", type(weights).__name__)
    if not close.index.is_unique or not close.columns.is_unique:
        raise refuse("price_schedule", "unique dates and symbols", "duplicates")
    missing_cols = weights.columns.difference(close.columns)
    if len(missing_cols):
        raise refuse("weight_schedule", "symbols that have prices", list(missing_cols[:5]))
    missing_rows = weights.index.difference(close.index)
    if len(missing_rows):
        raise refuse("weight_schedule", "dates that have prices", list(missing_rows[:5]))
    w = weights.reindex(index=close.index, columns=close.columns)
    extra = {}
    for name in _FIELDS:
        if name in parts:
            frame = parts[name]
            if not _is_frame(frame):
                raise refuse(f"price_schedule[{name!r}]", "a DataFrame", type(frame).__name__)
            extra[name] = _float_array(
                frame.reindex(index=close.index, columns=close.columns), f"price_schedule[{name!r}]"
            )
    return Schedule(
        tuple(str(c) for c in close.columns),
        close.index,
        _float_array(w, "weight_schedule"),
        _float_array(close, "price_schedule"),
        **extra,
    )


def _bar_fields(value: Any) -> tuple[Any, Any, Any, Any] | None:
    if isinstance(value, int | float | np.number):
        return None
    if isinstance(value, tuple | list) and len(value) == 4:
        return tuple(value)  # type: ignore[return-value]
    if hasattr(value, "close") and hasattr(value, "open"):
        return value.open, value.high, value.low, value.close
    return None


def _from_rows(weight_rows: Any, price_rows: Sequence[Any], whole: bool) -> Schedule:
    if isinstance(weight_rows, str | bytes) or not isinstance(weight_rows, Sequence):
        raise refuse("weight_schedule", "rows of (symbol, weight) pairs", type(weight_rows))
    n_bars = len(price_rows)
    if len(weight_rows) != n_bars:
        raise refuse("weight_schedule", f"{n_bars} rows (one per price row)", len(weight_rows))
    column: dict[Any, int] = {}
    names: list[str] = []
    cells: list[tuple[np.ndarray, np.ndarray]] = []
    ohlc: dict[tuple[int, int], tuple[Any, Any, Any, Any]] = {}

    def col(name: Any, field: str) -> int:
        try:
            j = column.get(name)
        except TypeError:  # unhashable: a list, a dict...
            raise refuse(field, "valid symbols", name) from None
        if j is None:
            try:
                sym = Symbol(name)
            except (TypeError, ValueError):
                raise refuse(field, "valid symbols", name) from None
            j = column.get(str(sym))
            if j is None:
                j = column[str(sym)] = len(names)
                names.append(str(sym))
            column[name] = j
        return j

    last: list[Any] = [None, None]  # the previous row's symbols and their columns

    def fast(row: Any, field: str, integral: bool) -> tuple[np.ndarray, np.ndarray] | None:
        # the common case in C loops: a list of (str, number) pairs with known symbols, often
        # the same symbols in the same order as the row before
        if not row:
            return np.zeros(0, np.int64), np.zeros(0)
        try:
            keys, values = zip(*row, strict=True)
            if keys == last[0]:
                idx = last[1]
            else:
                idx = np.array(list(map(column.__getitem__, keys)), dtype=np.int64)
                if len(set(keys)) != len(keys):
                    return None
                last[0], last[1] = keys, idx
        except (TypeError, ValueError, KeyError):
            return None
        arr = np.array(values)
        if arr.ndim != 1 or arr.dtype.kind not in ("iu" if integral else "iuf"):
            return None
        if integral and arr.min() <= 0:
            return None
        if not integral and not np.isfinite(arr).all():
            return None
        return idx, arr.astype(np.float64)

    price_cells = []
    for t, row in enumerate(price_rows):
        field = f"price_schedule[{t}]"
        got = None if isinstance(row, Mapping) else fast(row, field, whole)
        if got is None:
            cols, vals = [], []
            for pair in _iter_pairs(row, field):
                name, value = pair
                j = col(name, field)
                bar = _bar_fields(value)
                if bar is not None:
                    ohlc[(t, j)] = bar
                    value = bar[3]
                cols.append(j)
                vals.append(value)
            got = _cells(cols, vals, field, prices=True, whole=whole)
        price_cells.append(got)
    for t, row in enumerate(weight_rows):
        field = f"weight_schedule[{t}]"
        got = None if isinstance(row, Mapping) else fast(row, field, False)
        if got is None:
            cols, vals = [], []
            for name, value in _iter_pairs(row, field):
                cols.append(col(name, field))
                vals.append(value)
            got = _cells(cols, vals, field, prices=False, whole=False)
        cells.append(got)
    order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    n = len(names)
    close = np.full((n_bars, n), np.nan)
    weights = np.full((n_bars, n), np.nan)
    for t, (cols, vals) in enumerate(price_cells):
        close[t, rank[cols]] = vals
    for t, (cols, vals) in enumerate(cells):
        weights[t] = 0.0
        weights[t, rank[cols]] = vals
    extra = {}
    if ohlc:
        for k, name in enumerate(_FIELDS):
            arr = np.full((n_bars, n), np.nan)
            for (t, j), bar in ohlc.items():
                value = _price_value(bar[k], f"price_schedule[{t}][{names[j]!r}].{name}", whole)
                arr[t, rank[j]] = value
            extra[name] = arr
    return Schedule(tuple(names[j] for j in order), None, weights, close, **extra)


def _iter_pairs(row: Any, field: str) -> Any:
    if isinstance(row, Mapping):
        return row.items()
    if isinstance(row, str | bytes) or not isinstance(row, Sequence):
        raise refuse(field, "a list of (symbol, value) pairs", type(row).__name__)
    for pair in row:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise refuse(field, "(symbol, value) pairs", pair)
    return row


def _price_value(value: Any, field: str, whole: bool) -> float:
    if whole:
        expected = "a positive integer price (ticks; or pass tick_size)"
        return float(check_int(value, field, lo=1, hi=MAX_PRICE, expected=expected))
    expected = "a positive finite price"
    return check_float(value, field, lo=0.0, lo_open=True, expected=expected)


def _cells(cols: list[int], vals: list[Any], field: str, prices: bool, whole: bool):
    idx = np.array(cols, dtype=np.int64)
    if len(set(cols)) != len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise refuse(field, "each symbol once", dup)
    if prices:
        return idx, np.array([_price_value(v, field, whole) for v in vals], dtype=np.float64)
    return idx, np.array([check_weight(v, field) for v in vals], dtype=np.float64)


def _check_prices(s: Schedule, tick: float | None) -> None:
    """Prices in ticks: positive, finite, at most MAX_PRICE, whole without a tick size."""
    s.tick_size = tick
    for name in ("close", *_FIELDS):
        arr = getattr(s, name)
        if arr is None:
            continue
        if tick is not None and tick != 1.0:
            with np.errstate(over="ignore"):
                arr = arr / tick
            setattr(s, name, arr)
        field = "price_schedule" if name == "close" else f"price_schedule[{name!r}]"
        given = ~np.isnan(arr)
        bad = given & ~((arr > 0) & (arr <= MAX_PRICE))
        if bad.any():
            t, j = np.argwhere(bad)[0]
            raise refuse(
                field,
                f"positive prices of at most {MAX_PRICE} ticks, or NaN",
                f"{arr[t, j]} at bar {t}, {s.symbols[j]}",
            )
        if tick is None:
            bad = given & (arr != np.floor(arr))
            if bad.any():
                t, j = np.argwhere(bad)[0]
                raise refuse(
                    field,
                    "whole ticks (prices in dollars? pass tick_size=0.01)",
                    f"{arr[t, j]} at bar {t}, {s.symbols[j]}",
                )
    bad = np.abs(s.weights) > MAX_WEIGHT  # NaN compares False: no rebalance
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise refuse(
            "weight_schedule",
            f"finite weights within +-{MAX_WEIGHT:g}, or NaN",
            f"{s.weights[t, j]} at bar {t}, {s.symbols[j]}",
        )
