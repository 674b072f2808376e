"""``RiskEngine``: pre-trade checks of one order or a rebalance batch, with a breaker.

The engine keeps a little state, all of it fed by the caller (no wall clock inside):
- the peak equity seen, and a latched drawdown breaker: once equity falls ``max_drawdown_pct``
  below the peak, the state turns ``REDUCING`` and only orders that shrink a position pass,
  until ``reset_breaker()``;
- the trading state (``ACTIVE``, ``REDUCING``, ``HALTED``; ``kill()`` halts everything);
- the send times of recent orders (``on_order_sent(ts_ns)``) for the per-second and per-minute
  rate limits, and the count of working orders (``on_order_closed()`` takes one off);
- optionally a returns history (``set_returns``) for the 1-day VaR limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from tickbook.core._checks import refuse
from tickbook.core._types import Side
from tickbook.risk import _batch
from tickbook.risk._config import RiskConfig
from tickbook.risk._report import Reason, RiskCheck, RiskReport, TradingState, check

__all__ = ["RiskEngine"]

_SIDES = {"buy": 1, "sell": -1, "BUY": 1, "SELL": -1, Side.BUY: 1, Side.SELL: -1}
_SECOND = 1_000_000_000
_MINUTE = 60 * _SECOND
_R = Reason
# reason bits as plain ints: an enum attribute costs ~100 ns on the hot path
_B_HALTED = 1 << _R.HALTED
_B_REDUCE_ONLY = 1 << _R.REDUCE_ONLY
_B_DRAWDOWN = 1 << _R.DRAWDOWN
_B_ORDER_VALUE = 1 << _R.ORDER_VALUE
_B_TRADE_VALUE = 1 << _R.TRADE_VALUE
_B_MIN_TRADE = 1 << _R.MIN_TRADE
_B_POSITION_LIMIT = 1 << _R.POSITION_LIMIT
_B_SHORT_NOT_ALLOWED = 1 << _R.SHORT_NOT_ALLOWED
_B_SHORT_EXPOSURE = 1 << _R.SHORT_EXPOSURE
_B_RATE_PER_SECOND = 1 << _R.RATE_PER_SECOND
_B_RATE_PER_MINUTE = 1 << _R.RATE_PER_MINUTE


def _scale(qty_decimals: Any) -> int:
    if type(qty_decimals) is not int or not 0 <= qty_decimals <= 18:
        raise refuse("qty_decimals", "an integer in [0, 18]", qty_decimals)
    return 10**qty_decimals


def _items(positions: Any) -> Any:
    # a mapping's (symbol, quantity) pairs, or any other iterable of pairs as it is
    if isinstance(positions, Mapping):
        return positions.items()
    if isinstance(positions, str | bytes):
        raise TypeError
    return positions


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


class RiskEngine:
    """Pre-trade risk checks: ``RiskEngine(max_position_pct=0.25, max_leverage=1.5)``.

    Keywords are ``RiskConfig``'s fields (the reference's ``min_trade_usd`` and
    ``max_trade_usd`` are accepted in dollars); or pass a ready ``config=``.
    """

    def __init__(self, config: RiskConfig | None = None, **limits: Any) -> None:
        if config is not None and not isinstance(config, RiskConfig):
            raise refuse("config", "a RiskConfig", config)
        if config is None:
            config = RiskConfig.from_dict(limits, where="RiskEngine")
        elif limits:
            raise refuse("limits", "either config= or keyword limits, not both", sorted(limits))
        self.config = config
        # the limits check_order reads on every call, unpacked at once (slot reads cost)
        self._limits = (
            config.max_order_value_cents,
            config.max_trade_value_cents,
            config.min_trade_value_cents,
            config.max_position_pct,
            config.allow_short,
            config.max_short_pct,
            bool(config.max_orders_per_second or config.max_orders_per_minute),
            bool(config.max_open_orders or config.max_positions or config.max_var_pct is not None),
        )
        self._state = TradingState.ACTIVE
        self._peak = 0
        self._tripped = False
        self._sent: deque[int] = deque()
        self._open = 0
        self._var: dict[str, tuple[float, float]] = {}
        self._returns: Any = None
        self._symbols: tuple[str, ...] = ()

    # -- state ---------------------------------------------------------------------------------

    @property
    def state(self) -> TradingState:
        """The trading state."""
        return self._state

    @property
    def peak_equity_cents(self) -> int:
        """The highest equity seen by a check or ``update_equity``."""
        return self._peak

    @property
    def open_orders(self) -> int:
        """Orders sent and not yet closed, as counted by ``on_order_sent``/``on_order_closed``."""
        return self._open

    def kill(self) -> None:
        """Halt: every later check fails with ``Reason.HALTED`` until ``resume()``."""
        self._state = TradingState.HALTED

    def reduce_only(self) -> None:
        """Let only risk-reducing orders through."""
        self._state = TradingState.REDUCING

    def resume(self) -> None:
        """Return to ``ACTIVE`` (the drawdown breaker stays tripped until ``reset_breaker``)."""
        self._state = TradingState.REDUCING if self._tripped else TradingState.ACTIVE

    def reset_breaker(self, equity_cents: int | None = None) -> None:
        """Re-arm the drawdown breaker from ``equity_cents`` (or from the last peak)."""
        self._tripped = False
        if equity_cents is not None:
            self._peak = self._equity(equity_cents)
        if self._state is TradingState.REDUCING:
            self._state = TradingState.ACTIVE

    def update_equity(self, equity_cents: int) -> TradingState:
        """Feed an equity observation: track the peak, trip the breaker; return the state."""
        self._observe(self._equity(equity_cents))
        return self._state

    def on_order_sent(self, ts_ns: int) -> None:
        """Count one order sent at ``ts_ns`` (caller's clock) for rate and open-order limits."""
        if type(ts_ns) is not int or ts_ns < 0:
            raise refuse("ts_ns", "a non-negative integer (ns)", ts_ns)
        if self._sent and ts_ns < self._sent[-1]:
            raise refuse("ts_ns", f"a time >= the last send ({self._sent[-1]})", ts_ns)
        self._sent.append(ts_ns)
        self._open += 1

    def on_order_closed(self) -> None:
        """Take one working order off the open count (filled, cancelled or rejected)."""
        if self._open > 0:
            self._open -= 1

    def set_returns(self, symbols: Sequence[str], returns: Any) -> None:
        """Give the VaR limit a daily returns history: (days x symbols), one column each."""
        from tickbook.risk._var import per_symbol_var

        self._var, self._returns, self._symbols = per_symbol_var(
            symbols, returns, self.config.var_alpha, self.config.var_method
        )

    def _equity(self, equity_cents: Any) -> int:
        if type(equity_cents) is not int:
            raise refuse("equity_cents", "an integer number of cents", equity_cents)
        return equity_cents

    def _observe(self, equity: int) -> float:
        # track the peak and trip the latched breaker; return the drawdown fraction
        if equity > self._peak:
            self._peak = equity
        peak = self._peak
        dd = 0.0 if peak <= 0 else 1.0 - equity / peak
        if dd > self.config.max_drawdown_pct and not self._tripped:
            self._tripped = True
            if self._state is TradingState.ACTIVE:
                self._state = TradingState.REDUCING
        return dd

    def _rates(self, ts_ns: int) -> tuple[int, int]:
        sent = self._sent
        while sent and sent[0] <= ts_ns - _MINUTE:
            sent.popleft()
        per_minute = len(sent)
        per_second = 0
        for t in reversed(sent):
            if t <= ts_ns - _SECOND:
                break
            per_second += 1
        return per_second, per_minute

    # -- one order -----------------------------------------------------------------------------

    def check_order(
        self, symbol: str, side: str | Side, quantity: int, price_cents: int, *,
        equity_cents: int, positions: Sequence[tuple[str, int]] | Mapping[str, int] = (),
        ts_ns: int | None = None, open_orders: int | None = None, qty_decimals: int = 0,
    ) -> RiskReport:  # fmt: skip
        """Check one order against the limits; nothing is recorded but the equity peak.

        ``positions`` are (symbol, signed quantity) pairs or a mapping; ``ts_ns`` (the
        caller's clock) enables the rate limits; ``open_orders`` overrides the engine's count;
        ``qty_decimals`` says quantities count ``10**-qty_decimals`` units (a crypto venue's).
        """
        try:
            s = _SIDES.get(side)
        except TypeError:  # unhashable junk
            s = None
        if (s is None or type(quantity) is not int or type(price_cents) is not int
                or type(equity_cents) is not int or quantity <= 0 or price_cents <= 0
                or type(symbol) is not str or not symbol):  # fmt: skip
            self._refuse_order(symbol, side, quantity, price_cents, equity_cents)
        held = count = 0
        kind = type(positions)
        try:
            items = positions if kind is list or kind is tuple else _items(positions)
            for sym, q in items:
                if type(q) is not int:
                    raise refuse("positions", "(symbol, integer quantity) pairs", positions)
                if q:
                    count += 1
                if sym == symbol:
                    held = q
        except (TypeError, ValueError):
            raise refuse("positions", "(symbol, integer quantity) pairs", positions) from None
        max_order, max_trade, min_trade, max_pos, allow_short, max_short, rated, extras = (
            self._limits
        )
        new = held + s * quantity
        value = quantity * price_cents
        if qty_decimals:
            value //= _scale(qty_decimals)
        failed = warned = 0
        dd = self._observe(equity_cents) if equity_cents != self._peak else 0.0
        if self._tripped:
            failed = _B_DRAWDOWN
        grows = new * new > held * held or new * held < 0
        state = self._state
        if state:
            if state == 2:  # HALTED
                failed |= _B_HALTED
            elif grows:
                failed |= _B_REDUCE_ONLY
        if value > max_order:
            failed |= _B_ORDER_VALUE
        if value > max_trade:
            failed |= _B_TRADE_VALUE
        elif value < min_trade:
            warned = _B_MIN_TRADE
        exposure = (new if new >= 0 else -new) * price_cents
        if qty_decimals:
            exposure //= 10**qty_decimals
        if grows:
            if exposure > max_pos * equity_cents:
                failed |= _B_POSITION_LIMIT
            if new < 0:
                if not allow_short:
                    failed |= _B_SHORT_NOT_ALLOWED
                elif exposure > max_short * equity_cents:
                    failed |= _B_SHORT_EXPOSURE
        rates = extra = None
        if rated and ts_ns is not None:
            rates, more = self._rate_bits(ts_ns)
            failed |= more
        if extras:
            extra, more = self._order_extras(
                symbol, held, new, exposure, equity_cents, count, open_orders
            )
            failed |= more
        args = (self, failed, warned, symbol, exposure, equity_cents, held, new, value, dd,
                rates, extra)  # fmt: skip
        return RiskReport(failed, warned, _order_checks, args)

    def _refuse_order(self, symbol: Any, side: Any, qty: Any, price: Any, equity: Any) -> None:
        if not isinstance(symbol, str) or not symbol:
            raise refuse("symbol", "a non-empty string", symbol)
        if not isinstance(side, str | Side) or _SIDES.get(side) is None:
            raise refuse("side", "'buy' or 'sell'", side)
        if type(qty) is not int or qty <= 0:
            raise refuse("quantity", "a positive integer", qty)
        if type(price) is not int or price <= 0:
            raise refuse("price_cents", "a positive integer number of cents", price)
        raise refuse("equity_cents", "an integer number of cents", equity)

    def _rate_bits(self, ts_ns: Any) -> tuple[tuple[int, int], int]:
        if type(ts_ns) is not int or ts_ns < 0:
            raise refuse("ts_ns", "a non-negative integer (ns)", ts_ns)
        cfg = self.config
        rates = self._rates(ts_ns)
        failed = 0
        if cfg.max_orders_per_second and rates[0] >= cfg.max_orders_per_second:
            failed |= _B_RATE_PER_SECOND
        if cfg.max_orders_per_minute and rates[1] >= cfg.max_orders_per_minute:
            failed |= _B_RATE_PER_MINUTE
        return rates, failed

    def _order_extras(
        self,
        symbol: str,
        held: int,
        new: int,
        exposure: int,
        equity: int,
        count: int,
        open_orders: Any,
    ) -> tuple[tuple[Any, ...], int]:
        cfg = self.config
        failed = 0
        if open_orders is None:
            opened = self._open
        elif type(open_orders) is int and open_orders >= 0:
            opened = open_orders
        else:
            raise refuse("open_orders", "a non-negative integer or None", open_orders)
        if cfg.max_open_orders and opened >= cfg.max_open_orders:
            failed |= 1 << _R.OPEN_ORDERS
        after = count + (held == 0 and new != 0) - (held != 0 and new == 0)
        if cfg.max_positions and held == 0 and new != 0 and after > cfg.max_positions:
            failed |= 1 << _R.MAX_POSITIONS
        var = None
        if cfg.max_var_pct is not None and symbol in self._var and equity > 0:
            long_var, short_var = self._var[symbol]
            var = (long_var if new > 0 else short_var) * exposure / equity
            if var > cfg.max_var_pct and new * new > held * held:
                failed |= 1 << _R.VAR_LIMIT
        return (opened, after, var), failed

    # -- a batch -------------------------------------------------------------------------------

    def check_batch(
        self,
        orders: Sequence[tuple[str, str | Side, int, int]],
        *,
        equity_cents: int,
        positions: Sequence[tuple[str, int]] | Mapping[str, int] = (),
        target_weights: Sequence[tuple[str, float]] | Mapping[str, float] = (),
        prices: Sequence[tuple[str, int]] | Mapping[str, int] = (),
        qty_decimals: Mapping[str, int] | None = None,
    ) -> RiskReport:
        """Check a whole rebalance: per-order values, post-trade positions, leverage, shorts.

        ``prices`` (cents) mark the positions; a symbol without one is valued at its (last)
        order's price, and a held symbol with neither is left out of the exposures, with a
        warning. ``qty_decimals`` maps symbols whose quantities count ``10**-d`` units.
        """
        equity = self._equity(equity_cents)
        batch = _batch.prepare(orders, positions, target_weights, prices, qty_decimals)
        dd = self._observe(equity)
        return _batch.run(self, batch, equity, dd)


def _order_checks(
    self: RiskEngine,
    failed: int,
    warned: int,
    symbol: str,
    exposure: int,
    equity: int,
    held: int,
    new: int,
    value: int,
    dd: float,
    rates: tuple[int, int] | None,
    extra: Any,
) -> tuple[RiskCheck, ...]:
    """Format the checks of one order (on first access to the report's checks)."""
    cfg = self.config
    pct = exposure / equity * 100 if equity > 0 else float("inf")
    checks = [
        check("Trading state", failed, warned, _R.HALTED, self._state.name.lower()),
        check("Reduce only", failed, warned, _R.REDUCE_ONLY, f"{symbol} {held} -> {new}"),
        check(
            "Drawdown",
            failed,
            warned,
            _R.DRAWDOWN,
            f"{dd:.1%} from peak {_money(self._peak)} "
            f"(limit {cfg.max_drawdown_pct:.1%}, tripped: {self._tripped})",
        ),
        check(
            "Max order value",
            failed,
            warned,
            _R.ORDER_VALUE,
            f"{_money(value)} vs {_money(cfg.max_order_value_cents)} max_order_value_cents",
        ),
        check(
            "Max position",
            failed,
            warned,
            _R.POSITION_LIMIT,
            f"{pct:.1f}% ({symbol}) vs {cfg.max_position_pct:.1%} limit",
        ),
        check(
            "Order size",
            failed,
            warned,
            _R.TRADE_VALUE if failed >> _R.TRADE_VALUE & 1 else _R.MIN_TRADE,
            f"{_money(value)} in [{_money(cfg.min_trade_value_cents)}, "
            f"{_money(cfg.max_trade_value_cents)}]",
        ),
        check(
            "Short",
            failed,
            warned,
            _R.SHORT_NOT_ALLOWED if not cfg.allow_short else _R.SHORT_EXPOSURE,
            f"{symbol} -> {new} ({pct if new < 0 else 0.0:.1f}% short, "
            f"allow_short={cfg.allow_short}, limit {cfg.max_short_pct:.1%})",
        ),
    ]
    if rates is not None:
        checks.append(
            check(
                "Order rate",
                failed,
                warned,
                _R.RATE_PER_SECOND if failed >> _R.RATE_PER_SECOND & 1 else _R.RATE_PER_MINUTE,
                f"{rates[0]}/s (limit {cfg.max_orders_per_second}), "
                f"{rates[1]}/min (limit {cfg.max_orders_per_minute})",
            )
        )
    if extra is not None:
        checks += _batch.extra_checks(cfg, failed, warned, *extra)
    return tuple(checks)
