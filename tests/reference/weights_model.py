"""A tiny, obviously-correct model of the weight-schedule backtest, for differential tests.

Plain Python and numpy, one bar and one order at a time, written from the rules in
``tickbook.backtest`` (not from its kernel):

- at each bar, a row of target weights (NaN: leave that holding alone; an all-NaN row: no
  rebalance) is traded at the bar's close, or at the next bar's open;
- the equity used for the targets is cash plus holdings at the trade prices (the last known
  price for a symbol with none at this bar); a symbol without a price now is not traded;
- sells go first; buys go smallest first and the one that runs out of cash is cut to what is
  left (unless that is under a billionth of the order), paying ``fee`` (a fraction) on
  every traded value;
- with ``step`` > 0, every order rounds toward zero to a multiple of ``step``;
- stops (fractions; 0 is off) exit a position when the bar's low (high for shorts; the close
  without OHLC) reaches the fixed level from the entry price or the trailing level from the
  best price since entry, at the level (or the open if the bar gapped through it; the close
  without OHLC), and keep the symbol out of that bar's rebalance.
"""

from __future__ import annotations

import math

import numpy as np


def _floor(x: float, step: float) -> float:
    if step <= 0:
        return x
    return math.copysign(math.floor(abs(x) / step + 1e-9) * step, x)


class WeightsModel:
    def __init__(self, n, cash, fee=0.0, step=0.0, fixed=0.0, trailing=0.0):
        self.cash = float(cash)
        self.qty = [0.0] * n
        self.last = [math.nan] * n
        self.entry = [math.nan] * n
        self.best = [math.nan] * n
        self.fee, self.step, self.fixed, self.trailing = fee, step, fixed, trailing
        self.events = []
        self.log = []  # per rebalance: (cash before any order, value of the buys)

    def value(self, prices):
        total = self.cash
        for i, q in enumerate(self.qty):
            p = prices[i] if not math.isnan(prices[i]) else self.last[i]
            if q != 0:
                total += q * p
        return total

    def _filled(self, i, d, p):
        q0, q1 = self.qty[i], self.qty[i] + d
        if q0 == 0 or q0 * q1 < 0:
            self.entry[i] = self.best[i] = p
        elif abs(q1) > abs(q0):
            self.entry[i] = (self.entry[i] * abs(q0) + p * abs(d)) / abs(q1)
            self.best[i] = max(self.best[i], p) if q1 > 0 else min(self.best[i], p)
        if q1 == 0:
            self.entry[i] = self.best[i] = math.nan
        self.qty[i] = q1

    def rebalance(self, weights, prices, blocked):
        equity = self.value(prices)
        orders = []
        for i, w in enumerate(weights):
            p = prices[i]
            if math.isnan(w) or math.isnan(p) or i in blocked:
                continue
            target = w * equity / p if equity > 0 else 0.0
            d = _floor(target - self.qty[i], self.step)
            if d != 0:  # buys are ranked by target value - current value, as vectorbt does
                orders.append((w * equity - self.qty[i] * p, i, d))
        self.log.append((self.cash, sum(o[0] for o in orders if o[2] > 0)))
        sells = [o for o in orders if o[2] < 0]
        buys = sorted((o for o in orders if o[2] > 0), key=lambda o: (o[0], o[1]))
        for _, i, d in sells:
            p = prices[i]
            self.cash += -d * p * (1 - self.fee)
            self._filled(i, d, p)
        for _, i, d in buys:
            p = prices[i]
            if d * p * (1 + self.fee) > self.cash:
                if self.cash <= 1e-9 * d * p:  # dust: skipped
                    continue
                d = _floor(self.cash / (p * (1 + self.fee)), self.step)
                if d <= 0:
                    continue
            self.cash -= d * p * (1 + self.fee)
            self._filled(i, d, p)

    def stops(self, t, o, h, lo, c):
        stopped = set()
        for i, q in enumerate(self.qty):
            if q == 0 or math.isnan(c[i]):
                continue
            long = q > 0
            levels = []
            if self.fixed:
                levels.append((self.entry[i] * (1 - self.fixed if long else 1 + self.fixed), 1))
            if self.trailing:
                levels.append(
                    (self.best[i] * (1 - self.trailing if long else 1 + self.trailing), 2)
                )
            if levels:
                level, reason = (max if long else min)(levels, key=lambda x: x[0])
                worst = (lo if long else h)[i] if lo is not None else c[i]
                if (worst <= level) if long else (worst >= level):
                    if lo is None:
                        price = c[i]
                    elif o is not None and not math.isnan(o[i]):
                        price = min(o[i], level) if long else max(o[i], level)
                    else:
                        price = level
                    self.cash += q * price - abs(q) * price * self.fee
                    self._filled(i, -q, price)
                    self.events.append((t, i, level, price, reason))
                    stopped.add(i)
                    continue
            best = (h if long else lo)[i] if lo is not None else c[i]
            self.best[i] = max(self.best[i], best) if long else min(self.best[i], best)
        return stopped


def simulate(
    weights,
    close,
    cash,
    fee=0.0,
    step=0.0,
    timing="close",
    open_=None,
    high=None,
    low=None,
    fixed=0.0,
    trailing=0.0,
):
    """Return (equity per bar, final cash, final quantities, stop events, rebalance log)."""
    weights = np.asarray(weights, float)
    close = np.asarray(close, float)
    T, N = close.shape
    m = WeightsModel(N, cash, fee, step, fixed, trailing)
    equity = np.empty(T)
    for t in range(T):
        c = list(close[t])
        o = None if open_ is None else list(open_[t])
        h = None if high is None else list(high[t])
        lo = None if low is None else list(low[t])
        if timing == "next_open" and t > 0 and not np.isnan(weights[t - 1]).all():
            m.rebalance(list(weights[t - 1]), o, set())
        stopped = m.stops(t, o, h, lo, c) if (fixed or trailing) else set()
        for i in range(N):
            if not math.isnan(c[i]):
                m.last[i] = c[i]
        if timing == "close" and not np.isnan(weights[t]).all():
            m.rebalance(list(weights[t]), c, stopped)
        equity[t] = m.value([math.nan] * N)
    return equity, m.cash, np.array(m.qty), m.events, m.log
