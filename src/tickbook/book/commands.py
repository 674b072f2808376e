"""Commands for the batch entry point (``Exchange.submit_batch``) and the event log.

A command is one row of ``COMMAND_DTYPE``: ``kind``, ``side``, ``tif``, ``flags``, ``owner``,
``price``, ``qty`` and ``ref``. What ``price``/``qty``/``ref`` mean depends on the kind:

================  ============  ==============  ==========================================
kind              price         qty             ref
================  ============  ==============  ==========================================
LIMIT             limit price   quantity        display quantity (iceberg), 0 for none
MARKET            (unused)      quantity        (unused)
CANCEL            (unused)      (unused)        order id
MODIFY            new price     new quantity    order id
REDUCE            (unused)      new quantity    order id
STOP_MARKET       (unused)      quantity        stop price
STOP_LIMIT        limit price   quantity        stop price
TRAIL_MARKET/...  limit price   quantity        initial stop price; next row TRAIL_PARAMS
TRAIL_PARAMS      trail value   ATR period      trail method (1 fixed, 2 percent, 3 ATR)
CLEAR_HISTORY     (unused)      (unused)        (unused)
================  ============  ==============  ==========================================
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from tickbook.book import _layout as lay
from tickbook.core import ValidationError

__all__ = ["COMMAND_DTYPE", "CommandKind", "check_commands", "make_commands"]

COMMAND_DTYPE = lay.COMMAND_DTYPE


class CommandKind(enum.IntEnum):
    """The ``kind`` of a command row."""

    LIMIT = lay.K_LIMIT
    MARKET = lay.K_MARKET
    CANCEL = lay.K_CANCEL
    MODIFY = lay.K_MODIFY
    REDUCE = lay.K_REDUCE
    STOP_MARKET = lay.K_STOP_MARKET
    STOP_LIMIT = lay.K_STOP_LIMIT
    TRAIL_MARKET = lay.K_TRAIL_MARKET
    TRAIL_LIMIT = lay.K_TRAIL_LIMIT
    TRAIL_PARAMS = lay.K_TRAIL_PARAMS
    CLEAR_HISTORY = lay.K_CLEAR_HISTORY


def make_commands(
    kind: Any,
    side: Any = 0,
    price: Any = 0,
    qty: Any = 0,
    ref: Any = 0,
    tif: Any = 0,
    owner: Any = 0,
    flags: Any = 0,
) -> np.ndarray:
    """Build a command array from scalars or equal-length arrays (broadcast like numpy).

    A column that is not integers, or whose length differs from the others (other than a
    scalar or length 1), raises ``ValidationError`` naming it.
    """
    names = ("kind", "side", "price", "qty", "ref", "tif", "owner", "flags")
    arrays = []
    for name, value in zip(names, (kind, side, price, qty, ref, tif, owner, flags), strict=True):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError, OverflowError):
            array = None
        if array is None or array.ndim > 1:
            raise ValidationError(
                f"invalid `{name}`: expected an integer or a 1-D array of integers",
                field=name,
                value=getattr(array, "shape", type(value).__name__),
            )
        arrays.append(array)
    lengths = {a.shape[0] for a in arrays if a.ndim == 1 and a.shape[0] != 1}
    if len(lengths) > 1:
        first = next(a.shape[0] for a in arrays if a.ndim == 1 and a.shape[0] != 1)
        name, bad = next(
            (n, a.shape[0])
            for n, a in zip(names, arrays, strict=True)
            if a.ndim == 1 and a.shape[0] not in (1, first)
        )
        raise ValidationError(
            f"invalid `{name}`: length {bad} differs from the other columns' length {first}",
            field=name,
            value=bad,
        )
    columns = np.broadcast_arrays(*arrays)
    out = np.zeros(columns[0].shape or (1,), COMMAND_DTYPE)
    for name, column in zip(names, columns, strict=True):
        if column.dtype.kind not in "iub":
            raise ValidationError(
                f"invalid `{name}`: expected integers, got dtype {column.dtype}",
                field=name,
                value=str(column.dtype),
            )
        limits = np.iinfo(COMMAND_DTYPE[name])
        if column.size and (column.min() < limits.min or column.max() > limits.max):
            bad = column[(column < limits.min) | (column > limits.max)].flat[0].item()
            raise ValidationError(
                f"invalid `{name}`: expected integers in [{limits.min}, {limits.max}], got {bad}",
                field=name,
                value=bad,
            )
        out[name] = column.reshape(out.shape)
    return out


def check_commands(commands: Any) -> np.ndarray:
    """Return ``commands`` as a contiguous 1-D ``COMMAND_DTYPE`` array, or refuse it."""
    if not isinstance(commands, np.ndarray) or commands.dtype != COMMAND_DTYPE:
        got = getattr(commands, "dtype", type(commands).__name__)
        raise ValidationError(
            f"invalid `commands`: expected a numpy array of COMMAND_DTYPE, got {got}",
            field="commands",
            value=str(got),
        )
    if commands.ndim != 1:
        raise ValidationError(
            f"invalid `commands`: expected a 1-D array, got shape {commands.shape}",
            field="commands",
            value=commands.shape,
        )
    return np.ascontiguousarray(commands)
