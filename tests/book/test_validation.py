"""Bad input at every public entry point of ``Exchange``: refused, named, and nothing changes.

Each refusal must be a ``ValidationError`` subclass (``DataError`` for files) whose ``field`` and
``value`` name the refused argument, and the exchange's whole observable state (depth, L3
queues, orders and stops by id, trades, clock, event log) must be as it was before the call.
Hypothesis fuzzes the argument values; example tables pin the classes and fields.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.book.test_differential import SETTINGS, scaled
from tests.reference.book_model import engine_fingerprint
from tickbook.book import COMMAND_DTYPE, CommandKind, Exchange, make_commands
from tickbook.core import (
    DataError,
    InvalidOrder,
    OrderNotActive,
    SelfTradePrevention,
    Side,
    TickbookError,
    TimeInForce,
    UnknownOrder,
    ValidationError,
)

MAX_PRICE = (1 << 52) - 1
MAX_QTY = (1 << 40) - 1
MAX_OWNER = (1 << 31) - 1
IDS = {"bid": 1, "ask": 2, "filled": 3, "cancelled": 4, "stop": 5, "trail": 6}


def busy() -> Exchange:
    """A book with a bit of everything; ids as in ``IDS``."""
    ex = Exchange()
    assert ex.submit_limit("buy", 99, 10).order_id == IDS["bid"]
    assert ex.submit_limit("sell", 101, 10, display_quantity=4, owner=7).order_id == IDS["ask"]
    assert ex.submit_limit("sell", 99, 3).order_id == IDS["filled"]  # trades with the bid
    assert ex.submit_limit("buy", 98, 5).order_id == IDS["cancelled"]
    ex.cancel(IDS["cancelled"])
    assert ex.submit_stop_market("sell", 90, 2).order_id == IDS["stop"]
    trail = ex.submit_trailing_stop_limit("buy", 120, 121, 2, "percentage", 0.05)
    assert trail.order_id == IDS["trail"]
    return ex


def assert_refused(
    ex: Exchange, call: Callable[[Exchange], Any], error: type, field: str, value: Any
) -> TickbookError:
    before = engine_fingerprint(ex)

    with pytest.raises(error) as info:
        call(ex)

    err = info.value
    assert isinstance(err, TickbookError) and err.field == field
    if isinstance(value, float) and math.isnan(value):
        assert isinstance(err.value, float) and math.isnan(err.value)
    else:
        assert err.value == value and type(err.value) is type(value)
    assert f"`{field}`" in str(err) or field == "line"
    assert engine_fingerprint(ex) == before
    return err


VE, IO, UO, NA = ValidationError, InvalidOrder, UnknownOrder, OrderNotActive
BIG = 2**70

# (id, call, error class, field, value)
LIMIT_CASES = [
    ("side word", lambda ex: ex.submit_limit("hold", 100, 5), VE, "side", "hold"),
    ("side None", lambda ex: ex.submit_limit(None, 100, 5), VE, "side", None),
    ("side bool", lambda ex: ex.submit_limit(True, 100, 5), VE, "side", True),
    ("side 2", lambda ex: ex.submit_limit(2, 100, 5), VE, "side", 2),
    ("price 0", lambda ex: ex.submit_limit("buy", 0, 5), IO, "price", 0),
    ("price -1", lambda ex: ex.submit_limit("buy", -1, 5), IO, "price", -1),
    ("price max+1", lambda ex: ex.submit_limit("buy", MAX_PRICE + 1, 5), IO, "price", 2**52),
    ("price 2**70", lambda ex: ex.submit_limit("buy", BIG, 5), VE, "price", BIG),
    ("price float", lambda ex: ex.submit_limit("buy", 100.0, 5), VE, "price", 100.0),
    ("price nan", lambda ex: ex.submit_limit("buy", math.nan, 5), VE, "price", math.nan),
    ("price bool", lambda ex: ex.submit_limit("buy", True, 5), VE, "price", True),
    ("price str", lambda ex: ex.submit_limit("buy", "100", 5), VE, "price", "100"),
    ("price None", lambda ex: ex.submit_limit("buy", None, 5), VE, "price", None),
    ("qty 0", lambda ex: ex.submit_limit("buy", 100, 0), IO, "quantity", 0),
    ("qty -3", lambda ex: ex.submit_limit("sell", 100, -3), IO, "quantity", -3),
    ("qty max+1", lambda ex: ex.submit_limit("buy", 100, MAX_QTY + 1), IO, "quantity", 2**40),
    ("qty 2**70", lambda ex: ex.submit_limit("buy", 100, BIG), VE, "quantity", BIG),
    ("qty float", lambda ex: ex.submit_limit("buy", 100, 5.0), VE, "quantity", 5.0),
    ("qty bool", lambda ex: ex.submit_limit("buy", 100, False), VE, "quantity", False),
    ("tif word", lambda ex: ex.submit_limit("buy", 100, 5, "day"), VE, "tif", "day"),
    ("tif None", lambda ex: ex.submit_limit("buy", 100, 5, None), VE, "tif", None),
    ("tif 3", lambda ex: ex.submit_limit("buy", 100, 5, 3), VE, "tif", 3),
    (
        "display > qty",
        lambda ex: ex.submit_limit("buy", 100, 5, display_quantity=6),
        IO,
        "display_quantity",
        6,
    ),
    (
        "display -1",
        lambda ex: ex.submit_limit("buy", 100, 5, display_quantity=-1),
        IO,
        "display_quantity",
        -1,
    ),
    (
        "display float",
        lambda ex: ex.submit_limit("buy", 100, 5, display_quantity=2.5),
        VE,
        "display_quantity",
        2.5,
    ),
    (
        "display bool",
        lambda ex: ex.submit_limit("buy", 100, 5, display_quantity=True),
        VE,
        "display_quantity",
        True,
    ),
    ("owner -1", lambda ex: ex.submit_limit("buy", 100, 5, owner=-1), IO, "owner", -1),
    (
        "owner 2**31",
        lambda ex: ex.submit_limit("buy", 100, 5, owner=MAX_OWNER + 1),
        IO,
        "owner",
        2**31,
    ),
    ("owner str", lambda ex: ex.submit_limit("buy", 100, 5, owner="7"), VE, "owner", "7"),
    ("owner float", lambda ex: ex.submit_limit("buy", 100, 5, owner=7.0), VE, "owner", 7.0),
    ("stp word", lambda ex: ex.submit_limit("buy", 100, 5, stp="both"), VE, "stp", "both"),
    ("stp int", lambda ex: ex.submit_limit("buy", 100, 5, owner=7, stp=9), VE, "stp", 9),
    (
        "post-only str",
        lambda ex: ex.submit_limit("buy", 100, 5, post_only="yes"),
        VE,
        "post_only",
        "yes",
    ),
    ("post-only 1", lambda ex: ex.submit_limit("buy", 100, 5, post_only=1), VE, "post_only", 1),
    (
        "post-only ioc",
        lambda ex: ex.submit_limit("buy", 100, 5, "ioc", post_only=True),
        IO,
        "tif",
        "ioc",
    ),
    (
        "post-only fok",
        lambda ex: ex.submit_limit("buy", 100, 5, TimeInForce.FOK, post_only=True),
        IO,
        "tif",
        TimeInForce.FOK,
    ),
]

MARKET_CASES = [
    ("side word", lambda ex: ex.submit_market("long", 5), VE, "side", "long"),
    ("side bool", lambda ex: ex.submit_market(False, 5), VE, "side", False),
    ("qty 0", lambda ex: ex.submit_market("buy", 0), IO, "quantity", 0),
    ("qty -1", lambda ex: ex.submit_market("buy", -1), IO, "quantity", -1),
    ("qty max+1", lambda ex: ex.submit_market("buy", MAX_QTY + 1), IO, "quantity", 2**40),
    ("qty 2**70", lambda ex: ex.submit_market("buy", BIG), VE, "quantity", BIG),
    ("qty float", lambda ex: ex.submit_market("buy", 1.0), VE, "quantity", 1.0),
    ("qty str", lambda ex: ex.submit_market("buy", "1"), VE, "quantity", "1"),
    ("owner -1", lambda ex: ex.submit_market("buy", 5, owner=-1), IO, "owner", -1),
    ("owner float", lambda ex: ex.submit_market("buy", 5, owner=0.0), VE, "owner", 0.0),
    ("owner None", lambda ex: ex.submit_market("buy", 5, owner=None), VE, "owner", None),
    ("stp word", lambda ex: ex.submit_market("buy", 5, owner=1, stp="x"), VE, "stp", "x"),
]

ID_CASES = [
    ("cancel unknown", lambda ex: ex.cancel(999), UO, "order_id", 999),
    ("cancel 0", lambda ex: ex.cancel(0), UO, "order_id", 0),
    ("cancel -1", lambda ex: ex.cancel(-1), UO, "order_id", -1),
    ("cancel filled", lambda ex: ex.cancel(IDS["filled"]), NA, "order_id", IDS["filled"]),
    ("cancel twice", lambda ex: ex.cancel(IDS["cancelled"]), NA, "order_id", 4),
    ("cancel float", lambda ex: ex.cancel(1.0), VE, "order_id", 1.0),
    ("cancel bool", lambda ex: ex.cancel(True), VE, "order_id", True),
    ("cancel str", lambda ex: ex.cancel("1"), VE, "order_id", "1"),
    ("cancel None", lambda ex: ex.cancel(None), VE, "order_id", None),
    ("cancel 2**64", lambda ex: ex.cancel(2**64), VE, "order_id", 2**64),
    ("modify unknown", lambda ex: ex.modify(999, 100, 5), UO, "order_id", 999),
    ("modify filled", lambda ex: ex.modify(IDS["filled"], 100, 5), NA, "order_id", 3),
    ("modify stop", lambda ex: ex.modify(IDS["stop"], 100, 5), UO, "order_id", 5),
    ("modify id float", lambda ex: ex.modify(1.0, 100, 5), VE, "order_id", 1.0),
    ("modify price float", lambda ex: ex.modify(1, 99.5, 5), VE, "new_price", 99.5),
    ("modify price str", lambda ex: ex.modify(1, "99", 5), VE, "new_price", "99"),
    ("modify qty bool", lambda ex: ex.modify(1, 99, True), VE, "new_quantity", True),
    ("modify qty None", lambda ex: ex.modify(1, 99, None), VE, "new_quantity", None),
    ("reduce unknown", lambda ex: ex.reduce(999, 1), UO, "order_id", 999),
    ("reduce filled", lambda ex: ex.reduce(IDS["filled"], 1), NA, "order_id", 3),
    ("reduce stop", lambda ex: ex.reduce(IDS["stop"], 1), UO, "order_id", 5),
    ("reduce to 0", lambda ex: ex.reduce(IDS["bid"], 0), IO, "new_quantity", 0),
    ("reduce to open", lambda ex: ex.reduce(IDS["bid"], 7), IO, "new_quantity", 7),
    ("reduce above", lambda ex: ex.reduce(IDS["bid"], 8), IO, "new_quantity", 8),
    ("reduce -1", lambda ex: ex.reduce(IDS["bid"], -1), IO, "new_quantity", -1),
    ("reduce float", lambda ex: ex.reduce(IDS["bid"], 2.0), VE, "new_quantity", 2.0),
    ("reduce id str", lambda ex: ex.reduce("1", 2), VE, "order_id", "1"),
    ("get_order float", lambda ex: ex.get_order(1.0), VE, "order_id", 1.0),
    ("get_order None", lambda ex: ex.get_order(None), VE, "order_id", None),
    ("get_order 2**64", lambda ex: ex.get_order(2**64), VE, "order_id", 2**64),
    ("get_stop_order str", lambda ex: ex.get_stop_order("5"), VE, "order_id", "5"),
    ("get_stop_order bool", lambda ex: ex.get_stop_order(True), VE, "order_id", True),
]

STOP_CASES = [
    ("side", lambda ex: ex.submit_stop_market("up", 100, 5), VE, "side", "up"),
    ("side bool", lambda ex: ex.submit_stop_market(True, 100, 5), VE, "side", True),
    ("stop 0", lambda ex: ex.submit_stop_market("buy", 0, 5), IO, "stop_price", 0),
    ("stop -1", lambda ex: ex.submit_stop_market("buy", -1, 5), IO, "stop_price", -1),
    (
        "stop max+1",
        lambda ex: ex.submit_stop_market("buy", MAX_PRICE + 1, 5),
        IO,
        "stop_price",
        2**52,
    ),
    ("stop float", lambda ex: ex.submit_stop_market("buy", 100.0, 5), VE, "stop_price", 100.0),
    ("stop None", lambda ex: ex.submit_stop_market("buy", None, 5), VE, "stop_price", None),
    ("qty 0", lambda ex: ex.submit_stop_market("buy", 100, 0), IO, "quantity", 0),
    ("qty str", lambda ex: ex.submit_stop_market("buy", 100, "5"), VE, "quantity", "5"),
    ("owner -1", lambda ex: ex.submit_stop_market("buy", 100, 5, owner=-1), IO, "owner", -1),
    ("limit 0", lambda ex: ex.submit_stop_limit("buy", 100, 0, 5), VE, "limit_price", 0),
    ("limit -5", lambda ex: ex.submit_stop_limit("buy", 100, -5, 5), VE, "limit_price", -5),
    (
        "limit float",
        lambda ex: ex.submit_stop_limit("buy", 100, 101.0, 5),
        VE,
        "limit_price",
        101.0,
    ),
    ("limit tif", lambda ex: ex.submit_stop_limit("buy", 100, 101, 5, "gtd"), VE, "tif", "gtd"),
    ("limit tif bool", lambda ex: ex.submit_stop_limit("buy", 100, 101, 5, True), VE, "tif", True),
    (
        "trail type",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "linear", 2),
        VE,
        "trail_type",
        "linear",
    ),
    (
        "trail type None",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, None, 2),
        VE,
        "trail_type",
        None,
    ),
    (
        "fixed 0",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "fixed", 0),
        VE,
        "trail_value",
        0,
    ),
    (
        "fixed float",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "fixed", 2.5),
        VE,
        "trail_value",
        2.5,
    ),
    (
        "fixed too wide",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "fixed", MAX_PRICE + 1),
        VE,
        "trail_value",
        2**52,
    ),
    (
        "percentage 0",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", 0.0),
        VE,
        "trail_value",
        0.0,
    ),
    (
        "percentage 1",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", 1.0),
        VE,
        "trail_value",
        1.0,
    ),
    (
        "percentage negative",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", -0.05),
        VE,
        "trail_value",
        -0.05,
    ),
    (
        "percentage nan",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", math.nan),
        VE,
        "trail_value",
        math.nan,
    ),
    (
        "percentage inf",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", math.inf),
        VE,
        "trail_value",
        math.inf,
    ),
    (
        "percentage str",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", "5%"),
        VE,
        "trail_value",
        "5%",
    ),
    (
        "percentage bool",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", True),
        VE,
        "trail_value",
        True,
    ),
    (
        "atr without period",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "atr", 2.0),
        VE,
        "atr_period",
        None,
    ),
    (
        "atr period 0",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "atr", 2.0, 0),
        VE,
        "atr_period",
        0,
    ),
    (
        "atr period too long",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "atr", 2.0, 1025),
        VE,
        "atr_period",
        1025,
    ),
    (
        "atr period float",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "atr", 2.0, 14.0),
        VE,
        "atr_period",
        14.0,
    ),
    (
        "atr 100",
        lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "atr", 100.0, 3),
        VE,
        "trail_value",
        100.0,
    ),
    (
        "trailing limit 0",
        lambda ex: ex.submit_trailing_stop_limit("sell", 90, 0, 5, "fixed", 2),
        VE,
        "limit_price",
        0,
    ),
    (
        "trailing limit tif",
        lambda ex: ex.submit_trailing_stop_limit("sell", 90, 89, 5, "fixed", 2, "x"),
        VE,
        "tif",
        "x",
    ),
    (
        "trailing stop price",
        lambda ex: ex.submit_trailing_stop_limit("sell", 0, 89, 5, "fixed", 2),
        IO,
        "stop_price",
        0,
    ),
]

QUERY_CASES = [
    ("depth 0", lambda ex: ex.depth(0), VE, "levels", 0),
    ("depth -1", lambda ex: ex.depth(-1), VE, "levels", -1),
    ("depth bool", lambda ex: ex.depth(True), VE, "levels", True),
    ("depth float", lambda ex: ex.depth(2.0), VE, "levels", 2.0),
    ("depth str", lambda ex: ex.depth("5"), VE, "levels", "5"),
    ("depth None", lambda ex: ex.depth(None), VE, "levels", None),
    ("orders word", lambda ex: ex.orders("bid"), VE, "side", "bid"),
    ("orders None", lambda ex: ex.orders(None), VE, "side", None),
    ("orders bool", lambda ex: ex.orders(False), VE, "side", False),
    ("orders 2", lambda ex: ex.orders(2), VE, "side", 2),
]


def cases(table):
    return pytest.mark.parametrize(
        ("call", "error", "field", "value"), [c[1:] for c in table], ids=[c[0] for c in table]
    )


@cases(LIMIT_CASES)
def test_submit_limit_refuses_bad_arguments(call, error, field, value):
    assert_refused(busy(), call, error, field, value)


@cases(MARKET_CASES)
def test_submit_market_refuses_bad_arguments(call, error, field, value):
    assert_refused(busy(), call, error, field, value)


@cases(ID_CASES)
def test_id_taking_calls_refuse_bad_or_unknown_ids_and_quantities(call, error, field, value):
    assert_refused(busy(), call, error, field, value)


@cases(STOP_CASES)
def test_stop_submissions_refuse_bad_arguments(call, error, field, value):
    assert_refused(busy(), call, error, field, value)


@cases(QUERY_CASES)
def test_queries_refuse_bad_arguments(call, error, field, value):
    assert_refused(busy(), call, error, field, value)


def test_unknown_ids_are_not_errors_for_lookups():
    ex = busy()
    assert ex.get_order(999) is None and ex.get_order(0) is None and ex.get_order(-5) is None
    assert ex.get_stop_order(999) is None and ex.get_order(IDS["stop"]) is None


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"record_events": "yes"}, "record_events", "yes"),
        ({"record_events": 1}, "record_events", 1),
        ({"record_events": None}, "record_events", None),
        ({"order_capacity": 15}, "order_capacity", 15),
        ({"order_capacity": 0}, "order_capacity", 0),
        ({"order_capacity": 2**31}, "order_capacity", 2**31),
        ({"order_capacity": 64.0}, "order_capacity", 64.0),
        ({"order_capacity": True}, "order_capacity", True),
    ],
)
def test_the_constructor_refuses_bad_options(kwargs, field, value):
    with pytest.raises(ValidationError) as info:
        Exchange(**kwargs)
    assert (info.value.field, info.value.value) == (field, value)


def test_events_and_save_are_refused_when_nothing_is_recorded(tmp_path):
    ex = Exchange(record_events=False)
    ex.submit_limit("buy", 100, 5)
    before = engine_fingerprint(ex)
    for call in (lambda e: e.events(), lambda e: e.save(tmp_path / "x.jsonl")):
        with pytest.raises(ValidationError) as info:
            call(ex)
        assert (info.value.field, info.value.value) == ("record_events", False)
    assert engine_fingerprint(ex) == before and not (tmp_path / "x.jsonl").exists()


# -- numpy integers are fine ----------------------------------------------------------------


@pytest.mark.parametrize("np_int", [np.int64, np.int32, np.uint32, np.int16])
def test_numpy_integers_are_accepted_everywhere(np_int):
    ex = busy()
    r = ex.submit_limit("sell", np_int(105), np_int(6), display_quantity=np_int(2), owner=np_int(3))
    assert r.resting_quantity == 6 and ex.get_order(np_int(r.order_id)).display_quantity == 2
    assert ex.reduce(np_int(r.order_id), np_int(5)).cancelled_quantity == 1
    m = ex.modify(np_int(r.order_id), np_int(106), np_int(4))
    assert ex.cancel(np_int(m.new_order_id)).cancelled_quantity == 4
    assert ex.submit_market("buy", np_int(1)).filled_quantity == 1
    s = ex.submit_stop_limit("buy", np_int(200), np_int(201), np_int(1)).order_id
    t = ex.submit_trailing_stop_market("sell", np_int(50), np_int(1), "fixed", np_int(2)).order_id
    u = ex.submit_trailing_stop_market("sell", 50, 1, "atr", np.float64(1.5), np_int(3)).order_id
    assert ex.get_stop_order(np_int(s)) is not None and ex.get_stop_order(t).trail_value == 2
    assert ex.get_stop_order(u).atr_period == 3
    assert len(ex.depth(np_int(2)).bids) == 1


# -- try_* variants -------------------------------------------------------------------------


def test_try_variants_return_the_refusal_and_change_nothing():
    ex = busy()
    before = engine_fingerprint(ex)

    limit = ex.try_submit_limit("buy", 0, 5)
    market = ex.try_submit_market("buy", 5, owner=-1)
    cancel = ex.try_cancel(999)
    modify = ex.try_modify(IDS["filled"], 100, 5)
    modify_type = ex.try_modify(IDS["bid"], 100.5, 5)

    assert isinstance(limit, InvalidOrder) and limit.field == "price"
    assert isinstance(market, InvalidOrder) and market.field == "owner"
    assert not cancel.success and isinstance(cancel.error, UnknownOrder)
    assert cancel.cancelled_quantity == 0
    assert not modify.success and isinstance(modify.error, OrderNotActive)
    assert modify.new_order_id is None and modify.trades == []
    assert not modify_type.success and modify_type.error.field == "new_price"
    assert engine_fingerprint(ex) == before


def test_try_variants_succeed_like_the_plain_calls():
    ex = busy()
    r = ex.try_submit_limit("sell", 99, 2)
    assert r.filled_quantity == 2
    assert ex.try_cancel(IDS["ask"]).success


# -- batches --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commands", "value"),
    [
        ([1, 2], "list"),
        (None, "NoneType"),
        (np.zeros(3, np.int64), "int64"),
        (
            np.zeros(2, [("kind", "i1"), ("side", "i1")]),
            str(np.dtype([("kind", "i1"), ("side", "i1")])),
        ),
    ],
    ids=["list", "None", "int64", "other dtype"],
)
def test_a_batch_must_be_a_command_array(commands, value):
    ex = busy()
    before = engine_fingerprint(ex)
    with pytest.raises(ValidationError) as info:
        ex.submit_batch(commands)
    assert (info.value.field, info.value.value) == ("commands", value)
    with pytest.raises(ValidationError):
        Exchange.replay(commands)
    assert engine_fingerprint(ex) == before


def test_a_batch_must_be_one_dimensional():
    ex = busy()
    before = engine_fingerprint(ex)
    with pytest.raises(ValidationError) as info:
        ex.submit_batch(np.zeros((2, 2), COMMAND_DTYPE))
    assert (info.value.field, info.value.value) == ("commands", (2, 2))
    assert engine_fingerprint(ex) == before


def test_a_strided_batch_is_accepted():
    ex = Exchange()
    rows = make_commands(CommandKind.LIMIT, [0, 1, 0, 1], [100, 0, 101, 0], [5, 0, 6, 0])
    results, _ = ex.submit_batch(rows[::2])
    assert results["error"].tolist() == [0, 0] and ex.best_bid() == 101


@pytest.mark.parametrize("column", ["kind", "side", "price", "qty", "ref", "tif", "owner", "flags"])
def test_make_commands_refuses_non_integer_columns(column):
    args = dict(kind=CommandKind.LIMIT, side=0, price=100, qty=5)
    args[column] = 1.5
    with pytest.raises(ValidationError) as info:
        make_commands(**args)
    assert (info.value.field, info.value.value) == (column, "float64")


command_rows = st.tuples(
    st.sampled_from([*range(0, 13), -1, 127]),  # kinds, some unknown
    st.sampled_from([0, 1, 2, -1]),  # side
    st.sampled_from([0, 1, 2, 3, -1]),  # tif
    st.sampled_from([0, 1, 2, 4, 8, 28, 32, -1]),  # flags: post-only, market bit, stp bits
    st.sampled_from([0, 1, 2, -1, 2**31 - 1]),  # owner
    st.sampled_from([0, 1, 99, 100, 101, -5, MAX_PRICE, MAX_PRICE + 1, 2**62]),  # price
    st.sampled_from([0, 1, 2, 5, -1, MAX_QTY, MAX_QTY + 1, 2**62]),  # qty
    st.sampled_from([0, 1, 2, 3, 4, 5, 90, 110, -1, MAX_PRICE + 1, 10**9]),  # ref
)


@settings(max_examples=scaled(300), **SETTINGS)
@given(st.lists(command_rows, min_size=1, max_size=12))
def test_a_refused_batch_row_changes_nothing_and_the_batch_goes_on(rows):
    commands = np.array(rows, COMMAND_DTYPE)
    trailing = (CommandKind.TRAIL_MARKET, CommandKind.TRAIL_LIMIT)
    one_by_one = busy()
    i = 0
    while i < len(commands):
        # a trailing stop takes the next row as its parameters when that row is TRAIL_PARAMS
        takes_two = (
            commands[i]["kind"] in trailing
            and i + 1 < len(commands)
            and commands[i + 1]["kind"] == CommandKind.TRAIL_PARAMS
        )
        chunk = commands[i : i + 2 if takes_two else i + 1]
        before = engine_fingerprint(one_by_one)
        results, _ = one_by_one.submit_batch(chunk)
        if results["error"][0] < 0:
            assert engine_fingerprint(one_by_one) == before, f"row {i}: {commands[i]}"
            assert results["order_id"][0] == 0
        i += len(chunk)
    whole = busy()
    whole.submit_batch(commands)
    assert engine_fingerprint(whole) == engine_fingerprint(one_by_one)


# -- persistence ----------------------------------------------------------------------------

HEADER = json.dumps({"format": "tickbook-events", "version": 1})


def row(**changes: Any) -> str:
    record = {"kind": "limit", "side": 0, "tif": 0, "flags": 0, "owner": 0}
    record.update({"price": 100, "qty": 5, "ref": 0})
    record.update(changes)
    return json.dumps(record)


BAD_FILES = {
    "empty": ("", 1),
    "no header": (row() + "\n", 1),
    "other version": ('{"format": "tickbook-events", "version": 2}\n', 1),
    "corrupt json": (HEADER + "\n" + row() + "\n{not json\n", 3),
    "truncated line": (HEADER + "\n" + row() + "\n" + row()[:20], 3),
    "blank line": (HEADER + "\n" + row() + "\n\n", 3),
    "a list": (HEADER + "\n[1, 2]\n", 2),
    "missing key": (HEADER + "\n" + json.dumps({"kind": "limit"}) + "\n", 2),
    "extra key": (HEADER + "\n" + row(extra=1) + "\n", 2),
    "unknown kind": (HEADER + "\n" + row(kind="iceberg") + "\n", 2),
    "kind as a number": (HEADER + "\n" + row(kind=1) + "\n", 2),
    "float value": (HEADER + "\n" + row(price=100.5) + "\n", 2),
    "bool value": (HEADER + "\n" + row(side=True) + "\n", 2),
    "string value": (HEADER + "\n" + row(qty="5") + "\n", 2),
    "null value": (HEADER + "\n" + row(owner=None) + "\n", 2),
    "side out of int8": (HEADER + "\n" + row(side=300) + "\n", 2),
    "owner out of int32": (HEADER + "\n" + row(owner=2**31) + "\n", 2),
    "price out of int64": (HEADER + "\n" + row(price=2**63) + "\n", 2),
    "NaN": (HEADER + "\n" + row() + "\nNaN\n", 3),
}


@pytest.mark.parametrize(("text", "line"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_load_refuses_a_bad_file_and_names_the_line(tmp_path, text, line):
    path = tmp_path / "events.jsonl"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DataError) as info:
        Exchange.load(path)

    assert (info.value.field, info.value.value) == ("line", line)
    assert f"line {line}" in str(info.value)


def test_load_refuses_an_unreadable_path(tmp_path):
    for path in (tmp_path / "missing.jsonl", tmp_path):
        with pytest.raises(DataError) as info:
            Exchange.load(path)
        assert (info.value.field, info.value.value) == ("path", str(path))
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataError):
        Exchange.load(binary)


def test_a_saved_file_cut_anywhere_is_refused_or_loads_a_prefix(tmp_path):
    ex = busy()
    path = tmp_path / "events.jsonl"
    ex.save(path)
    text = path.read_text()
    for cut in range(len(text)):
        path.write_text(text[:cut])
        try:
            loaded = Exchange.load(path)
        except DataError as error:
            assert error.field == "line"
            continue
        assert text[:cut].endswith("\n")  # only whole lines load
        assert loaded.events().tolist() == ex.events()[: len(loaded.events())].tolist()


def test_none_leaves_the_limit_options_unset():
    ex = busy()
    plain = busy()

    r = ex.submit_limit("sell", 105, 5, post_only=None, display_quantity=None, owner=None)

    assert r == plain.submit_limit("sell", 105, 5)
    assert engine_fingerprint(ex) == engine_fingerprint(plain)


def test_replay_refuses_a_row_the_engine_refuses():
    commands = make_commands(CommandKind.LIMIT, [0, 0, 1], [100, -5, 101], [5, 5, 5])

    with pytest.raises(DataError) as info:
        Exchange.replay(commands)

    assert (info.value.field, info.value.value) == ("row", 1)


# -- known engine bugs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda ex: ex.submit_limit(1.0, 100, 5), "side", 1.0),
        (lambda ex: ex.submit_limit("buy", 100, 5, True), "tif", True),
        (lambda ex: ex.submit_limit("buy", 100, 5, 1.0), "tif", 1.0),
        (lambda ex: ex.submit_market(0.0, 5), "side", 0.0),
        (lambda ex: ex.submit_stop_market(np.float64(1.0), 95, 5), "side", np.float64(1.0)),
        (lambda ex: ex.submit_stop_limit("buy", 200, 201, 5, 2.0), "tif", 2.0),
        (lambda ex: ex.orders(1.0), "side", 1.0),
    ],
    ids=[
        "limit side",
        "limit tif bool",
        "limit tif float",
        "market side",
        "stop side",
        "stop tif",
        "orders side",
    ],
)
def test_float_and_bool_sides_and_tifs_are_refused(call, field, value):
    assert_refused(busy(), call, ValidationError, field, value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"display_quantity": 0.0}, "display_quantity"),
        ({"display_quantity": False}, "display_quantity"),
        ({"owner": False}, "owner"),
        ({"owner": 0.0}, "owner"),
        ({"owner": ""}, "owner"),
        ({"post_only": 0}, "post_only"),
        ({"post_only": 0.0}, "post_only"),
    ],
    ids=str,
)
def test_falsy_options_of_the_wrong_type_are_refused(kwargs, field):
    value = next(iter(kwargs.values()))
    assert_refused(busy(), lambda ex: ex.submit_limit("buy", 97, 5, **kwargs), VE, field, value)


@pytest.mark.parametrize(
    ("price", "quantity", "field", "value"),
    [(0, 5, "new_price", 0), (MAX_PRICE + 1, 5, "new_price", 2**52), (99, 0, "new_quantity", 0)],
    ids=["price 0", "price max+1", "quantity 0"],
)
def test_modify_range_refusals_name_the_new_arguments(price, quantity, field, value):
    assert_refused(busy(), lambda ex: ex.modify(IDS["bid"], price, quantity), IO, field, value)


@pytest.mark.parametrize(
    "call",
    [
        lambda ex: ex.submit_stop_limit("buy", 100, MAX_PRICE + 1, 5),
        lambda ex: ex.submit_trailing_stop_limit("sell", 90, MAX_PRICE + 1, 5, "fixed", 2),
    ],
    ids=["stop limit", "trailing stop limit"],
)
def test_a_too_high_limit_price_is_named_limit_price(call):
    assert_refused(busy(), call, ValidationError, "limit_price", 2**52)


def test_a_percentage_that_rounds_to_one_is_refused_with_its_value():
    call = lambda ex: ex.submit_trailing_stop_market("sell", 90, 5, "percentage", 0.9999999999)  # noqa: E731
    assert_refused(busy(), call, ValidationError, "trail_value", 0.9999999999)


@pytest.mark.parametrize(
    ("column", "value"), [("kind", 257), ("owner", 2**33), ("flags", 300), ("side", -129)]
)
def test_make_commands_refuses_values_that_do_not_fit_their_column(column, value):
    args = dict(kind=CommandKind.LIMIT, side=0, price=100, qty=5)
    args[column] = value
    with pytest.raises(ValidationError) as info:
        make_commands(**args)
    assert info.value.field == column


@pytest.mark.parametrize("where", ["directory", "missing directory"])
def test_save_to_a_bad_path_is_refused_with_a_tickbook_error(tmp_path, where):
    ex = busy()
    path = tmp_path if where == "directory" else tmp_path / "missing" / "events.jsonl"
    with pytest.raises(TickbookError) as info:
        ex.save(path)
    assert info.value.field == "path"


def test_load_refuses_a_path_of_the_wrong_type():
    with pytest.raises(DataError) as info:
        Exchange.load(None)
    assert info.value.field == "path"


@pytest.mark.parametrize(
    "bad",
    [
        row(price=-5),
        row(kind="cancel", ref=99),
        row(kind="trail_market", ref=90),
        row(kind="trail_params"),
        row(flags=2),
    ],
    ids=["negative price", "cancel unknown id", "trail without params", "params alone", "flags"],
)
def test_load_refuses_a_line_whose_command_is_refused(tmp_path, bad):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([HEADER, row(), bad, row()]) + "\n")
    with pytest.raises(DataError) as info:
        Exchange.load(path)
    assert (info.value.field, info.value.value) == ("line", 3)


@pytest.mark.parametrize("value", [np.int64(2), np.float32(1.5)], ids=["int64", "float32"])
def test_numpy_numbers_are_accepted_as_an_atr_multiplier(value):
    ex = busy()
    assert ex.submit_trailing_stop_market("sell", 90, 1, "atr", value, 3).status == "pending"


# -- fuzzing: any value in any argument ------------------------------------------------------
#
# For each call: a refusal is a ValidationError naming one of the arguments that are actually
# invalid, and changes nothing; a call whose arguments are all valid is accepted; an accepted
# call had only valid arguments.

JUNK = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            MAX_PRICE,
            MAX_PRICE + 1,
            MAX_QTY + 1,
            MAX_OWNER + 1,
            2**63 - 1,
            2**63,
            -(2**63),
            2**64,
            0.0,
            1.0,
            2.0,
            100.0,
            math.nan,
            math.inf,
            True,
            False,
            None,
            "",
            "1",
            "buy",
            np.float64(1.0),
            np.int64(-3),
        ]
    ),
    st.floats(),
    st.text(max_size=4),
)


def ints(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """Valid integers (Python or numpy) in [lo, hi], and junk of every kind."""
    good = st.integers(lo, hi)
    small = st.integers(max(lo, -100), min(hi, 10_000))
    return st.one_of(good, good, small.map(np.int64), small.map(np.int32), JUNK)


def words(*good: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(good), st.sampled_from(good), JUNK)


def sides() -> st.SearchStrategy[Any]:
    return st.one_of(words(*SIDES), spellings("buy", "sell"), spellings("buyer", "hold", "sel"))


def tifs() -> st.SearchStrategy[Any]:
    return st.one_of(words(*TIFS), spellings("gtc", "ioc", "fok"), spellings("day", "gtd"))


def is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def int_in(v: Any, lo: int, hi: int) -> bool:
    return is_int(v) and lo <= v <= hi


def spellings(*names: str) -> st.SearchStrategy[str]:
    """Every letter case of ``names``, with or without surrounding spaces."""
    return st.tuples(
        st.sampled_from(names),
        st.lists(st.booleans(), min_size=12, max_size=12),
        st.sampled_from(["", " ", "\t", "  "]),
        st.sampled_from(["", " ", "\n"]),
    ).map(
        lambda t: (
            t[2] + "".join(c.upper() if up else c for c, up in zip(t[0], t[1], strict=False)) + t[3]
        )
    )


SIDES = ("buy", "sell", "BUY", "Sell", "SELL", "bUy", " sell ", Side.BUY, Side.SELL, 0, 1)
TIFS = ("gtc", "ioc", "fok", "GTC", "Ioc", "fOk ", TimeInForce.FOK, 0, 1, 2)
STPS = (None, "cancel_newest", "CANCEL_OLDEST", " cancel_both ", "decrement", "none")


def enum_code_of(v: Any, names: tuple[str, ...], kind: type) -> int | None:
    """The documented rule for enum arguments (``Side.parse``), stated here on its own.

    A member of the enum; its name in ASCII letters of any case, surrounding spaces ignored;
    or its integer code (not a bool, not a float). Anything else is refused.
    """
    if isinstance(v, str):
        word = v.strip().lower() if v.isascii() else None
        return names.index(word) if word in names else None
    if isinstance(v, enum.Enum):
        return int(v) if isinstance(v, kind) else None
    return int(v) if int_in(v, 0, len(names) - 1) else None


def side_ok(v: Any) -> bool:
    return enum_code_of(v, ("buy", "sell"), Side) is not None


def tif_ok(v: Any) -> bool:
    return enum_code_of(v, ("gtc", "ioc", "fok"), TimeInForce) is not None


def stp_ok(v: Any) -> bool:
    names = tuple(m.name.lower() for m in SelfTradePrevention)
    return v is None or enum_code_of(v, names, SelfTradePrevention) is not None


def is_gtc(v: Any) -> bool:
    return enum_code_of(v, ("gtc", "ioc", "fok"), TimeInForce) == 0


def check(ex: Exchange, call: Callable[[], Any], invalid: set[str]) -> None:
    before = engine_fingerprint(ex)
    try:
        call()
    except TickbookError as err:
        assert isinstance(err, ValidationError), err
        assert err.field in invalid, f"refused `{err.field}` but the invalid ones are {invalid}"
        assert engine_fingerprint(ex) == before
        return
    assert not invalid, f"accepted invalid {invalid}"


@settings(max_examples=scaled(400), **SETTINGS)
@given(
    side=sides(),
    price=ints(1, MAX_PRICE),
    qty=ints(1, 50),
    tif=tifs(),
    display=ints(0, 50),
    owner=ints(0, MAX_OWNER),
    post_only=st.one_of(st.booleans(), JUNK),
    stp=words(*STPS),
    extras=st.sets(st.sampled_from(["display", "owner", "post_only", "stp"])),
)
def test_fuzzed_submit_limit_is_refused_by_name_or_accepted(
    side, price, qty, tif, display, owner, post_only, stp, extras
):
    ex = busy()
    kwargs = {}
    invalid: set[str] = set()
    if not side_ok(side):
        invalid.add("side")
    if not tif_ok(tif):
        invalid.add("tif")
    if not int_in(price, 1, MAX_PRICE):
        invalid.add("price")
    if not int_in(qty, 1, MAX_QTY):
        invalid.add("quantity")
    if "display" in extras:
        kwargs["display_quantity"] = display
        if not (int_in(display, 0, MAX_QTY) and (not is_int(qty) or display <= qty)):
            invalid.add("display_quantity")
    if "owner" in extras:
        kwargs["owner"] = owner
        if not int_in(owner, 0, MAX_OWNER):
            invalid.add("owner")
    if "post_only" in extras:
        kwargs["post_only"] = post_only
        if not isinstance(post_only, bool):
            invalid.add("post_only")
        elif post_only and tif_ok(tif) and not is_gtc(tif):
            invalid.add("tif")
    if "stp" in extras:
        kwargs["stp"] = stp
        if not stp_ok(stp):
            invalid.add("stp")
    check(ex, lambda: ex.submit_limit(side, price, qty, tif, **kwargs), invalid)


@settings(max_examples=scaled(200), **SETTINGS)
@given(side=sides(), qty=ints(1, 50), owner=ints(0, MAX_OWNER), stp=words(*STPS))
def test_fuzzed_submit_market_is_refused_by_name_or_accepted(side, qty, owner, stp):
    ex = busy()
    invalid: set[str] = set()
    if not side_ok(side):
        invalid.add("side")
    if not int_in(qty, 1, MAX_QTY):
        invalid.add("quantity")
    if not int_in(owner, 0, MAX_OWNER):
        invalid.add("owner")
    if not stp_ok(stp):
        invalid.add("stp")
    check(ex, lambda: ex.submit_market(side, qty, owner=owner, stp=stp), invalid)


ORDER_IDS = st.one_of(st.integers(-1, 8), st.integers(-1, 8).map(np.int64), JUNK)
ACTIVE_OPEN = {IDS["bid"]: 7, IDS["ask"]: 10}  # open quantities in busy()


@settings(max_examples=scaled(300), **SETTINGS)
@given(
    call=st.sampled_from(["cancel", "modify", "reduce"]),
    oid=ORDER_IDS,
    price=ints(1, MAX_PRICE),
    qty=ints(1, 12),
)
def test_fuzzed_cancel_modify_and_reduce_are_refused_by_name_or_accepted(call, oid, price, qty):
    ex = busy()
    cancellable = set(ACTIVE_OPEN) | {IDS["stop"], IDS["trail"]}
    invalid: set[str] = set()
    if call == "cancel":
        if not (is_int(oid) and oid in cancellable):
            invalid.add("order_id")
        run = lambda: ex.cancel(oid)  # noqa: E731
    elif call == "modify":
        if not (is_int(oid) and oid in ACTIVE_OPEN):
            invalid.add("order_id")
        if not int_in(price, 1, MAX_PRICE):
            invalid.add("new_price")
        if not int_in(qty, 1, MAX_QTY):
            invalid.add("new_quantity")
        run = lambda: ex.modify(oid, price, qty)  # noqa: E731
    else:
        active = is_int(oid) and oid in ACTIVE_OPEN
        if not active:
            invalid.add("order_id")
        if not int_in(qty, -(2**63), 2**63 - 1) or (active and not 1 <= qty < ACTIVE_OPEN[oid]):
            invalid.add("new_quantity")
        run = lambda: ex.reduce(oid, qty)  # noqa: E731
    check(ex, run, invalid)


TRAILS = ("fixed", "percentage", "percent", "atr", "ATR", "Fixed")


@settings(max_examples=scaled(400), **SETTINGS)
@given(
    side=sides(),
    stop=ints(1, MAX_PRICE),
    limit=st.one_of(st.just(None), ints(1, MAX_PRICE)),
    qty=ints(1, 50),
    tif=tifs(),
    trail=st.one_of(st.just(None), words(*TRAILS)),
    value=st.one_of(
        st.integers(1, 10), st.floats(0, 1), st.floats(0, 120), st.just(0.9999999999), JUNK
    ),
    period=st.one_of(st.just(None), ints(1, 1024)),
)
def test_fuzzed_stop_submissions_are_refused_by_name_or_accepted(
    side, stop, limit, qty, tif, trail, value, period
):
    ex = busy()
    invalid: set[str] = set()
    if not side_ok(side):
        invalid.add("side")
    if not int_in(stop, 1, MAX_PRICE):
        invalid.add("stop_price")
    if not int_in(qty, 1, MAX_QTY):
        invalid.add("quantity")
    if limit is not None:
        if not tif_ok(tif):
            invalid.add("tif")
        if not int_in(limit, 1, MAX_PRICE):
            invalid.add("limit_price")
    if trail is not None:
        method = trail.lower() if isinstance(trail, str) else None
        if method not in ("fixed", "percentage", "percent", "atr"):
            invalid.add("trail_type")
        elif method == "fixed":
            if not int_in(value, 1, MAX_PRICE):
                invalid.add("trail_value")
        else:
            number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
                value, bool | np.bool_
            )
            top = 100.0 if method == "atr" else 1.0
            # the value must stay below its bound once rounded to parts per billion
            if not (number and 0 < value < top and float(value) * 1e9 < top * 1e9 - 0.5):
                invalid.add("trail_value")
            if method == "atr" and not int_in(period, 1, 1024):
                invalid.add("atr_period")
    if trail is None and limit is None:
        run = lambda: ex.submit_stop_market(side, stop, qty)  # noqa: E731
    elif trail is None:
        run = lambda: ex.submit_stop_limit(side, stop, limit, qty, tif)  # noqa: E731
    elif limit is None:
        run = lambda: ex.submit_trailing_stop_market(side, stop, qty, trail, value, period)  # noqa: E731
    else:
        run = lambda: ex.submit_trailing_stop_limit(  # noqa: E731
            side, stop, limit, qty, trail, value, tif, period
        )
    check(ex, run, invalid)


@settings(max_examples=scaled(200), **SETTINGS)
@given(levels=ints(1, 50), side=sides(), oid=ORDER_IDS)
def test_fuzzed_queries_are_refused_by_name_or_answered(levels, side, oid):
    ex = busy()
    check(ex, lambda: ex.depth(levels), set() if is_int(levels) and levels >= 1 else {"levels"})
    check(ex, lambda: ex.orders(side), set() if side_ok(side) else {"side"})
    valid_id = int_in(oid, -(2**63), 2**63 - 1)
    check(ex, lambda: ex.get_order(oid), set() if valid_id else {"order_id"})
    check(ex, lambda: ex.get_stop_order(oid), set() if valid_id else {"order_id"})
