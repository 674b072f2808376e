"""Numba kernels of the portfolio: order planning and the series behind the metrics.

Contract: plain functions over numpy arrays and scalars, compiled with ``cache=True`` and
``nogil=True``; they write into the ``out`` arrays they are given and never raise for user
input (the Python wrappers validate first).

``tickbook.backtest._kernels`` calls ``plan_orders``: Numba's on-disk cache does not notice
changes to a callee in another file, so after editing this module clear the caches
(``__pycache__/*.nbi``, ``*.nbc``) of both packages.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "drawdown",
    "floor_step",
    "plan_orders",
]


@njit(cache=True, nogil=True)
def floor_step(x, step):
    """Round ``x`` toward zero to a multiple of ``step``; 0 step: as is."""
    if step <= 0.0:
        return x
    if x >= 0.0:
        return np.floor(x / step + 1e-9) * step
    return -np.floor(-x / step + 1e-9) * step


@njit(cache=True, nogil=True)
def plan_orders(
    qty,
    price,
    target,
    equity,
    step,
    band_bps,
    min_value,
    max_value,
    max_trades,
    max_notional,
    delta,
    drift,
    value_out,
    order,
):
    """Turn target weights into order quantities; return ``(n_sells, n_buys)``.

    ``qty`` holds shares, ``price`` the trade price (NaN or <= 0: not tradable now), ``target``
    the weights (NaN: leave the holding alone). Writes ``delta`` (shares to trade, rounded
    toward zero to ``step``; 0 for no order), ``drift`` (|target - current weight|),
    ``value_out`` (target value - current value: the order's size in cents before rounding,
    the key buys are ranked by) and ``order``: the sells in symbol order, then the buys in
    symbol order. Caps keep the largest drifts (ties: lower index first).
    """
    n = qty.shape[0]
    count = 0
    for i in range(n):
        delta[i] = 0.0
        drift[i] = 0.0
        value_out[i] = 0.0
        w = target[i]
        p = price[i]
        if np.isnan(w) or not (p > 0.0):
            continue
        if equity > 0.0:
            tq = w * equity / p
            cur_w = qty[i] * p / equity
        else:  # nothing left to allocate: wind the book down
            tq = 0.0
            cur_w = 0.0
        # orders round toward zero to the step, so they never go past the target
        d = floor_step(tq - qty[i], step)
        if d == 0.0:
            continue
        dw = abs(w - cur_w)
        if band_bps > 0.0 and dw * 1e4 <= band_bps:
            continue
        value = abs(d) * p
        if min_value > 0.0 and value < min_value:
            continue
        if max_value > 0.0 and value > max_value:
            m = floor_step(max_value / p, step)
            if m <= 0.0:
                continue
            d = m if d > 0.0 else -m
        delta[i] = d
        drift[i] = dw
        value_out[i] = w * equity - qty[i] * p if equity > 0.0 else d * p
        order[count] = i
        count += 1
    if (max_trades >= 0 and count > max_trades) or max_notional > 0.0:
        keys = np.empty(count)
        for k in range(count):
            keys[k] = -drift[order[k]]
        rank = np.argsort(keys, kind="mergesort")
        budget = max_notional
        for r in range(count):
            i = order[rank[r]]
            if max_trades >= 0 and r >= max_trades:
                delta[i] = 0.0
                continue
            if max_notional > 0.0:
                value = abs(delta[i]) * price[i]
                if value <= budget:
                    budget -= value
                else:
                    m = floor_step(budget / price[i], step)
                    budget = 0.0
                    delta[i] = 0.0 if m <= 0.0 else (m if delta[i] > 0.0 else -m)
    n_sell = 0
    n_buy = 0
    for i in range(n):
        if delta[i] < 0.0:
            n_sell += 1
        elif delta[i] > 0.0:
            n_buy += 1
    s = 0
    b = n_sell
    for i in range(n):
        if delta[i] < 0.0:
            order[s] = i
            s += 1
        elif delta[i] > 0.0:
            order[b] = i
            b += 1
    return n_sell, n_buy


@njit(cache=True, nogil=True)
def drawdown(returns, out):
    """Write the drawdown (equity / running peak - 1, <= 0) after each return into ``out``."""
    equity = 1.0
    peak = 1.0
    for t in range(returns.shape[0]):
        equity *= 1.0 + returns[t]
        if equity > peak:
            peak = equity
        out[t] = equity / peak - 1.0
