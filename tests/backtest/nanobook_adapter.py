"""Map the reference API (``cost_bps``, prices as ticks) onto nanobook 0.19's.

nanobook 0.19 on PyPI no longer takes the documented ``cost_bps``: it wants
``cost_model=CostModel(...)``, ``fill_policy=FillPolicy.SignalBarClose`` and prices as
``(symbol, BarPrices(open, high, low, close))``. These helpers build its inputs from arrays,
so the tests run the same schedule through both.
"""

from __future__ import annotations

import numpy as np
import pytest


def rows_from_arrays(weights, close, symbols):
    """(weight rows, price rows) in the reference shape; NaN prices are left out.

    A row is the whole target book there, so the weights must be a full row at every bar
    (carry the last targets forward for bars without a rebalance).
    """
    if np.isnan(weights).any():
        raise ValueError("row input needs a full target row at every bar")
    weight_rows = []
    price_rows = []
    for w, c in zip(weights.tolist(), close.tolist(), strict=True):
        weight_rows.append(list(zip(symbols, w, strict=True)))
        price_rows.append([(s, int(p)) for s, p in zip(symbols, c, strict=True) if p == p])
    return weight_rows, price_rows


def run_nanobook(
    weight_rows, price_rows, initial_cash, cost_bps, quantity_step=None, stop_cfg=None
):
    """Run nanobook's backtest_weights on reference-shaped rows (close-only bars).

    Skips the calling test (only it) when nanobook is not installed.
    """
    nanobook = pytest.importorskip("nanobook")
    bar = nanobook.BarPrices
    prices = [[(s, bar(p, p, p, p)) for s, p in row] for row in price_rows]
    kwargs = {} if quantity_step is None else {"quantity_step": quantity_step}
    return nanobook.backtest_weights(
        weight_rows,
        prices,
        initial_cash,
        nanobook.CostModel(commission_bps=cost_bps),
        nanobook.FillPolicy.SignalBarClose,
        stop_cfg=stop_cfg,
        **kwargs,
    )


def nanobook_equity(result) -> np.ndarray:
    """nanobook's equity per bar (its curve starts with the initial cash: dropped)."""
    return np.asarray(result["equity_curve"][1:], dtype=np.float64)
