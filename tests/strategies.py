"""Shared hypothesis strategies.

Book operations are plain tuples ``(method, args, kwargs)`` named after ``Exchange`` methods, so
that one helper can run the same operation on the engine and on the reference model
(``tests/reference/book_model.py``). Prices sit in a narrow band so that orders cross, a few
owners meet each other under self-trade prevention, and ids are drawn from a small range so
that cancels, modifies and reductions hit existing orders, finished ones and unknown ones.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

Op = tuple[str, tuple[Any, ...], dict[str, Any]]

LOW, HIGH = 96, 104  #: the price band (ticks)
MAX_QTY = 20
OWNERS = (0, 1, 2, 3)
STP = (None, "cancel_newest", "cancel_oldest", "cancel_both", "decrement")

sides = st.sampled_from(("buy", "sell"))
prices = st.integers(LOW, HIGH)
near_prices = st.integers(99, 101)  #: three prices: queues get long
quantities = st.integers(1, MAX_QTY)
tifs = st.sampled_from(("gtc", "gtc", "gtc", "ioc", "fok"))


def order_ids(max_id: int = 40) -> st.SearchStrategy[int]:
    """Ids of earlier orders and stops (mostly), and a few that never existed."""
    return st.one_of(st.integers(1, max_id), st.sampled_from((0, -1, 10**6)))


@st.composite
def limit_ops(
    draw: st.DrawFn,
    *,
    icebergs: bool = True,
    post_only: bool = True,
    stp: bool = True,
    price_range: st.SearchStrategy[int] = prices,
    tif_choice: st.SearchStrategy[str] = tifs,
    owners: tuple[int, ...] = OWNERS,
    odds: int = 5,
) -> Op:
    """A limit order, sometimes (1 in ``odds``) an iceberg, post-only or with an owner."""
    side, price, qty, tif = draw(sides), draw(price_range), draw(quantities), draw(tif_choice)
    kwargs: dict[str, Any] = {}
    if icebergs and draw(st.integers(1, odds)) == 1:
        kwargs["display_quantity"] = draw(st.integers(1, qty + 1))  # qty + 1 is refused
    if post_only and draw(st.integers(0, odds + 1)) == 0:
        kwargs["post_only"] = True  # refused unless gtc
    if stp and draw(st.integers(1, odds)) <= 3:
        kwargs["owner"] = draw(st.sampled_from(owners))
        mode = draw(st.sampled_from(STP))
        if mode is not None:
            kwargs["stp"] = mode
    return ("submit_limit", (side, price, qty, tif), kwargs)


@st.composite
def market_ops(draw: st.DrawFn, *, stp: bool = True) -> Op:
    """A market order, sometimes with an owner and a self-trade mode."""
    kwargs: dict[str, Any] = {}
    if stp and draw(st.booleans()):
        kwargs["owner"] = draw(st.sampled_from(OWNERS))
        mode = draw(st.sampled_from(STP))
        if mode is not None:
            kwargs["stp"] = mode
    return ("submit_market", (draw(sides), draw(st.integers(1, 2 * MAX_QTY))), kwargs)


def cancel_ops(max_id: int = 40) -> st.SearchStrategy[Op]:
    """Cancel an order or a stop by id."""
    return order_ids(max_id).map(lambda oid: ("cancel", (oid,), {}))


def modify_ops(max_id: int = 40) -> st.SearchStrategy[Op]:
    """Cancel-and-replace at a new price and quantity."""
    return st.tuples(order_ids(max_id), prices, quantities).map(lambda a: ("modify", a, {}))


def reduce_ops(max_id: int = 40) -> st.SearchStrategy[Op]:
    """Lower an order's open quantity (0 and too-large values are refused)."""
    return st.tuples(order_ids(max_id), st.integers(0, MAX_QTY)).map(lambda a: ("reduce", a, {}))


stop_market_ops = st.tuples(sides, prices, quantities).map(lambda a: ("submit_stop_market", a, {}))
stop_limit_ops = st.tuples(sides, prices, prices, quantities, tifs).map(
    lambda a: ("submit_stop_limit", a, {})
)


@st.composite
def trail_params(draw: st.DrawFn) -> tuple[str, Any, int | None]:
    """(trail_type, trail_value, atr_period) with trails of a few ticks at these prices."""
    kind = draw(st.sampled_from(("fixed", "percentage", "atr")))
    if kind == "fixed":
        return kind, draw(st.integers(1, 6)), None
    if kind == "percentage":
        return kind, draw(st.sampled_from((0.005, 0.01, 0.025, 0.03, 0.05, 0.1))), None
    return kind, draw(st.sampled_from((0.5, 1.0, 1.5, 2.0, 3.0))), draw(st.integers(1, 4))


@st.composite
def trailing_stop_ops(draw: st.DrawFn) -> Op:
    """A trailing stop-market or stop-limit order."""
    side, stop, qty = draw(sides), draw(prices), draw(quantities)
    kind, value, period = draw(trail_params())
    if draw(st.booleans()):
        return ("submit_trailing_stop_market", (side, stop, qty, kind, value, period), {})
    limit, tif = draw(prices), draw(tifs)
    return (
        "submit_trailing_stop_limit",
        (side, stop, limit, qty, kind, value, tif, period),
        {},
    )


clear_history_ops = st.just(("clear_order_history", (), {}))


def book_ops(*, stops: bool = True, extras: bool = True, max_id: int = 40) -> st.SearchStrategy[Op]:
    """One operation of any kind (limits weigh most, so that a book builds up)."""
    plain_limit = limit_ops(icebergs=False, post_only=False, stp=False)
    choices = [
        plain_limit,
        plain_limit,
        limit_ops(icebergs=extras, post_only=extras, stp=extras),
        market_ops(stp=extras),
        cancel_ops(max_id),
        modify_ops(max_id),
        reduce_ops(max_id),
    ]
    if stops:
        choices += [stop_market_ops, stop_limit_ops, trailing_stop_ops()]
    if extras:
        choices += [clear_history_ops]
    return st.one_of(choices)


def op_sequences(
    *, min_size: int = 1, max_size: int = 40, stops: bool = True, extras: bool = True
) -> st.SearchStrategy[list[Op]]:
    """A sequence of book operations (ids range over what such a sequence can create)."""
    return st.lists(
        book_ops(stops=stops, extras=extras, max_id=max_size + 2),
        min_size=min_size,
        max_size=max_size,
    )


def self_trade_sequences(max_size: int = 30) -> st.SearchStrategy[list[Op]]:
    """Crowded queues of icebergs and owned orders at three prices, with every STP mode."""
    busy = limit_ops(
        price_range=near_prices,
        tif_choice=st.sampled_from(("gtc", "gtc", "ioc", "fok")),
        owners=(1, 2),
        odds=2,
    )
    op = st.one_of(busy, busy, busy, market_ops(), reduce_ops(max_size), cancel_ops(max_size))
    return st.lists(op, min_size=4, max_size=max_size)


def plain_ops(max_id: int = 40) -> st.SearchStrategy[Op]:
    """Plain flow only (what every peer supports): limit GTC/IOC/FOK, market, cancel, modify."""
    plain_limit = limit_ops(icebergs=False, post_only=False, stp=False)
    return st.one_of(
        plain_limit,
        plain_limit,
        plain_limit,
        market_ops(stp=False),
        cancel_ops(max_id),
        modify_ops(max_id),
    )
