"""``Portfolio``: cash, positions, rebalances at bar prices or through order books, returns.

Money is integer cents and quantities integer micro-shares (see ``Position``). A rebalance
plans its orders with the same kernel as the weight-schedule backtest (``plan_orders``), then
executes the sells before the buys, so that a buy is never cut for cash that a sale in the
same rebalance was about to raise.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tickbook.core import DataError, Symbol
from tickbook.core._checks import refuse
from tickbook.portfolio._cost import CostModel
from tickbook.portfolio._inputs import money, price_map, target_map
from tickbook.portfolio._lob import books_of, mark, walk_cost
from tickbook.portfolio._metrics import Metrics, compute_metrics
from tickbook.portfolio._position import MICRO, Position, notional
from tickbook.portfolio._rules import RebalanceRules

if TYPE_CHECKING:
    from tickbook.book import Exchange

__all__ = ["Fill", "Portfolio", "RebalanceResult"]

_FORMAT = "tickbook.portfolio/1"


@dataclass(frozen=True, slots=True)
class Fill:
    """One executed order of a rebalance.

    Attributes:
        symbol: the instrument.
        quantity: signed shares (positive bought, negative sold).
        price: average fill price in ticks (the VWAP of the book's trades for book fills).
        notional: signed traded value in cents (positive for buys).
        cost: commission paid, in cents.
    """

    symbol: Symbol
    quantity: float
    price: float
    notional: int
    cost: int


@dataclass(frozen=True, slots=True)
class RebalanceResult:
    """What a rebalance did: its fills, and what it wanted but could not trade.

    ``unfilled`` lists (symbol, shares) that were planned but not traded, because cash ran
    out or the book had too little depth.
    """

    fills: tuple[Fill, ...]
    unfilled: tuple[tuple[Symbol, float], ...]

    @property
    def order_count(self) -> int:
        """Number of orders that traded."""
        return len(self.fills)

    @property
    def traded_value(self) -> int:
        """Sum of the absolute notionals, in cents."""
        return sum(abs(f.notional) for f in self.fills)

    @property
    def costs(self) -> int:
        """Sum of the commissions, in cents."""
        return sum(f.cost for f in self.fills)


class Portfolio:
    """Cash and positions that rebalance to target weights and record their returns.

    Args:
        initial_cash: starting cash in cents.
        cost_model: commission, slippage and minimum fee (``CostModel.zero()`` by default).
        rules: a ``RebalanceRules``; or give its fields one by one (``quantity_step``,
            ``min_order_value``, ``max_order_value``, ``no_trade_band_bps``,
            ``max_trades_per_rebalance``, ``max_rebalance_notional``: see there), as
            ``backtest_weights`` takes them.
    """

    def __init__(
        self,
        initial_cash: int,
        cost_model: CostModel | None = None,
        *,
        rules: RebalanceRules | None = None,
        quantity_step: float = 1.0,
        min_order_value: int = 0,
        max_order_value: int = 0,
        no_trade_band_bps: float = 0.0,
        max_trades_per_rebalance: int | None = None,
        max_rebalance_notional: int = 0,
    ) -> None:
        if cost_model is None:
            cost_model = CostModel.zero()
        if not isinstance(cost_model, CostModel):
            raise refuse("cost_model", "a CostModel", cost_model)
        self._initial = money(initial_cash, "initial_cash", lo=1)
        self.cost_model = cost_model
        self.rules = RebalanceRules.of(
            rules,
            quantity_step=quantity_step,
            min_order_value=min_order_value,
            max_order_value=max_order_value,
            no_trade_band_bps=no_trade_band_bps,
            max_trades_per_rebalance=max_trades_per_rebalance,
            max_rebalance_notional=max_rebalance_notional,
        )
        self._step = max(1, round(self.rules.quantity_step * MICRO))
        self._cash = self._initial
        self._positions: dict[Symbol, Position] = {}
        self._last: dict[Symbol, int] = {}
        self._returns: list[float] = []
        self._equity: list[int] = [self._initial]

    # -- state ----------------------------------------------------------------------------

    @property
    def cash(self) -> int:
        """Cash in cents (may be above the equity when short positions are open)."""
        return self._cash

    @property
    def initial_cash(self) -> int:
        """Starting cash in cents."""
        return self._initial

    @property
    def quantity_step(self) -> float:
        """Order granularity in shares."""
        return self._step / MICRO

    @property
    def min_order_value(self) -> int:
        """``rules.min_order_value``."""
        return self.rules.min_order_value

    @property
    def max_order_value(self) -> int:
        """``rules.max_order_value``."""
        return self.rules.max_order_value

    @property
    def no_trade_band_bps(self) -> float:
        """``rules.no_trade_band_bps``."""
        return self.rules.no_trade_band_bps

    @property
    def max_trades_per_rebalance(self) -> int | None:
        """``rules.max_trades_per_rebalance``."""
        return self.rules.max_trades_per_rebalance

    @property
    def max_rebalance_notional(self) -> int:
        """``rules.max_rebalance_notional``."""
        return self.rules.max_rebalance_notional

    def position(self, symbol: str) -> Position | None:
        """Return the position in ``symbol``, or ``None`` if none was ever opened."""
        return self._positions.get(Symbol(symbol))

    def positions(self) -> dict[Symbol, Position]:
        """Return the open (non-flat) positions by symbol."""
        return {s: p for s, p in sorted(self._positions.items()) if not p.is_flat}

    def total_equity(self, prices: Any = None) -> int:
        """Return cash plus holdings at ``prices`` (else the last prices seen), in cents."""
        given = {} if prices is None else price_map(prices)
        last = self._last
        value = self._cash
        for sym, pos in self._positions.items():
            if pos.is_flat:
                continue
            price = given.get(sym, last.get(sym))
            if price is None:
                raise refuse("prices", "a price for every held symbol", str(sym))
            value += pos.market_value(price)
        return value

    def current_weights(self, prices: Any = None) -> dict[Symbol, float]:
        """Return each open position's value over the equity."""
        given = {} if prices is None else price_map(prices)
        equity = self.total_equity(given)
        out = {}
        for sym, pos in self.positions().items():
            value = pos.market_value(given.get(sym, self._last.get(sym, 0)))
            out[sym] = value / equity if equity else math.nan
        return out

    def returns(self) -> np.ndarray:
        """Return the recorded per-period returns."""
        return np.array(self._returns, dtype=np.float64)

    def equity_curve(self) -> np.ndarray:
        """Return the equity (cents): the initial cash, then one value per recorded period."""
        return np.array(self._equity, dtype=np.int64)

    def compute_metrics(
        self, periods_per_year: float = 252.0, risk_free: float = 0.0
    ) -> Metrics | None:
        """Return the metrics of the recorded returns (``None`` before the first period)."""
        return compute_metrics(self._returns, periods_per_year, risk_free)

    def snapshot(self, prices: Any = None) -> dict[str, Any]:
        """Return cash, equity, weights and realized PnL as a plain dict."""
        return {
            "cash": self._cash,
            "equity": self.total_equity(prices),
            "num_positions": len(self.positions()),
            "total_realized_pnl": sum(p.realized_pnl for p in self._positions.values()),
            "weights": {str(s): w for s, w in self.current_weights(prices).items()},
        }

    # -- periods --------------------------------------------------------------------------

    def record_return(self, prices: Any) -> float:
        """Mark the book at ``prices``, append the period's return and equity, return it."""
        given = price_map(prices)
        equity = self.total_equity(given)
        self._last.update(given)
        previous = self._equity[-1]
        ret = equity / previous - 1.0 if previous > 0 else math.nan
        self._returns.append(ret)
        self._equity.append(equity)
        return ret

    # -- rebalancing ----------------------------------------------------------------------

    def rebalance_simple(self, targets: Any, prices: Any) -> RebalanceResult:
        """Trade to ``targets`` (symbol -> weight of equity) at ``prices`` (ticks).

        Held symbols missing from ``targets`` are closed. A held symbol without a price is
        left alone and valued at its last price. Fills happen at the given price moved by
        the cost model's slippage; buys are cut to the cash available after the sells.
        """
        goal = target_map(targets)
        given = price_map(prices)
        for sym, weight in goal.items():
            if weight != 0 and sym not in given:
                raise refuse("prices", "a price for every symbol with a target", str(sym))
        self._check_priced(given)
        self._last.update(given)
        symbols, delta, order = self._plan(goal, given)
        fills: list[Fill] = []
        unfilled: list[tuple[Symbol, float]] = []
        for k in order:
            sym = symbols[k]
            want = round(delta[k] * MICRO)
            fill = self._fill_at_price(sym, want, given[sym])
            if fill is not None:
                fills.append(fill)
            if fill is None or round(fill.quantity * MICRO) != want:
                done = 0 if fill is None else round(fill.quantity * MICRO)
                unfilled.append((sym, (want - done) / MICRO))
        return RebalanceResult(tuple(fills), tuple(unfilled))

    def rebalance_lob(self, targets: Any, exchanges: Any) -> RebalanceResult:
        """Trade to ``targets`` with market orders on each symbol's ``Exchange``.

        ``exchanges`` is a ``MultiExchange`` or a mapping of symbol to ``Exchange``. Orders are
        sized at each book's mid price and pay the spread and the depth they walk; commission
        comes from the cost model (its slippage is not applied: the book is the slippage).
        Sells go first; a buy is sized to what the cash can pay for along the ask levels.
        Needs whole-share steps (book quantities are integers).
        """
        if self._step % MICRO:
            raise refuse("quantity_step", "whole shares for order-book fills", self._step / MICRO)
        goal = target_map(targets)
        books = books_of(exchanges, set(goal) | {s for s, p in self._positions.items() if p._micro})
        marks: dict[Symbol, int] = {}
        for sym, book in books.items():
            quote = mark(book)
            if quote is not None:
                marks[sym] = quote
        for sym, weight in goal.items():
            if weight != 0 and sym not in marks:
                raise refuse("exchanges", "a quoted book for every symbol with a target", str(sym))
        self._check_priced(marks)
        self._last.update(marks)
        symbols, delta, order = self._plan(goal, marks)
        fills: list[Fill] = []
        unfilled: list[tuple[Symbol, float]] = []
        for k in order:
            sym = symbols[k]
            want = round(delta[k])
            fill = self._fill_on_book(sym, want, books[sym])
            got = 0 if fill is None else round(fill.quantity)
            if fill is not None:
                fills.append(fill)
            if got != want:
                unfilled.append((sym, float(want - got)))
        return RebalanceResult(tuple(fills), tuple(unfilled))

    def plan(self, targets: Any, prices: Any) -> list[tuple[Symbol, float]]:
        """Return the orders a rebalance to ``targets`` at ``prices`` would send, unsent.

        Each order is (symbol, signed shares), sells first, then buys smallest first: the
        order ``rebalance_simple`` executes them in. Nothing changes; use it to route orders
        yourself (with latency, through ``trade_on_book``).
        """
        goal = target_map(targets)
        given = price_map(prices)
        for sym, weight in goal.items():
            if weight != 0 and sym not in given:
                raise refuse("prices", "a price for every symbol with a target", str(sym))
        self._check_priced(given)
        known = {**self._last, **given}
        saved, self._last = self._last, known
        try:
            symbols, delta, order = self._plan(goal, given)
        finally:
            self._last = saved
        return [(symbols[k], round(delta[k] * MICRO) / MICRO) for k in order]

    def trade_on_book(self, symbol: str, shares: float, exchange: Exchange) -> Fill | None:
        """Send a market order for ``shares`` (signed, whole) of ``symbol`` to ``exchange``.

        Buys are cut to what the cash pays for along the displayed asks; the trades are
        booked at their prices with the cost model's commission. ``None`` if nothing traded.
        """
        from tickbook.book import Exchange

        sym = Symbol(symbol)
        if not isinstance(exchange, Exchange):
            raise refuse("exchange", "an Exchange", exchange)
        if (
            isinstance(shares, bool)
            or not isinstance(shares, int | float)
            or not math.isfinite(shares)
            or shares != int(shares)
        ):
            raise refuse("shares", "a whole number of shares", shares)
        return self._fill_on_book(sym, int(shares), exchange)

    def _check_priced(self, given: Mapping[Symbol, int]) -> None:
        for sym, pos in self._positions.items():
            if pos._micro and sym not in given and sym not in self._last:
                raise refuse("prices", "a price for every held symbol", str(sym))

    def _plan(
        self, goal: dict[Symbol, float], given: Mapping[Symbol, int]
    ) -> tuple[list[Symbol], np.ndarray, list[int]]:
        from tickbook.portfolio import _kernels

        held = {s for s, p in self._positions.items() if p._micro}
        symbols = sorted(set(goal) | held)
        n = len(symbols)
        qty = np.zeros(n)
        price = np.full(n, np.nan)
        target = np.full(n, np.nan)
        for k, sym in enumerate(symbols):
            pos = self._positions.get(sym)
            if pos is not None:
                qty[k] = pos._micro / MICRO
            if sym in given:
                price[k] = given[sym]
                target[k] = goal.get(sym, 0.0)
        equity = float(self.total_equity())
        delta, drift, key = np.zeros(n), np.zeros(n), np.zeros(n)
        order = np.zeros(n, dtype=np.int64)
        _, band, lo, hi, max_trades, max_notional = self.rules.kernel_args()
        n_sell, n_buy = _kernels.plan_orders(
            qty, price, target, equity, self._step / MICRO, band, lo, hi, max_trades,
            max_notional, delta, drift, key, order,
        )  # fmt: skip
        sells = [int(k) for k in order[:n_sell]]
        # buys smallest first, so that a cash shortfall cuts the largest one (as vectorbt's
        # call_seq="auto" does)
        buys = sorted((int(k) for k in order[n_sell : n_sell + n_buy]), key=lambda k: (key[k], k))
        return symbols, delta, sells + buys

    def _position_of(self, sym: Symbol) -> Position:
        pos = self._positions.get(sym)
        if pos is None:
            pos = self._positions[sym] = Position(sym)
        return pos

    def _fill_at_price(self, sym: Symbol, micro: int, price: int) -> Fill | None:
        """Trade ``micro`` micro-shares at ``price`` plus slippage; buys cut to the cash."""
        cm = self.cost_model
        exec_price = cm.fill_price(price, micro > 0)
        if micro > 0:
            micro = self._affordable(micro, lambda m: notional(m, exec_price))
            if micro <= 0:
                return None
        value = notional(micro, exec_price)
        fee = cm.compute_cost(value)
        self._cash -= value + fee
        self._position_of(sym)._apply_micro(micro, exec_price)
        return Fill(sym, micro / MICRO, float(exec_price), value, fee)

    def _affordable(self, micro: int, cost_of: Any) -> int:
        """Largest multiple of the step, up to ``micro``, whose cost and fee fit the cash."""
        cm = self.cost_model
        step = self._step
        if cost_of(micro) + cm.compute_cost(cost_of(micro)) <= self._cash:
            return micro
        lo, hi = 0, micro // step  # bisect on the number of steps
        while lo < hi:
            mid = (lo + hi + 1) // 2
            value = cost_of(mid * step)
            if value + cm.compute_cost(value) <= self._cash:
                lo = mid
            else:
                hi = mid - 1
        return lo * step

    def _fill_on_book(self, sym: Symbol, shares: int, book: Exchange) -> Fill | None:
        """Send a market order for ``shares`` (signed) to ``book`` and book its trades."""
        if shares > 0:
            asks = book.full_book().ask_array
            shares = self._affordable(shares * MICRO, lambda m: walk_cost(asks, m // MICRO))
            shares //= MICRO
        if shares == 0:
            return None
        result = book.submit_market("buy" if shares > 0 else "sell", abs(shares))
        trades = result.trades
        if not trades:
            return None
        pos = self._position_of(sym)
        sign = 1 if shares > 0 else -1
        value = 0
        filled = 0
        for trade in trades:
            value += trade.price * trade.quantity
            filled += trade.quantity
            pos._apply_micro(sign * trade.quantity * MICRO, trade.price)
        fee = self.cost_model.compute_cost(value)
        self._cash -= sign * value + fee
        return Fill(sym, float(sign * filled), value / filled, sign * value, fee)

    # -- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the whole state as JSON-ready data."""
        return {
            "format": _FORMAT,
            "initial_cash": self._initial,
            "cash": self._cash,
            "cost_model": self.cost_model.to_dict(),
            "options": {**self.rules.to_dict(), "quantity_step": self._step / MICRO},
            "positions": [p.to_dict() for _, p in sorted(self._positions.items())],
            "last_prices": {str(s): p for s, p in sorted(self._last.items())},
            "returns": list(self._returns),
            "equity_curve": list(self._equity),
        }

    def save_json(self, path: str | os.PathLike[str]) -> None:
        """Write the state to ``path`` as JSON (written to a temporary file, then renamed)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1))
        os.replace(tmp, path)

    @classmethod
    def load_json(cls, path: str | os.PathLike[str]) -> Portfolio:
        """Read a portfolio written by ``save_json``; ``DataError`` if the file is not one."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataError(
                f"cannot read portfolio {path}: {error}", field="path", value=str(path)
            ) from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "data") -> Portfolio:
        """Rebuild a portfolio from ``to_dict`` output; ``DataError`` if it is malformed."""
        from tickbook.core import TickbookError

        try:
            if data.get("format") != _FORMAT:
                raise KeyError("format")
            pf = cls(data["initial_cash"], CostModel(**data["cost_model"]), **data["options"])
            pf._cash = _int(data["cash"])
            for item in data["positions"]:
                pos = Position.from_dict(
                    {
                        "symbol": item["symbol"],
                        "quantity_micro": _int(item["quantity_micro"]),
                        "total_cost": _int(item["total_cost"]),
                        "realized_pnl": _int(item["realized_pnl"]),
                    }
                )
                pf._positions[pos.symbol] = pos
            pf._last = price_map(data["last_prices"], "last_prices")
            pf._returns = [float(r) for r in data["returns"]]
            pf._equity = [_int(e) for e in data["equity_curve"]]
            if len(pf._equity) != len(pf._returns) + 1:
                raise ValueError("equity_curve")
        except (KeyError, TypeError, ValueError, AttributeError, TickbookError) as error:
            raise DataError(
                f"not a tickbook portfolio ({source}): bad or missing {error}",
                field="path",
                value=source,
            ) from None
        return pf

    def __repr__(self) -> str:
        return (
            f"Portfolio(cash={self._cash}, positions={len(self.positions())}, "
            f"periods={len(self._returns)})"
        )


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(repr(value))
    return value
