"""``backtest_weights``: the bridge from a Python weight schedule to a compiled simulation.

Python computes target weights per bar; one Numba kernel (``_kernels.simulate``, GIL released)
trades the book to them bar by bar and returns the equity, holdings and stop events.

Timing. With ``fill="close"`` the weights of bar t trade at bar t's close (the signal bar);
with ``fill="next_open"`` they trade at bar t+1's open, and the last row never trades. The
equity of a bar is cash plus holdings at its close.

Missing prices. A symbol with no price in a bar is not traded in that bar and its holding is
valued at its last known price (a symbol that leaves the universe stays on the books at its
last price until a price comes back or the backtest ends). A target for a symbol that has
never had a price is ignored until it has one.

Cash. Sells go before buys. Buys go smallest first when the cash cannot pay for all of them,
so the largest is cut to what is left (this is vectorbt's ``call_seq="auto"``). There is no
borrowing: long buys are paid from cash, short sales add their proceeds to it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from tickbook.backtest._schedule import Schedule, to_schedule
from tickbook.core._checks import check_float, check_int, refuse
from tickbook.portfolio import CostModel, Metrics, RebalanceRules, compute_metrics

__all__ = ["BacktestResult", "FillTiming", "StopConfig", "StopEvent", "backtest_weights"]


class FillTiming(enum.IntEnum):
    """When a bar's target weights trade."""

    CLOSE = 0  #: at the close of the bar that produced them (nanobook's SignalBarClose)
    NEXT_OPEN = 1  #: at the open of the next bar (nanobook's NextBarOpen)

    @classmethod
    def parse(cls, value: Any) -> FillTiming:
        """Accept a member, its name in any case, or "signal_bar_close" / "next_bar_open"."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_")
            key = {"signal_bar_close": "close", "next_bar_open": "next_open"}.get(key, key)
            if key.upper() in cls.__members__:
                return cls[key.upper()]
        raise refuse("fill", "'close' or 'next_open'", value)


@dataclass(frozen=True, slots=True)
class StopConfig:
    """Stop-losses applied to every position of a weight-schedule backtest.

    Attributes:
        fixed_stop_pct: exit a long when the price falls this fraction below its entry
            price (VWAP of the fills that built it); a short when it rises as far above.
        trailing_stop_pct: exit a long when the price falls this fraction below the best
            price since entry (the highest high, or close without OHLC); shorts mirror it.
        cooldown: bars after the stop's bar during which the symbol is not re-entered.

    A stop is checked on each bar's low (high for shorts) when the schedule has OHLC prices
    and fills at its level, or at the open when the bar opened beyond it; with closes only,
    it is checked and filled at the close. The stopped symbol sits out the rest of the bar.
    """

    fixed_stop_pct: float | None = None
    trailing_stop_pct: float | None = None
    cooldown: int = 0

    def __post_init__(self) -> None:
        for name in ("fixed_stop_pct", "trailing_stop_pct"):
            value = getattr(self, name)
            if value is None:
                continue
            expected = "a fraction in (0, 1) or None"
            pct = check_float(value, name, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                              expected=expected)  # fmt: skip
            object.__setattr__(self, name, pct)
        check_int(self.cooldown, "cooldown", lo=0, hi=1 << 31, expected="an integer >= 0")

    @classmethod
    def from_any(cls, value: Any) -> StopConfig | None:
        """Accept ``None``, a ``StopConfig`` or a dict of its fields (unknown keys refused)."""
        if value is None or isinstance(value, StopConfig):
            return value
        if not isinstance(value, Mapping):
            raise refuse("stop_cfg", "None, a StopConfig or a dict", value)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(map(str, value)) - known)
        if unknown:
            raise refuse("stop_cfg", f"keys among {sorted(known)}", unknown)
        return cls(**value)


@dataclass(frozen=True, slots=True)
class StopEvent:
    """One stop that fired: the bar, the symbol, its level, the fill price and why."""

    period: int
    symbol: str
    trigger_price: float
    exit_price: float
    reason: str  # "fixed" or "trailing"


_RESULT_KEYS = (
    "returns",
    "equity_curve",
    "final_cash",
    "metrics",
    "holdings",
    "symbol_returns",
    "stop_events",
)


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    """What ``backtest_weights`` returns. Also readable as ``result["returns"]`` etc.

    Attributes:
        returns: return of each bar (equity over the previous bar's, the first over the
            initial cash), shape (bars,).
        equity_curve: equity at each bar's close, in cents (float: fractional shares and
            basis-point fees are not whole cents), shape (bars,).
        final_cash: cash at the end, in cents.
        metrics: ``Metrics`` of ``returns`` (``None`` for an empty schedule).
        holdings: weight of each symbol after each bar's trades, at the close, (bars, symbols).
        symbol_returns: close-to-close return of each symbol, NaN where either close is
            missing (so the whole first row), (bars, symbols).
        stop_events: the stops that fired, in order.
        symbols: column names; ``index``: the dates when DataFrames came in, else ``None``.
        traded_value, fees: value traded and fees paid in each bar, cents, (bars,).
        final_quantities: shares held at the end, (symbols,).
        ruined_at: the bar whose close found the equity at or below zero (the book was
            closed there and nothing traded after it), or ``None``.
        rules: the ``RebalanceRules`` the run used; ``tick_size``: the one it was given.
        warmup: bars before the first non-zero target weight trades (the strategy's
            warm-up: all cash); ``tear_sheet`` leaves them out of its statistics.
        periods_per_year, risk_free: what ``metrics`` were computed with.
    """

    returns: np.ndarray
    equity_curve: np.ndarray
    final_cash: float
    metrics: Metrics | None
    holdings: np.ndarray
    symbol_returns: np.ndarray
    stop_events: tuple[StopEvent, ...]
    symbols: tuple[str, ...]
    index: Any
    initial_cash: int
    traded_value: np.ndarray
    fees: np.ndarray
    final_quantities: np.ndarray
    ruined_at: int | None = None
    rules: RebalanceRules | None = None
    tick_size: float | None = None
    warmup: int = 0
    periods_per_year: float = 252.0
    risk_free: float = 0.0

    def __getitem__(self, key: str) -> Any:
        if key not in _RESULT_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> tuple[str, ...]:
        """The names readable with ``result[name]`` (the reference's dict keys)."""
        return _RESULT_KEYS

    def to_frame(self) -> Any:
        """Return a pandas DataFrame per bar: equity, returns, drawdown, traded value, fees."""
        import pandas as pd

        from tickbook.portfolio import drawdown_series

        return pd.DataFrame(
            {
                "equity": self.equity_curve,
                "returns": self.returns,
                "drawdown": drawdown_series(self.returns),
                "traded_value": self.traded_value,
                "fees": self.fees,
            },
            index=self.index,
        )

    def holdings_frame(self) -> Any:
        """Return ``holdings`` as a DataFrame (dates x symbols)."""
        import pandas as pd

        return pd.DataFrame(self.holdings, index=self.index, columns=list(self.symbols))

    def __repr__(self) -> str:
        return (
            f"BacktestResult(bars={len(self.returns)}, symbols={len(self.symbols)}, "
            f"final_equity={self.equity_curve[-1] if len(self.equity_curve) else math.nan:.0f}, "
            f"stop_events={len(self.stop_events)}, "
            + ("" if self.ruined_at is None else f"ruined_at={self.ruined_at} (equity <= 0), ")
            + f"metrics={self.metrics!r})"
        )


def _costs(cost_bps: Any) -> tuple[float, float, float]:
    """(fee fraction, slippage fraction, minimum fee in ticks)."""
    if isinstance(cost_bps, CostModel):
        return (
            cost_bps.commission_bps * 1e-4,
            cost_bps.slippage_bps * 1e-4,
            float(cost_bps.min_trade_fee),
        )
    expected = "basis points in [0, 10000) or a CostModel"
    bps = check_float(cost_bps, "cost_bps", lo=0.0, hi=10_000.0, hi_open=True, expected=expected)
    return bps * 1e-4, 0.0, 0.0


def backtest_weights(
    weight_schedule: Any,
    price_schedule: Any,
    initial_cash: int = 1_000_000_00,
    cost_bps: float | CostModel = 0.0,
    periods_per_year: float = 252.0,
    risk_free: float = 0.0,
    stop_cfg: StopConfig | Mapping[str, Any] | None = None,
    *,
    fill: FillTiming | str = "close",
    tick_size: float | None = None,
    rules: RebalanceRules | None = None,
    quantity_step: float = 1.0,
    min_order_value: int = 0,
    max_order_value: int = 0,
    no_trade_band_bps: float = 0.0,
    max_trades_per_rebalance: int | None = None,
    max_rebalance_notional: int = 0,
    symbols: Any = None,
) -> BacktestResult:
    """Simulate a portfolio that trades to ``weight_schedule`` at ``price_schedule``.

    Args:
        weight_schedule: target weights per bar: rows of ``(symbol, weight)``, an array or a
            DataFrame (see ``tickbook.backtest`` for the rules of each shape).
        price_schedule: prices per bar in ticks (cents): rows of ``(symbol, price)``, an array
            or a DataFrame, or a mapping of "close" and optional "open", "high", "low".
        initial_cash: starting cash in cents.
        cost_bps: fee in basis points of each trade's value, or a ``CostModel`` (commission,
            slippage moving the fill price, minimum fee per trade).
        periods_per_year: for the annualized metrics.
        risk_free: risk-free return per period, for the Sharpe and Sortino ratios.
        stop_cfg: ``StopConfig`` or a dict such as ``{"trailing_stop_pct": 0.05}``.
        fill: "close" (the signal bar's close) or "next_open" (needs open prices).
        tick_size: the size of one tick in the prices' unit, when they are not whole ticks:
            0.01 for dollar prices traded in cents. Prices are divided by it, and every
            amount of money (``initial_cash``, order values, the results) is in ticks.
            ``None`` (the default): the prices are whole ticks already; others are refused,
            so that dollars are never taken for cents. ``load_panel`` frames say their unit
            themselves (cents, fractions kept: adjusted closes) and need none.
        rules: a ``RebalanceRules`` (shared with ``Portfolio``), or give its fields one by
            one (the next six arguments; see ``RebalanceRules``).
        quantity_step: share granularity: 1.0 whole shares, 0 fractional.
        min_order_value: skip orders worth less (ticks; 0: no minimum).
        max_order_value: shrink orders worth more to fit (ticks; 0: no maximum).
        no_trade_band_bps: leave weights within this many bps of target alone.
        max_trades_per_rebalance: keep the orders with the largest drifts.
        max_rebalance_notional: ticks traded per rebalance, largest drifts first.
        symbols: column names for array input.

    Ruin: a bar that closes with the equity at or below zero (a short that ran away) closes
    every holding at its last price; nothing trades after it, ``ruined_at`` names the bar,
    and the returns after it are 0.
    """
    from tickbook.backtest import _kernels

    sched = to_schedule(weight_schedule, price_schedule, symbols, tick_size)
    cash0 = check_int(
        initial_cash, "initial_cash", lo=1, hi=1 << 62, expected="a positive integer (ticks)"
    )
    fee, slip, min_fee = _costs(cost_bps)
    timing = FillTiming.parse(fill)
    stops = StopConfig.from_any(stop_cfg)
    rule = RebalanceRules.of(
        rules,
        quantity_step=quantity_step,
        min_order_value=min_order_value,
        max_order_value=max_order_value,
        no_trade_band_bps=no_trade_band_bps,
        max_trades_per_rebalance=max_trades_per_rebalance,
        max_rebalance_notional=max_rebalance_notional,
    )
    if timing is FillTiming.NEXT_OPEN and sched.open is None:
        raise refuse("fill", "open prices in price_schedule for 'next_open'", "next_open")
    compute_metrics([], periods_per_year, risk_free)  # checks both before anything runs

    sim = np.zeros(1, _kernels.SIM_RULES_DTYPE)
    step, band, lo, hi, max_trades, max_notional = rule.kernel_args()
    for name, value in (
        ("timing", int(timing)), ("cash", float(cash0)), ("fee", fee), ("slip", slip),
        ("min_fee", min_fee), ("step", step), ("band_bps", band), ("min_value", lo),
        ("max_value", hi), ("max_trades", max_trades), ("max_notional", max_notional),
        ("fixed", (stops.fixed_stop_pct or 0.0) if stops else 0.0),
        ("trailing", (stops.trailing_stop_pct or 0.0) if stops else 0.0),
        ("cooldown", stops.cooldown if stops else 0),
    ):  # fmt: skip
        sim[name] = value
    return _run(sched, sim, cash0, stops, rule, periods_per_year, risk_free)


def _run(
    sched: Schedule,
    sim: np.ndarray,
    cash0: int,
    stops: StopConfig | None,
    rule: RebalanceRules,
    ppy: float,
    risk_free: float,
) -> BacktestResult:
    from tickbook.backtest import _kernels

    n_bars, n = sched.close.shape
    empty = np.empty((0, 0))
    out = np.empty((n_bars, 3))
    holdings = np.empty((n_bars, n))
    sym_ret = np.empty((n_bars, n))
    qty = np.empty(n)
    active = ~np.isnan(sched.weights).all(axis=1) if n else np.zeros(n_bars, dtype=bool)
    cap = 64 + 4 * n if stops else 0
    while True:
        events = np.zeros(cap, _kernels.STOP_EVENT_DTYPE)
        cash, n_events, ruined = _kernels.simulate(
            sched.weights, active, sched.close,
            empty if sched.open is None else sched.open,
            empty if sched.high is None else sched.high,
            empty if sched.low is None else sched.low,
            sim, out, holdings, sym_ret, qty, events,
        )  # fmt: skip
        if n_events <= cap:
            break
        cap = n_events  # rare: run again with room for every event
    equity = np.ascontiguousarray(out[:, 0])
    returns = _returns(equity, cash0, ruined)
    names = {1: "fixed", 2: "trailing"}
    stop_events = tuple(
        StopEvent(int(e["period"]), sched.symbols[e["symbol"]], float(e["trigger"]),
                  float(e["exit"]), names[int(e["reason"])])
        for e in events[:n_events]
    )  # fmt: skip
    return BacktestResult(
        returns=returns,
        equity_curve=equity,
        final_cash=float(cash),
        metrics=compute_metrics(returns, ppy, risk_free),
        holdings=holdings,
        symbol_returns=sym_ret,
        stop_events=stop_events,
        symbols=sched.symbols,
        index=sched.index,
        initial_cash=cash0,
        traded_value=np.ascontiguousarray(out[:, 1]),
        fees=np.ascontiguousarray(out[:, 2]),
        final_quantities=qty,
        ruined_at=None if ruined < 0 else int(ruined),
        rules=rule,
        tick_size=sched.tick_size,
        warmup=_warmup(sched.weights, int(sim["timing"][0])),
        periods_per_year=float(ppy),
        risk_free=float(risk_free),
    )


def _warmup(weights: np.ndarray, timing: int) -> int:
    """Bars before the first non-zero target weight trades (all of them if none does)."""
    n_bars = weights.shape[0]
    wants = np.flatnonzero((np.nan_to_num(weights) != 0.0).any(axis=1)) if n_bars else []
    if not len(wants):
        return n_bars
    return min(int(wants[0]) + (timing == FillTiming.NEXT_OPEN), n_bars)


def _returns(equity: np.ndarray, cash0: int, ruined: int) -> np.ndarray:
    """Return of each bar; 0 after the ruined bar (its equity is flat, maybe 0 or less)."""
    n_bars = equity.shape[0]
    returns = np.zeros(n_bars)
    end = n_bars if ruined < 0 else ruined + 1
    if end:
        returns[0] = equity[0] / cash0 - 1.0
        # before the ruin every equity is positive: no division by zero
        np.divide(equity[1:end], equity[: end - 1], out=returns[1:end])
        returns[1:end] -= 1.0
    return returns


def schedule_of(
    weight_schedule: Any, price_schedule: Any, symbols: Any = None, tick_size: Any = None
) -> Schedule:
    """Return the aligned arrays ``backtest_weights`` would run (for tools and tests)."""
    return to_schedule(weight_schedule, price_schedule, symbols, tick_size)
