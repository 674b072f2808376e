"""The single-symbol ``Exchange``: matching, time in force, stops, queries and history.

Every method checks its arguments, calls one kernel (``_kernels.py``) and wraps the answer.
A refused call raises a ``TickbookError`` naming the field and the value and changes nothing;
each ``try_*`` variant returns that error instead of raising it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tickbook.book import _layout as lay
from tickbook.book._args import SIDE_TEXT, TIF_TEXT, as_int, flags, side_code, tif_code
from tickbook.book._copying import state_arrays, state_from_arrays
from tickbook.book._errors import refusal, row_refusal
from tickbook.book._jit import entry_points, new_state
from tickbook.book._memory import grow
from tickbook.book._results import (
    BATCH_RESULT_DTYPE,
    TRADE_DTYPE,
    CancelResult,
    ModifyResult,
    Order,
    SubmitResult,
    Trade,
    TradeLog,
)
from tickbook.book._stop_api import StopOrders
from tickbook.book.snapshot import BookSnapshot
from tickbook.core import (
    CapacityError,
    DataError,
    OrderStatus,
    SelfTradePrevention,
    Side,
    TickbookError,
    TimeInForce,
    ValidationError,
    format_price,
)
from tickbook.core._checks import check_int, refuse

__all__ = ["BATCH_RESULT_DTYPE", "MAX_ORDER_CAPACITY", "Exchange"]

#: Largest initial ``order_capacity`` (the book grows past it as orders arrive).
MAX_ORDER_CAPACITY = 1 << 24

_SIDE_TEXT, _TIF_TEXT = SIDE_TEXT, TIF_TEXT
_new = tuple.__new__
_H_BEST_BID, _H_BEST_ASK, _H_LAST = lay.H_BEST, lay.H_BEST + 1, lay.H_LAST_PRICE
_H_NLEV_BID, _H_NLEV_ASK, _H_CLOCK = lay.H_NLEV, lay.H_NLEV + 1, lay.H_CLOCK
_empty, _INT64 = np.empty, np.int64
_side, _tif, _int, _flags = side_code, tif_code, as_int, flags


class Exchange(StopOrders):
    """A deterministic single-symbol exchange with price-time priority.

    Prices are integer ticks and quantities integer units. Time comes from a logical clock
    that advances by one per operation, so the same calls always give the same trades.

    Args:
        record_events: keep the log of operations that ``events``, ``save`` and ``replay``
            use (on by default; 32 bytes per operation).
        order_capacity: initial room for orders (grows as needed).
    """

    def __init__(self, *, record_events: bool = True, order_capacity: int = 1024) -> None:
        if type(record_events) is not bool:
            raise refuse("record_events", "True or False", record_events)
        capacity = check_int(
            order_capacity,
            "order_capacity",
            lo=16,
            hi=MAX_ORDER_CAPACITY,
            expected=f"an integer in [16, {MAX_ORDER_CAPACITY}] (the book grows past it)",
        )
        capacity = 1 << (capacity - 1).bit_length()
        try:
            state = new_state(capacity, record_events=record_events)
        except MemoryError:
            raise CapacityError(
                f"no memory for `order_capacity` {order_capacity}",
                field="order_capacity",
                value=order_capacity,
            ) from None
        self._attach(state)

    def _attach(self, state: Any) -> None:
        self._st = state
        self._k = entry_points(self._st)
        self._hdr = self._st.hdr
        self._h = memoryview(self._hdr)
        self._bbo: tuple[int | None, int | None] | None = None
        self._depth: tuple[Any, int, BookSnapshot] | None = None
        self._new_trade_log()
        # the hottest kernel is bound here; the others load on first use
        self._limit = self._k.limit

    # -- copies: an independent book on copies of the arrays (book/_copying.py) ---------------

    def __copy__(self) -> Exchange:
        return _restore(type(self), state_arrays(self._st))

    def __deepcopy__(self, memo: dict[int, Any]) -> Exchange:
        return _restore(type(self), state_arrays(self._st))

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), state_arrays(self._st))

    # -- orders -------------------------------------------------------------------------------

    def submit_limit(
        self,
        side: Side | str,
        price: int,
        quantity: int,
        tif: TimeInForce | str = "gtc",
        post_only: bool | None = None,
        display_quantity: int | None = None,
        owner: int | None = None,
        stp: SelfTradePrevention | str | None = None,
    ) -> SubmitResult:
        """Submit a limit order; the part that does not trade is handled by ``tif``.

        The options after ``tif`` are meant to be passed by keyword (they are not keyword-only
        because that costs every call ~30 ns in CPython); ``None`` leaves an option unset.

        Args:
            side: "buy" or "sell" (or a ``Side``).
            price: limit price in ticks (> 0).
            quantity: units (> 0).
            tif: "gtc" rests the remainder, "ioc" cancels it, "fok" trades all or nothing.
            post_only: cancel the order instead of trading if it would cross (GTC only).
            display_quantity: iceberg: show this much at a time (0 shows everything).
            owner: account id (> 0) for self-trade prevention; 0 for none.
            stp: what to do when ``owner`` would trade with itself (``SelfTradePrevention``).
        """
        if type(price) is not int or type(quantity) is not int:
            s, t = _side(side), _tif(tif)
            price, quantity = _int(price, "price"), _int(quantity, "quantity")
        else:
            # string keys only: no number or bool can equal one (members take the slow path)
            try:
                s = _SIDE_TEXT[side]
                t = _TIF_TEXT[tif]
            except (KeyError, TypeError):
                s, t = _side(side), _tif(tif)
        self._bbo = None
        try:
            if (
                post_only is not None
                or display_quantity is not None
                or owner is not None
                or (stp is not None)
            ):
                r = self._k.limit_ex(
                    self._st,
                    s,
                    price,
                    quantity,
                    t,
                    _flags(False if post_only is None else post_only, stp),
                    0 if owner is None else _int(owner, "owner"),
                    0 if display_quantity is None else _int(display_quantity, "display_quantity"),
                )
            else:
                r = self._limit(self._st, s, price, quantity, t)
        except OverflowError:
            raise self._overflow(price=price, quantity=quantity) from None
        if r[0] > 0:
            return r  # the kernel answered the SubmitResult itself (book/_answers.py)
        if r[0] < 0:
            if r[0] == lay.E_ROOM:
                self._grow()
                return self.submit_limit(
                    side, price, quantity, tif, post_only, display_quantity, owner, stp
                )
            raise refusal(
                r[0],
                side=side,
                price=price,
                quantity=quantity,
                tif=tif,
                display_quantity=display_quantity,
                owner=owner,
                stp=stp,
            )
        return r

    def submit_market(
        self,
        side: Side | str,
        quantity: int,
        *,
        owner: int = 0,
        stp: SelfTradePrevention | str | None = None,
    ) -> SubmitResult:
        """Submit a market order: it takes what the book offers and cancels the rest (IOC)."""
        if type(quantity) is not int:
            s = _side(side)
            quantity = _int(quantity, "quantity")
        else:
            try:
                s = _SIDE_TEXT[side]
            except (KeyError, TypeError):
                s = _side(side)
        flags = 0 if stp is None else _flags(False, stp)
        if type(owner) is not int:
            owner = _int(owner, "owner")
        self._bbo = None
        try:
            r = self._k.market(self._st, s, quantity, flags, owner)
        except OverflowError:
            raise self._overflow(quantity=quantity, owner=owner) from None
        if r[0] > 0:
            return r
        if r[0] < 0:
            if r[0] == lay.E_ROOM:
                self._grow()
                return self.submit_market(side, quantity, owner=owner, stp=stp)
            raise refusal(r[0], side=side, quantity=quantity, owner=owner, stp=stp)
        return r

    def cancel(self, order_id: int) -> CancelResult:
        """Cancel a resting order or a pending stop; its whole open quantity is cancelled."""
        if type(order_id) is not int:
            order_id = _int(order_id, "order_id")
        self._bbo = None
        try:
            r = self._k.cancel(self._st, order_id)  # a CancelResult (book/_answers.py)
        except OverflowError:
            raise self._overflow(order_id=order_id) from None
        if r[0] is not True:
            if r[1] == lay.E_ROOM:
                self._grow()
                return self.cancel(order_id)
            raise refusal(r[1], order_id=order_id)
        return r

    def modify(self, order_id: int, new_price: int, new_quantity: int) -> ModifyResult:
        """Cancel a resting order and submit a replacement at a new price and quantity.

        The replacement gets a new id and goes to the back of the queue (it may trade at once).
        To lower the quantity and keep the queue position, use ``reduce``.
        """
        order_id = _int(order_id, "order_id")
        new_price = _int(new_price, "new_price")
        new_quantity = _int(new_quantity, "new_quantity")
        self._bbo = None
        try:
            r = self._k.modify(self._st, order_id, new_price, new_quantity)
        except OverflowError:
            raise self._overflow(new_price=new_price, new_quantity=new_quantity) from None
        if r[0] < 0:
            if r[0] == lay.E_ROOM:
                self._grow()
                return self.modify(order_id, new_price, new_quantity)
            raise refusal(r[0], order_id=order_id, new_price=new_price, new_quantity=new_quantity)
        # as the kernels box it: the trade log only where the replacement traded
        submit = _new(SubmitResult, (*r[:7], self._tlog if r[5] != r[6] else None))
        return ModifyResult(True, order_id, r[0], r[7], submit)

    def reduce(self, order_id: int, new_quantity: int) -> CancelResult:
        """Lower a resting order's open quantity to ``new_quantity``, keeping its queue place.

        ``new_quantity`` must be at least 1 and below the open quantity; the difference is
        cancelled (``CancelResult.cancelled_quantity``).
        """
        order_id = _int(order_id, "order_id")
        new_quantity = _int(new_quantity, "new_quantity")
        self._bbo = None
        try:
            code, cut = self._k.reduce(self._st, order_id, new_quantity)
        except OverflowError:
            raise self._overflow(new_quantity=new_quantity) from None
        if code < 0:
            if code == lay.E_ROOM:
                self._grow()
                return self.reduce(order_id, new_quantity)
            raise refusal(code, order_id=order_id, new_quantity=new_quantity)
        return _new(CancelResult, (True, cut, None))

    # -- try_* variants -----------------------------------------------------------------------

    def try_submit_limit(self, *args: Any, **kwargs: Any) -> SubmitResult | TickbookError:
        """Like ``submit_limit``, but return the refusal instead of raising it."""
        try:
            return self.submit_limit(*args, **kwargs)
        except TickbookError as error:
            return error

    def try_submit_market(self, *args: Any, **kwargs: Any) -> SubmitResult | TickbookError:
        """Like ``submit_market``, but return the refusal instead of raising it."""
        try:
            return self.submit_market(*args, **kwargs)
        except TickbookError as error:
            return error

    def try_cancel(self, order_id: int) -> CancelResult:
        """Like ``cancel``, but answer ``success=False`` with the error instead of raising."""
        try:
            return self.cancel(order_id)
        except TickbookError as error:
            return _new(CancelResult, (False, 0, error))

    def try_modify(self, order_id: int, new_price: int, new_quantity: int) -> ModifyResult:
        """Like ``modify``, but answer ``success=False`` with the error instead of raising."""
        try:
            return self.modify(order_id, new_price, new_quantity)
        except TickbookError as error:
            return ModifyResult(False, order_id, None, 0, None, error)

    # -- queries ------------------------------------------------------------------------------

    def best_bid_ask(self) -> tuple[int | None, int | None]:
        """Return (best bid, best ask) in ticks, ``None`` for an empty side. O(1)."""
        bbo = self._bbo
        if bbo is None:
            h = self._h
            bbo = self._bbo = (h[_H_BEST_BID] or None, h[_H_BEST_ASK] or None)
        return bbo

    def best_bid(self) -> int | None:
        """Return the highest bid price, if any."""
        return self.best_bid_ask()[0]

    def best_ask(self) -> int | None:
        """Return the lowest ask price, if any."""
        return self.best_bid_ask()[1]

    def spread(self) -> int | None:
        """Return best ask minus best bid, if both sides have orders."""
        bid, ask = self.best_bid_ask()
        return None if bid is None or ask is None else ask - bid

    def last_trade_price(self) -> int | None:
        """Return the price of the last trade, if any."""
        return self._h[_H_LAST] or None

    def depth(self, levels: int = 10) -> BookSnapshot:
        """Return the best ``levels`` price levels of each side."""
        if type(levels) is not int or levels < 1:
            levels = check_int(levels, "levels", lo=1, hi=1 << 31, expected="a positive integer")
        bbo = self._bbo
        if bbo is None:
            bbo = self.best_bid_ask()
        cached = self._depth
        if cached is not None and cached[0] is bbo and cached[1] == levels:
            return cached[2]
        snap = self._snapshot(levels)
        self._depth = (bbo, levels, snap)
        return snap

    def full_book(self) -> BookSnapshot:
        """Return every price level of both sides."""
        return self._snapshot(max(self._h[lay.H_NLEV], self._h[lay.H_NLEV + 1], 1))

    def _snapshot(self, levels: int) -> BookSnapshot:
        h = self._h
        deepest = h[_H_NLEV_BID]
        if h[_H_NLEV_ASK] > deepest:
            deepest = h[_H_NLEV_ASK]
        if levels > deepest:
            levels = deepest or 1
        out = _empty((2 * levels, 3), _INT64)
        counts = self._k.snapshot(self._st, levels, out)
        return BookSnapshot(out, levels, counts >> 32, counts & 0xFFFFFFFF, h[_H_CLOCK])

    def orders(self, side: Side | str) -> np.ndarray:
        """Return the resting orders of one side in priority order (level 3).

        Columns of the structured array: ``order_id``, ``price``, ``visible`` (displayed),
        ``quantity`` (open, hidden included), ``owner``, ``timestamp``.
        """
        s = _side(side)
        out = np.empty((self._h[lay.H_NRESTING], 6), np.int64)
        n = self._k.book_orders(self._st, s, out)
        names = ["order_id", "price", "visible", "quantity", "owner", "timestamp"]
        return np.rec.fromarrays(out[:n].T, names=names)

    def get_order(self, order_id: int) -> Order | None:
        """Return the order with this id, or ``None`` if the book does not hold it."""
        order_id = _int(order_id, "order_id")
        slot = self._k.order_slot(self._st, order_id)
        if slot < 0:
            return None
        q = self._st.oq[slot].tolist()
        ts, peak = self._st.oc[slot].tolist()
        meta = q[lay.O_META]
        side, status, tif, flags = (
            meta & 0xFF,
            (meta >> 8) & 0xFF,
            (meta >> 16) & 0xFF,
            (meta >> 24) & 0xFF,
        )
        return Order(
            id=q[lay.O_ID],
            side=Side(side),
            price=None if flags & lay.F_MARKET else q[lay.O_PRICE],
            original_quantity=q[lay.O_QTY],
            remaining_quantity=q[lay.O_REM],
            filled_quantity=q[lay.O_FILLED],
            cancelled_quantity=q[lay.O_QTY] - q[lay.O_FILLED] - q[lay.O_REM],
            status=OrderStatus(status),
            time_in_force=TimeInForce(tif),
            timestamp=ts,
            owner=meta >> 32,
            display_quantity=peak or None,
            visible_quantity=q[lay.O_VIS],
            post_only=bool(flags & lay.F_POST_ONLY),
        )

    def trades(self) -> list[Trade]:
        """Return the trades since the last ``clear_trades``, oldest first."""
        return self._tlog.trades(0, self._h[lay.H_NTRADES])

    def trades_array(self) -> np.ndarray:
        """Return the trade log as a structured array (a copy): fields as ``Trade``'s."""
        rows = self._tlog.rows[: self._h[lay.H_NTRADES]]
        return np.ascontiguousarray(rows).view(TRADE_DTYPE).reshape(-1).copy()

    @property
    def clock(self) -> int:
        """The logical clock: the number of operations so far."""
        return self._h[lay.H_CLOCK]

    def order_count(self) -> int:
        """Return the number of orders resting on the book."""
        return self._h[lay.H_NRESTING]

    # -- history and memory -------------------------------------------------------------------

    def clear_trades(self) -> None:
        """Drop the trade log (results already returned keep their trades)."""
        self._tlog.freeze()
        self._k.clear_trades(self._st)
        self._new_trade_log()

    def clear_order_history(self) -> int:
        """Forget filled and cancelled orders and finished stops; return how many orders."""
        freed = self._k.clear_history(self._st)
        if freed == lay.E_ROOM:
            self._grow()
            return self.clear_order_history()
        return freed

    def compact(self) -> int:
        """Give memory back; return the order capacity kept.

        Shrinks the order table and the id index to the live orders (call it after
        ``clear_order_history``) and the trade log to its rows. Nothing observable changes.
        """
        return self._k.compact(self._st)

    def events(self) -> np.ndarray:
        """Return the operations so far as a structured array (``COMMAND_DTYPE``, a copy)."""
        if not self._h[lay.H_RECORD]:
            raise ValidationError(
                "this exchange does not record events (created with record_events=False)",
                field="record_events",
                value=False,
            )
        return self._st.ev[: self._h[lay.H_NEVENTS]].copy()

    def submit_batch(self, commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run an array of commands in one call; return (results, trades) arrays.

        ``commands`` has dtype ``COMMAND_DTYPE``; see ``tickbook.book.commands`` for helpers.
        ``results`` has one row per command (``BATCH_RESULT_DTYPE``): a refused command has
        a negative ``error`` and changed nothing. ``trades`` holds the trades of the batch;
        a command's are rows ``[trade_start, trade_end)``. It is a read-only view of the
        exchange's append-only trade log, not a copy (copying cost a fifth of a large batch):
        later operations never change its rows; it keeps that log array alive while you hold
        it; ``.copy()`` it to edit or to keep only these rows.
        """
        from tickbook.book.commands import check_commands

        commands = check_commands(commands)
        n = len(commands)
        self._grow(n, n)
        self._bbo = None
        t0 = self._h[lay.H_NTRADES]
        results = np.empty(n, BATCH_RESULT_DTYPE)
        grid = results.view(np.int64).reshape(-1, 8)
        done = self._k.run_commands(self._st, commands, 0, t0, grid)
        while done < n:  # a command lacked room: grow and resume at it
            self._grow()
            done = self._k.run_commands(self._st, commands, done, t0, grid)
        trades = self._tlog.rows[t0 : self._h[lay.H_NTRADES]].view(TRADE_DTYPE).reshape(-1)
        trades.flags.writeable = False
        return results, trades

    @classmethod
    def replay(cls, events: np.ndarray, **kwargs: Any) -> Exchange:
        """Build a new exchange by running ``events`` (from ``events()`` or ``load``) again.

        A log holds only accepted operations, so a row the engine refuses means the events
        are not a log: ``DataError`` names the first such row.
        """
        exchange = cls(**kwargs)
        results, _ = exchange.submit_batch(events)
        refused = np.flatnonzero(results["error"] < 0)
        if refused.size:
            row = int(refused[0])
            why = row_refusal(int(results["error"][row]), events, row)
            raise DataError(f"event {row} is refused by the engine: {why}", field="row", value=row)
        return exchange

    def save(self, path: str | Path) -> None:
        """Write the event log as JSON Lines (one operation per line)."""
        from tickbook.book._persist import write_events

        write_events(path, self.events())

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> Exchange:
        """Rebuild an exchange from a file written by ``save``."""
        from tickbook.book._persist import read_events

        try:
            return cls.replay(read_events(path), **kwargs)
        except DataError as error:
            if error.field != "row":
                raise
            line = error.value + 2  # the header is line 1
            raise DataError(
                f"events file {path}, line {line}: {error}", field="line", value=line
            ) from None

    # -- internals ----------------------------------------------------------------------------

    def _grow(self, orders: int = 0, trades: int = 0) -> None:
        """Make room for the next operation (and ``orders``/``trades`` more), then retry it."""
        try:
            grow(self._st, self._k.adopt, orders, trades)
        except MemoryError:  # raised before the book changed
            raise CapacityError(
                "no memory to grow the book", field="orders", value=self.order_count()
            ) from None

    def _new_trade_log(self) -> None:
        # kernels put this log in every SubmitResult they box, found through its address in
        # the header; the exchange holds the object, so the address stays valid (see __del__)
        self._tlog = TradeLog(self._st)
        self._hdr[lay.H_TRADE_LOG] = id(self._tlog)

    def __del__(self) -> None:
        # results outlive the exchange: they keep the log's rows, not the whole book
        tlog = getattr(self, "_tlog", None)
        if tlog is not None:
            try:
                self._hdr[lay.H_TRADE_LOG] = 0
                tlog.freeze()
            except Exception:  # interpreter shutdown: nothing left to keep
                pass

    @staticmethod
    def _overflow(**fields: Any) -> ValidationError:
        for name, value in fields.items():
            if isinstance(value, int) and not -(1 << 63) <= value < (1 << 63):
                return refuse(name, "an integer that fits in 64 bits", value)
        name, value = next(iter(fields.items()))
        return refuse(name, "an integer that fits in 64 bits", value)

    def __repr__(self) -> str:
        bid, ask = self.best_bid_ask()
        return (
            f"Exchange(bid={_px(bid)}, ask={_px(ask)}, last={_px(self.last_trade_price())}, "
            f"resting={self.order_count()}, stops={self.pending_stop_count()}, clock={self.clock})"
        )


def _px(ticks: int | None) -> str:
    return "None" if ticks is None else format_price(ticks)


def _restore(cls: type[Exchange], arrays: tuple[np.ndarray, ...]) -> Exchange:
    """Build an exchange on ``arrays`` (copies of a state's arrays): copy and unpickle."""
    exchange = cls.__new__(cls)
    exchange._attach(state_from_arrays(arrays))
    return exchange
