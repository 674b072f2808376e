"""Numba kernel of the weight-schedule backtest: one pass over the bars, no Python inside.

Arrays are (bars, symbols), float64, C-contiguous. Prices are NaN where a symbol has no price
in a bar; weights are NaN where the schedule leaves a holding alone. ``simulate`` compiles
with ``nogil=True``, so threads can run backtests side by side.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tickbook.portfolio._kernels import floor_step, plan_orders

__all__ = [
    "FILL_CLOSE",
    "FILL_NEXT_OPEN",
    "REASON_FIXED",
    "REASON_TRAILING",
    "SIM_RULES_DTYPE",
    "STOP_EVENT_DTYPE",
    "simulate",
]

FILL_CLOSE = 0  #: orders fill at the close of the bar whose weights they follow
FILL_NEXT_OPEN = 1  #: orders fill at the open of the next bar
REASON_FIXED = 1  #: a stop at a fixed distance from the entry price
REASON_TRAILING = 2  #: a stop trailing the best price since entry

#: Everything ``simulate`` is told besides the arrays: one record (a 1-element array).
SIM_RULES_DTYPE = np.dtype(
    [
        ("timing", np.int64),  #: FILL_CLOSE or FILL_NEXT_OPEN
        ("cash", np.float64),  #: initial cash, ticks
        ("fee", np.float64),  #: commission, a fraction of the traded value
        ("slip", np.float64),  #: slippage, a fraction of the price
        ("min_fee", np.float64),  #: minimum commission per order, ticks
        ("step", np.float64),  #: share step (0: continuous)
        ("band_bps", np.float64),  #: no-trade band, basis points of weight
        ("min_value", np.float64),  #: smallest order, ticks (0: none)
        ("max_value", np.float64),  #: largest order, ticks (0: none)
        ("max_trades", np.int64),  #: orders per rebalance (-1: no cap)
        ("max_notional", np.float64),  #: value traded per rebalance, ticks (0: no cap)
        ("fixed", np.float64),  #: fixed stop distance, a fraction (0: none)
        ("trailing", np.float64),  #: trailing stop distance, a fraction (0: none)
        ("cooldown", np.int64),  #: bars a stopped symbol sits out after its stop's bar
    ]
)

#: One stop that fired: its bar, the symbol's column, its level, the fill price and why.
STOP_EVENT_DTYPE = np.dtype(
    [
        ("period", np.int64),
        ("symbol", np.int64),
        ("trigger", np.float64),
        ("exit", np.float64),
        ("reason", np.int8),  #: REASON_FIXED or REASON_TRAILING
    ]
)


@njit(cache=True, nogil=True)
def _on_fill(i, d, price, qty, entry, best):
    """Move holding ``i`` by ``d`` shares at ``price``; keep its entry VWAP and best price."""
    q0 = qty[i]
    q1 = q0 + d
    if q0 == 0.0 or q0 * q1 < 0.0:
        entry[i] = price
        best[i] = price
    elif abs(q1) > abs(q0):
        entry[i] = (entry[i] * abs(q0) + price * abs(d)) / abs(q1)
        if q1 > 0.0:
            best[i] = max(best[i], price)
        else:
            best[i] = min(best[i], price)
    if q1 == 0.0:
        entry[i] = np.nan
        best[i] = np.nan
    qty[i] = q1


@njit(cache=True, nogil=True)
def _fee(value, fee, min_fee):
    f = value * fee
    if min_fee > 0.0 and f < min_fee:
        return min_fee
    return f


@njit(cache=True, nogil=True)
def _buy(i, d, px, cash, r, traded, paid, qty, entry, best):
    """Buy ``d`` shares of ``i``, or what the cash pays for; return (cash, traded, paid)."""
    fee = r.fee
    min_fee = r.min_fee
    step = r.step
    pe = px[i] * (1.0 + r.slip)
    value = d * pe
    f = _fee(value, fee, min_fee)
    if value + f > cash:
        # what is left would buy dust (under a billionth of the order): skip it
        if cash <= min_fee or cash <= 1e-9 * value:
            return cash, traded, paid
        d = cash / (pe * (1.0 + fee))
        if min_fee > 0.0 and d * pe * fee < min_fee:
            d = (cash - min_fee) / pe
        d = floor_step(d, step)
        if d <= 0.0:
            return cash, traded, paid
        value = d * pe
        f = _fee(value, fee, min_fee)
    _on_fill(i, d, pe, qty, entry, best)
    return cash - value - f, traded + value, paid + f


@njit(cache=True, nogil=True)
def _execute(order, n_sell, n_buy, delta, okey, px, cash, r, qty, entry, best):
    """Fill the planned orders at ``px``: sells, then buys (as if smallest first).

    Returns (cash, traded value, fees paid).
    """
    fee = r.fee
    slip = r.slip
    min_fee = r.min_fee
    traded = 0.0
    paid = 0.0
    for k in range(n_sell):
        i = order[k]
        d = delta[i]
        pe = px[i] * (1.0 - slip)
        value = -d * pe
        f = _fee(value, fee, min_fee)
        cash += value - f
        traded += value
        paid += f
        _on_fill(i, d, pe, qty, entry, best)
    if n_buy == 0:
        return cash, traded, paid
    need = 0.0
    for k in range(n_sell, n_sell + n_buy):
        i = order[k]
        value = delta[i] * px[i] * (1.0 + slip)
        need += value + _fee(value, fee, min_fee)
    # Going smallest first, the buys that the cash cannot cover in full are the largest: set
    # them aside from the top (ties: the later symbol goes later) until the rest fit, fill the
    # rest, then the set-aside ones smallest first with what is left (the first is cut, the
    # others get dust or, with whole shares, what the change still buys). Usually one or two
    # are set aside, so a few passes over the buys do; past 8, one sort does the rest.
    n_aside = 0
    aside = order[:0]
    if need > cash:
        aside = np.empty(n_buy, dtype=np.int64)
    while need > cash and n_aside < 8 and n_aside < n_buy:
        top = -1
        top_value = -np.inf
        for k in range(n_sell, n_sell + n_buy):
            i = order[k]
            if i >= 0 and okey[i] >= top_value:
                top = k
                top_value = okey[i]
        i = order[top]
        value = delta[i] * px[i] * (1.0 + slip)
        need -= value + _fee(value, fee, min_fee)
        aside[n_aside] = i
        n_aside += 1
        order[top] = -1 - i
    if need > cash and n_aside < n_buy:
        keys = np.empty(n_buy - n_aside)
        slots = np.empty(n_buy - n_aside, dtype=np.int64)
        m = 0
        for k in range(n_sell, n_sell + n_buy):
            if order[k] >= 0:
                keys[m] = okey[order[k]]
                slots[m] = k
                m += 1
        rank = np.argsort(keys, kind="mergesort")
        for pos in range(m - 1, -1, -1):
            if need <= cash:
                break
            k = slots[rank[pos]]
            i = order[k]
            value = delta[i] * px[i] * (1.0 + slip)
            need -= value + _fee(value, fee, min_fee)
            aside[n_aside] = i
            n_aside += 1
            order[k] = -1 - i
    for k in range(n_sell, n_sell + n_buy):
        i = order[k]
        if i >= 0:
            cash, traded, paid = _buy(i, delta[i], px, cash, r, traded, paid, qty, entry, best)
    for k in range(n_aside - 1, -1, -1):
        i = aside[k]
        cash, traded, paid = _buy(i, delta[i], px, cash, r, traded, paid, qty, entry, best)
    return cash, traded, paid


@njit(cache=True, nogil=True)
def _stops(t, open_, high, low, close, cash, r, qty, entry, best, blocked_until, events, n_events):
    """Exit the holdings whose stop this bar reaches and record each event.

    Returns (cash, n_events, traded value, fees paid).
    """
    n_bars = close.shape[0]
    has_open = open_.shape[0] == n_bars
    has_range = low.shape[0] == n_bars and high.shape[0] == n_bars
    fixed = r.fixed
    trailing = r.trailing
    slip = r.slip
    traded = 0.0
    paid = 0.0
    cap = events.shape[0]
    for i in range(qty.shape[0]):
        q = qty[i]
        c = close[t, i]
        if q == 0.0 or np.isnan(c):
            continue
        long = q > 0.0
        level = -np.inf if long else np.inf
        reason = 0
        if fixed > 0.0:
            level = entry[i] * (1.0 - fixed) if long else entry[i] * (1.0 + fixed)
            reason = REASON_FIXED
        if trailing > 0.0:
            lv = best[i] * (1.0 - trailing) if long else best[i] * (1.0 + trailing)
            if (long and lv > level) or (not long and lv < level):
                level = lv
                reason = REASON_TRAILING
        if has_range:
            worst = low[t, i] if long else high[t, i]
            if np.isnan(worst):
                worst = c
        else:
            worst = c
        if (long and worst <= level) or (not long and worst >= level):
            if not has_range:
                price = c
            elif has_open and not np.isnan(open_[t, i]):
                price = min(open_[t, i], level) if long else max(open_[t, i], level)
            else:
                price = level
            pe = price * (1.0 - slip) if long else price * (1.0 + slip)
            value = abs(q) * pe
            f = _fee(value, r.fee, r.min_fee)
            cash += q * pe - f
            traded += value
            paid += f
            _on_fill(i, -q, pe, qty, entry, best)
            blocked_until[i] = t + 1 + r.cooldown
            if n_events < cap:
                ev = events[n_events]
                ev.period = t
                ev.symbol = i
                ev.trigger = level
                ev.exit = price
                ev.reason = reason
            n_events += 1
            continue
        if has_range:
            b = high[t, i] if long else low[t, i]
            if np.isnan(b):
                b = c
        else:
            b = c
        if long:
            best[i] = max(best[i], b)
        else:
            best[i] = min(best[i], b)
    return cash, n_events, traded, paid


@njit(cache=True, nogil=True)
def _rebalance(row, px, target, cash, last, blocked_until, t, r, qty, entry, best, work):
    """Trade to the weights ``row`` at prices ``px``; return (cash, traded value, fees)."""
    delta, drift, okey, order = work
    value = cash
    for i in range(qty.shape[0]):
        target[i] = row[i] if t >= blocked_until[i] else np.nan
        if qty[i] != 0.0:
            p = px[i]
            value += qty[i] * (p if p == p else last[i])
    n_sell, n_buy = plan_orders(
        qty, px, target, value, r.step, r.band_bps, r.min_value, r.max_value,
        r.max_trades, r.max_notional, delta, drift, okey, order,
    )  # fmt: skip
    return _execute(order, n_sell, n_buy, delta, okey, px, cash, r, qty, entry, best)


@njit(cache=True, nogil=True)
def _liquidate(last, cash, r, qty, entry, best):
    """Close every holding at its last price (the book is ruined); return (cash, traded, fees)."""
    traded = 0.0
    paid = 0.0
    for i in range(qty.shape[0]):
        q = qty[i]
        if q == 0.0:
            continue
        pe = last[i] * (1.0 - r.slip) if q > 0.0 else last[i] * (1.0 + r.slip)
        value = abs(q) * pe
        f = _fee(value, r.fee, r.min_fee)
        cash += q * pe - f
        traded += value
        paid += f
        _on_fill(i, -q, pe, qty, entry, best)
    return cash, traded, paid


@njit(cache=True, nogil=True)
def simulate(weights, active, close, open_, high, low, rules, out, holdings, sym_ret, qty, events):
    """Run the backtest over every bar; return (final cash, stop events, ruined bar or -1).

    ``rules`` is a 1-element ``SIM_RULES_DTYPE`` array. Writes ``out`` (columns equity,
    traded value, fees: (bars, 3)), ``holdings`` (weights after each bar), the symbols'
    close-to-close returns ``sym_ret`` and the final quantities ``qty``.

    ``active[t]`` says whether row ``t`` of ``weights`` holds any target. ``open_``, ``high``
    and ``low`` may be empty (0, 0) arrays when not given. Stop events beyond the capacity of
    ``events`` (``STOP_EVENT_DTYPE``) are counted, not written. Ruin: when a bar closes with
    the equity at or below zero, every holding is closed at its last price and nothing
    trades after that bar.
    """
    r = rules[0]
    n_bars, n = close.shape
    use_stops = r.fixed > 0.0 or r.trailing > 0.0
    cash = r.cash
    last = np.full(n, np.nan)
    entry = np.full(n, np.nan)
    best = np.full(n, np.nan)
    blocked_until = np.zeros(n, dtype=np.int64)
    work = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64))
    target = np.empty(n)
    n_events = 0
    ruined = -1
    qty[:] = 0.0
    for t in range(n_bars):
        tv = 0.0
        fp = 0.0
        live = ruined < 0
        if live and r.timing == FILL_NEXT_OPEN and t > 0 and active[t - 1]:
            cash, tv, fp = _rebalance(
                weights[t - 1], open_[t], target, cash, last, blocked_until, t, r, qty, entry,
                best, work,
            )  # fmt: skip
        if live and use_stops:
            cash, n_events, tv2, fp2 = _stops(
                t, open_, high, low, close, cash, r, qty, entry, best, blocked_until, events,
                n_events,
            )  # fmt: skip
            tv += tv2
            fp += fp2
        for i in range(n):
            c = close[t, i]
            sym_ret[t, i] = c / close[t - 1, i] - 1.0 if t > 0 else np.nan
            if not np.isnan(c):
                last[i] = c
        if live and r.timing == FILL_CLOSE and active[t]:
            cash, tv2, fp2 = _rebalance(
                weights[t], close[t], target, cash, last, blocked_until, t, r, qty, entry,
                best, work,
            )  # fmt: skip
            tv += tv2
            fp += fp2
        value = _equity(cash, qty, last)
        if live and value <= 0.0:
            ruined = t
            cash, tv2, fp2 = _liquidate(last, cash, r, qty, entry, best)
            tv += tv2
            fp += fp2
            value = cash
        out[t, 0] = value
        out[t, 1] = tv
        out[t, 2] = fp
        inv = 1.0 / value if value != 0.0 else 0.0
        for i in range(n):
            holdings[t, i] = qty[i] * last[i] * inv if qty[i] != 0.0 else 0.0
    return cash, n_events, ruined


@njit(cache=True, nogil=True)
def _equity(cash, qty, last):
    value = cash
    for i in range(qty.shape[0]):
        if qty[i] != 0.0:
            value += qty[i] * last[i]
    return value
