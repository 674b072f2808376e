"""The stop-order half of ``Exchange``: stop, stop-limit and trailing stops, and their queries.

``Exchange`` inherits these methods from ``StopOrders``; they use the exchange's state and
kernels (``self._st``, ``self._k``) like the order methods do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tickbook.book import _layout as lay
from tickbook.book._args import as_int, side_code, tif_code
from tickbook.book._errors import refusal
from tickbook.book._results import StopOrder, StopStatus, StopSubmitResult
from tickbook.core import Side, TimeInForce
from tickbook.core._checks import check_int, refuse

__all__ = ["StopOrders"]

_TRAIL = {
    "fixed": lay.TRAIL_FIXED,
    "percentage": lay.TRAIL_PERCENT,
    "percent": lay.TRAIL_PERCENT,
    "atr": lay.TRAIL_ATR,
    "sma_abs_change": lay.TRAIL_ATR,
}
_TRAIL_NAMES = {lay.TRAIL_FIXED: "fixed", lay.TRAIL_PERCENT: "percentage", lay.TRAIL_ATR: "atr"}
_STOP_STATUS = (StopStatus.PENDING, StopStatus.TRIGGERED, StopStatus.CANCELLED)


class StopOrders:
    """Stop orders of an ``Exchange`` (a mixin: the exchange holds the state and kernels)."""

    _st: Any
    _k: Any
    _h: Any
    _bbo: Any

    def submit_stop_market(
        self, side: Side | str, stop_price: int, quantity: int, *, owner: int = 0
    ) -> StopSubmitResult:
        """Submit a stop that becomes a market order when the last trade reaches ``stop_price``.

        A buy stop triggers when last >= stop, a sell stop when last <= stop; at once if the
        last trade is already past it.
        """
        return self._stop(side, stop_price, 0, quantity, "ioc", owner, 0, 0, 0)

    def submit_stop_limit(
        self,
        side: Side | str,
        stop_price: int,
        limit_price: int,
        quantity: int,
        tif: TimeInForce | str = "gtc",
        *,
        owner: int = 0,
    ) -> StopSubmitResult:
        """Submit a stop that becomes a limit order at ``limit_price`` when triggered."""
        limit_price = as_int(limit_price, "limit_price")
        if limit_price < 1:
            raise refuse("limit_price", "a positive integer (ticks)", limit_price)
        return self._stop(side, stop_price, limit_price, quantity, tif, owner, 0, 0, 0)

    def submit_trailing_stop_market(
        self,
        side: Side | str,
        initial_stop_price: int,
        quantity: int,
        trail_type: str,
        trail_value: float,
        atr_period: int | None = None,
        *,
        owner: int = 0,
    ) -> StopSubmitResult:
        """Submit a trailing stop-market order.

        The stop follows the best price since submission and moves only in the protective
        direction: a sell stop rises with the highest trade price, a buy stop falls with the
        lowest. ``trail_type`` is "fixed" (``trail_value`` in ticks), "percentage" (a
        fraction, e.g. 0.05) or "atr" (``trail_value`` times the mean absolute change of the
        last ``atr_period`` trade prices; the stop stays put until that many changes exist).
        """
        return self._trailing(
            side, initial_stop_price, 0, quantity, "ioc", trail_type, trail_value, atr_period, owner
        )

    def submit_trailing_stop_limit(
        self,
        side: Side | str,
        initial_stop_price: int,
        limit_price: int,
        quantity: int,
        trail_type: str,
        trail_value: float,
        tif: TimeInForce | str = "gtc",
        atr_period: int | None = None,
        *,
        owner: int = 0,
    ) -> StopSubmitResult:
        """Submit a trailing stop that becomes a limit order at ``limit_price``."""
        limit_price = as_int(limit_price, "limit_price")
        if limit_price < 1:
            raise refuse("limit_price", "a positive integer (ticks)", limit_price)
        return self._trailing(
            side,
            initial_stop_price,
            limit_price,
            quantity,
            tif,
            trail_type,
            trail_value,
            atr_period,
            owner,
        )

    def _trailing(
        self,
        side,
        stop_price,
        limit_price,
        quantity,
        tif,
        trail_type,
        trail_value,
        atr_period,
        owner,
    ) -> StopSubmitResult:
        if not isinstance(trail_type, str) or trail_type.lower() not in _TRAIL:
            raise refuse("trail_type", "'fixed', 'percentage' or 'atr'", trail_type)
        method = _TRAIL[trail_type.lower()]
        if method == lay.TRAIL_FIXED:
            value = check_int(
                trail_value,
                "trail_value",
                lo=1,
                hi=lay.MAX_PRICE,
                expected="a positive integer (ticks) for a fixed trail",
            )
        else:
            if isinstance(trail_value, (bool, np.bool_)) or not isinstance(
                trail_value, (int, float, np.integer, np.floating)
            ):
                raise refuse("trail_value", "a positive number", trail_value)
            hi = 1.0 if method == lay.TRAIL_PERCENT else 100.0
            if not 0 < trail_value < hi or trail_value != trail_value:
                raise refuse("trail_value", f"a number in (0, {hi:g})", trail_value)
            value = max(1, round(float(trail_value) * lay.PPB))
            if value >= hi * lay.PPB:  # rounds up to the excluded bound
                raise refuse("trail_value", f"a number in (0, {hi:g})", trail_value)
        period = 0
        if method == lay.TRAIL_ATR:
            if atr_period is None:
                raise refuse("atr_period", "an integer period for trail_type 'atr'", atr_period)
            period = check_int(
                atr_period,
                "atr_period",
                lo=1,
                hi=lay.MAX_ATR_PERIOD,
                expected=f"an integer in [1, {lay.MAX_ATR_PERIOD}]",
            )
        return self._stop(
            side, stop_price, limit_price, quantity, tif, owner, method, value, period, trail_value
        )

    def _stop(
        self,
        side,
        stop_price,
        limit_price,
        quantity,
        tif,
        owner,
        method,
        value,
        period,
        trail_value=None,
    ):
        s, t = side_code(side), tif_code(tif)
        stop_price = as_int(stop_price, "stop_price")
        quantity = as_int(quantity, "quantity")
        owner = as_int(owner, "owner")
        self._bbo = None
        try:
            oid, status = self._k.stop(
                self._st, s, stop_price, limit_price, quantity, t, 0, owner, method, value, period
            )
        except OverflowError:
            raise self._overflow(stop_price=stop_price, quantity=quantity) from None
        if oid == lay.E_ROOM:
            self._grow()
            return self._stop(
                side,
                stop_price,
                limit_price,
                quantity,
                tif,
                owner,
                method,
                value,
                period,
                trail_value,
            )
        if oid < 0:
            raise refusal(
                oid,
                side=side,
                stop_price=stop_price,
                limit_price=limit_price,
                quantity=quantity,
                trail_value=trail_value,
                tif=tif,
                owner=owner,
            )
        return StopSubmitResult(oid, _STOP_STATUS[status])

    def pending_stop_count(self) -> int:
        """Return how many stop orders wait for their trigger."""
        return self._h[lay.H_NPENDING]

    def get_stop_order(self, order_id: int) -> StopOrder | None:
        """Return the stop order with this id, or ``None``."""
        order_id = as_int(order_id, "order_id")
        sp = self._st.sp
        for row in sp[: self._h[lay.H_NSTOPS]].tolist():
            if row[lay.S_ID] != order_id:
                continue
            method = row[lay.S_TRAIL]
            value = row[lay.S_VALUE]
            return StopOrder(
                id=order_id,
                side=Side(row[lay.S_SIDE]),
                stop_price=row[lay.S_STOP],
                limit_price=row[lay.S_LIMIT] or None,
                quantity=row[lay.S_QTY],
                time_in_force=TimeInForce(row[lay.S_TIF]),
                status=_STOP_STATUS[row[lay.S_STATUS]],
                timestamp=row[lay.S_TS],
                trail_method=_TRAIL_NAMES.get(method),
                trail_value=(value if method == lay.TRAIL_FIXED else value / lay.PPB)
                if method
                else None,
                atr_period=row[lay.S_PERIOD] or None,
            )
        return None
