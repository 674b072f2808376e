"""Batch checks: one validating pass over the orders in Python, then numpy over symbol arrays."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tickbook.core._checks import refuse
from tickbook.core._types import Side
from tickbook.risk._report import (
    Reason,
    RiskCheck,
    RiskReport,
    RiskStatus,
    TradingState,
    check,
)

if TYPE_CHECKING:
    from tickbook.risk._config import RiskConfig
    from tickbook.risk._engine import RiskEngine

__all__ = ["Batch", "extra_checks", "prepare", "run"]

_SIDES = {"buy": 1, "sell": -1, "BUY": 1, "SELL": -1, Side.BUY: 1, Side.SELL: -1}
_R = Reason
_ORDER = "(symbol, 'buy'|'sell', positive integer quantity, positive integer price_cents)"


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{frac:02d}"


@dataclass(slots=True)
class Batch:
    """A validated batch: symbols, held and post-trade quantities, prices, order statistics."""

    symbols: list[str]
    held: np.ndarray  # int64 per symbol
    new: np.ndarray  # int64 per symbol
    price: np.ndarray  # float64 cents per symbol, nan where unknown
    n_orders: int
    total_value: int
    largest: tuple[int, str]  # (value, symbol) of the largest order
    over_order: list[str]  # symbols with an order above max_order_value (filled by check)
    values: list[int]
    order_symbols: list[str]
    targets: dict[str, float]


def _pairs(value: Any, field: str, kind: str) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        raise refuse(field, f"(symbol, {kind}) pairs", value)
    try:
        out = dict(value)
    except (TypeError, ValueError):
        raise refuse(field, f"(symbol, {kind}) pairs", value) from None
    if out and (set(map(type, out)) != {str} or "" in out):
        bad = next(k for k in out if type(k) is not str or not k)
        raise refuse(field, f"(symbol, {kind}) pairs", (bad, out[bad]))
    return out


def _bad_order(orders: list[Any]) -> Exception:
    # the slow path: find the first refused order and name it
    for i, order in enumerate(orders):
        try:
            sym, side, qty, price = order
        except (TypeError, ValueError):
            return refuse(f"orders[{i}]", _ORDER, order)
        s = _SIDES.get(side) if isinstance(side, str | Side) else None
        if (
            s is None
            or type(qty) is not int
            or type(price) is not int
            or qty <= 0
            or price <= 0
            or type(sym) is not str
            or not sym
        ):
            return refuse(f"orders[{i}]", _ORDER, order)
    return refuse("orders", f"a list of {_ORDER}", orders)  # pragma: no cover


def _columns(orders: Any) -> tuple[tuple, list[int], tuple, tuple]:
    # validate every order at C speed (map, set, zip); the slow path names the culprit
    if isinstance(orders, str | bytes | Mapping) or not hasattr(orders, "__iter__"):
        raise refuse("orders", f"a list of {_ORDER}", orders)
    orders = list(orders)
    if not orders:
        return (), [], (), ()
    try:
        if set(map(len, orders)) != {4}:
            raise _bad_order(orders)
    except TypeError:
        raise _bad_order(orders) from None
    syms, sides, qtys, prices = zip(*orders, strict=True)
    try:
        signs = list(map(_SIDES.get, sides))
    except TypeError:  # an unhashable side
        raise _bad_order(orders) from None
    if (
        set(map(type, syms)) != {str}
        or "" in syms
        or None in signs
        or set(map(type, sides)) - {str, Side}
        or set(map(type, qtys)) != {int}
        or set(map(type, prices)) != {int}
        or min(qtys) <= 0
        or min(prices) <= 0
    ):
        raise _bad_order(orders)
    return syms, signs, qtys, prices


def _decimals(value: Any) -> dict[str, int]:
    out = _pairs(value or {}, "qty_decimals", "integer in [0, 18]")
    for sym, d in out.items():
        if type(d) is not int or not 0 <= d <= 18:
            raise refuse("qty_decimals", "(symbol, integer in [0, 18]) pairs", (sym, d))
    return out


def prepare(orders: Any, positions: Any, targets: Any, prices: Any, decimals: Any = None) -> Batch:
    """Validate the whole batch (nothing is recorded) and lay it out per symbol."""
    o_syms, signs, qtys, o_prices = _columns(orders)
    values = list(map(operator.mul, qtys, o_prices))
    dec = _decimals(decimals)
    if dec:
        values = [v // 10 ** dec.get(s, 0) for v, s in zip(values, o_syms, strict=True)]
    held_map = _pairs(positions, "positions", "integer quantity")
    if held_map and set(map(type, held_map.values())) != {int}:
        bad = next(k for k, q in held_map.items() if type(q) is not int)
        raise refuse("positions", "(symbol, integer quantity) pairs", (bad, held_map[bad]))
    price_map = _pairs(prices, "prices", "positive integer cents")
    if price_map and (set(map(type, price_map.values())) != {int} or min(price_map.values()) <= 0):
        bad = next(k for k, p in price_map.items() if type(p) is not int or p <= 0)
        raise refuse("prices", "(symbol, positive integer cents) pairs", (bad, price_map[bad]))
    target_map = _pairs(targets, "target_weights", "finite weight")
    if target_map:
        tw = target_map.values()
        if set(map(type, tw)) - {int, float} or not np.isfinite(np.fromiter(tw, float)).all():
            bad = next(
                k
                for k, w in target_map.items()
                if type(w) not in (int, float) or w != w or w in (math.inf, -math.inf)
            )
            raise refuse("target_weights", "(symbol, finite weight) pairs", (bad, target_map[bad]))
    index = dict.fromkeys(o_syms)
    index.update(dict.fromkeys(held_map))
    syms = list(index)
    index = dict(zip(syms, range(len(syms)), strict=True))
    n = len(syms)
    held = np.zeros(n, np.int64)
    if held_map:
        held[list(map(index.__getitem__, held_map))] = list(held_map.values())
    new = held.copy()
    price = np.full(n, np.nan)
    largest = (0, "")
    if values:
        at = np.fromiter(map(index.__getitem__, o_syms), np.int64, len(o_syms))
        np.add.at(new, at, np.fromiter(map(operator.mul, signs, qtys), np.int64, len(qtys)))
        price[at] = np.asarray(o_prices, np.float64)  # the last order's price, unless marked
        top = max(values)
        largest = (top, o_syms[values.index(top)])
    if price_map:  # given marks value the positions (orders may be limits past the touch)
        known = [s for s in price_map if s in index]
        price[list(map(index.__getitem__, known))] = list(map(price_map.__getitem__, known))
    for sym, d in dec.items():  # price per counted unit
        if sym in index:
            price[index[sym]] /= 10**d
    return Batch(
        syms,
        held,
        new,
        price,
        len(values),
        sum(values),
        largest,
        [],
        values,
        list(o_syms),
        target_map,
    )


def _value_bits(cfg: RiskConfig, b: Batch) -> tuple[int, int, list[str], list[str], list[str]]:
    # per-order and batch values: (failed, warned, over order value, over trade, under min)
    failed = warned = 0
    values = np.asarray(b.values, np.float64)  # exact below 2**53 cents; compares only
    over = _names(b.order_symbols, values > cfg.max_order_value_cents)
    big = _names(b.order_symbols, values > cfg.max_trade_value_cents)
    small = _names(b.order_symbols, values < cfg.min_trade_value_cents)
    if over:
        failed |= 1 << _R.ORDER_VALUE
    if big:
        failed |= 1 << _R.TRADE_VALUE
    elif small:
        warned |= 1 << _R.MIN_TRADE
    if b.total_value > cfg.max_batch_value_cents:
        failed |= 1 << _R.BATCH_VALUE
    return failed, warned, over, big, small


def run(engine: RiskEngine, b: Batch, equity: int, dd: float) -> RiskReport:
    """Run every batch check and fold them into a report."""
    cfg = engine.config
    failed, warned, over, big, small = _value_bits(cfg, b)
    eq = float(equity) if equity > 0 else math.nan
    grows = (b.new * b.new > b.held * b.held) | (b.new * b.held < 0)
    state = engine.state
    if engine._tripped:
        failed |= 1 << _R.DRAWDOWN
    if state is TradingState.HALTED and b.n_orders:
        failed |= 1 << _R.HALTED
    growing = _names(b.symbols, grows)
    if state is TradingState.REDUCING and growing:
        failed |= 1 << _R.REDUCE_ONLY
    missing = np.isnan(b.price) & (b.held != 0)
    if missing.any():
        warned |= 1 << _R.MISSING_PRICE
    price = np.where(np.isnan(b.price), 0.0, b.price)
    w_new, w_old = b.new * price / eq, b.held * price / eq
    absw = np.abs(w_new)
    top = int(np.argmax(absw)) if len(absw) else -1
    if (absw > cfg.max_position_pct + 1e-12)[grows].any() or (equity <= 0 and grows.any()):
        failed |= 1 << _R.POSITION_LIMIT
    gross_new, gross_old = float(absw.sum()), float(np.abs(w_old).sum())
    if gross_new > cfg.max_leverage + 1e-12 and gross_new > gross_old:
        failed |= 1 << _R.LEVERAGE
    short_new = float(-w_new[w_new < 0].sum()) + 0.0
    short_old = float(-w_old[w_old < 0].sum()) + 0.0
    shorting = _names(b.symbols, (b.new < 0) & grows)
    if shorting and not cfg.allow_short:
        failed |= 1 << _R.SHORT_NOT_ALLOWED
    if short_new > cfg.max_short_pct + 1e-12 and short_new > short_old:
        failed |= 1 << _R.SHORT_EXPOSURE
    t_detail, t_fail = _targets(cfg, b.targets)
    if t_fail:
        failed |= 1 << _R.TARGET_WEIGHTS
    before, after = int((b.held != 0).sum()), int((b.new != 0).sum())
    if cfg.max_positions and after > cfg.max_positions and after > before:
        failed |= 1 << _R.MAX_POSITIONS
    var = None
    if cfg.max_var_pct is not None and engine._returns is not None and equity > 0:
        var = _portfolio_var(engine, b, w_new)
        if var is not None and var > cfg.max_var_pct:
            failed |= 1 << _R.VAR_LIMIT
    top_sym, top_w = (b.symbols[top], float(absw[top])) if top >= 0 else ("-", 0.0)
    m = _money
    rows = [
        ("Trading state", _R.HALTED, state.name.lower()),
        ("Reduce only", _R.REDUCE_ONLY, f"growing: {_few(growing)}"),
        ("Drawdown", _R.DRAWDOWN, f"{dd:.1%} from peak {m(engine.peak_equity_cents)} "
                                  f"(limit {cfg.max_drawdown_pct:.1%})"),
        ("Max order value", _R.ORDER_VALUE,
         f"largest {m(b.largest[0])} ({b.largest[1] or '-'}) vs "
         f"{m(cfg.max_order_value_cents)}; over: {_few(over)}"),
        ("Order size", _R.TRADE_VALUE if big else _R.MIN_TRADE,
         f"over {m(cfg.max_trade_value_cents)}: {_few(big)}; "
         f"under {m(cfg.min_trade_value_cents)}: {_few(small)}"),
        ("Batch value", _R.BATCH_VALUE,
         f"{m(b.total_value)} vs {m(cfg.max_batch_value_cents)} limit"),
        ("Max position", _R.POSITION_LIMIT,
         f"{top_w:.1%} ({top_sym}) vs {cfg.max_position_pct:.1%} limit"),
        ("Leverage", _R.LEVERAGE,
         f"{gross_new:.2f}x (was {gross_old:.2f}x) vs {cfg.max_leverage:.2f}x limit"),
        ("Short exposure",
         _R.SHORT_NOT_ALLOWED if shorting and not cfg.allow_short else _R.SHORT_EXPOSURE,
         f"{short_new:.1%} vs {cfg.max_short_pct:.1%} limit (allow_short={cfg.allow_short})"),
        ("Order count", None, f"{b.n_orders} orders"),
        ("Weight allocation", _R.TARGET_WEIGHTS, t_detail),
        ("Prices", _R.MISSING_PRICE, f"held without a price: {_few(_names(b.symbols, missing))}"),
    ]  # fmt: skip
    if cfg.max_positions:
        rows.append(("Positions", _R.MAX_POSITIONS,
                     f"{after} held after (was {before}) vs {cfg.max_positions}"))  # fmt: skip
    if var is not None:
        rows.append(("VaR", _R.VAR_LIMIT, f"1-day {cfg.var_alpha:.0%} VaR {var:.2%} of equity "
                                          f"vs {cfg.max_var_pct:.2%}"))  # fmt: skip
    return _fold(rows, failed, warned)


def _fold(rows: list[tuple[str, Reason | None, str]], failed: int, warned: int) -> RiskReport:
    return RiskReport.of(
        tuple(
            RiskCheck(name, RiskStatus.PASS, detail)
            if reason is None
            else check(name, failed, warned, reason, detail)
            for name, reason, detail in rows
        )
    )


def _names(symbols: list[str], mask: np.ndarray) -> list[str]:
    return [symbols[i] for i in np.flatnonzero(mask)]


def _few(names: list[str], k: int = 5) -> str:
    if not names:
        return "none"
    more = f" and {len(names) - k} more" if len(names) > k else ""
    return ", ".join(names[:k]) + more


def _targets(cfg: RiskConfig, targets: dict[str, float]) -> tuple[str, bool]:
    w = np.fromiter(targets.values(), float, len(targets))
    long = float(w[w > 0].sum())
    short = float(-w[w < 0].sum()) + 0.0
    problems = []
    if len(w):
        i = int(np.argmax(np.abs(w)))
        if abs(w[i]) > cfg.max_position_pct + 1e-12:
            sym = list(targets)[i]
            problems.append(f"{sym} {w[i]:.1%} > {cfg.max_position_pct:.1%}")
    if long + short > cfg.max_leverage + 1e-12:
        problems.append(f"gross {long + short:.2f}x > {cfg.max_leverage:.2f}x")
    if short and not cfg.allow_short:
        problems.append("short weights while allow_short is false")
    elif short > cfg.max_short_pct + 1e-12:
        problems.append(f"short {short:.1%} > {cfg.max_short_pct:.1%}")
    detail = f"{long:.1%} long, {-short:.1%} short, {1.0 - long + short:.1%} cash"
    if problems:
        detail += "; " + "; ".join(problems)
    return detail, bool(problems)


def _portfolio_var(engine: RiskEngine, b: Batch, w_new: np.ndarray) -> float | None:
    from tickbook.analytics import value_at_risk

    cols = {s: i for i, s in enumerate(engine._symbols)}
    weights = np.zeros(len(cols))
    for i, sym in enumerate(b.symbols):
        if sym in cols:
            weights[cols[sym]] = w_new[i]
    if not weights.any():
        return 0.0
    method = engine.config.var_method
    return float(
        value_at_risk(engine._returns, engine.config.var_alpha, method=method, weights=weights)
    )


def extra_checks(
    cfg: RiskConfig, failed: int, warned: int, opened: int, after: int, var: float | None
) -> list[RiskCheck]:
    """Checks of one order beyond the reference's: open orders, position count, VaR."""
    out = []
    if cfg.max_open_orders:
        out.append(
            check(
                "Open orders",
                failed,
                warned,
                _R.OPEN_ORDERS,
                f"{opened} working vs {cfg.max_open_orders} limit",
            )
        )
    if cfg.max_positions:
        out.append(
            check(
                "Positions",
                failed,
                warned,
                _R.MAX_POSITIONS,
                f"{after} held after vs {cfg.max_positions} limit",
            )
        )
    if cfg.max_var_pct is not None:
        text = "no returns history" if var is None else f"{var:.2%} of equity"
        out.append(
            check(
                "VaR",
                failed,
                warned,
                _R.VAR_LIMIT,
                f"1-day {cfg.var_alpha:.0%} VaR {text} vs {cfg.max_var_pct:.2%} limit",
            )
        )
    return out
