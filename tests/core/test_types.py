from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickbook.core import (
    InvalidOrder,
    OrderNotActive,
    OrderStatus,
    SelfTradePrevention,
    Side,
    Symbol,
    TickbookError,
    TimeInForce,
    UnknownOrder,
    ValidationError,
    enum_code,
    format_price,
    parse_price,
    side_code,
    tif_code,
)


def test_enums_parse_names_in_any_case_and_members():
    assert Side.parse("buy") is Side.BUY
    assert Side.parse(" SELL ") is Side.SELL
    assert TimeInForce.parse("fok") is TimeInForce.FOK
    assert SelfTradePrevention.parse("cancel_oldest") is SelfTradePrevention.CANCEL_OLDEST
    assert Side.parse(Side.SELL) is Side.SELL
    assert Side.BUY.opposite() is Side.SELL


@pytest.mark.parametrize("bad", ["hold", "", None, 2, 1.0])
def test_enum_parse_refuses_unknown_values_naming_the_field(bad):
    with pytest.raises(ValidationError) as info:
        Side.parse(bad)
    assert info.value.field == "side"
    assert info.value.value == bad


def test_status_and_tif_helpers():
    assert OrderStatus.NEW.is_active() and not OrderStatus.NEW.is_terminal()
    assert OrderStatus.CANCELLED.is_terminal()
    assert TimeInForce.GTC.can_rest() and not TimeInForce.IOC.can_rest()
    assert not TimeInForce.FOK.allows_partial()


def test_prices_go_to_ticks_exactly_through_decimal():
    assert parse_price("100.50") == 10050
    assert parse_price("0.01") == 1
    assert parse_price(Decimal("12.3"), decimals=4) == 123000
    assert format_price(10050) == "100.50"
    assert format_price(5, 4) == "0.0005"


@pytest.mark.parametrize("bad", ["100.505", "-1", "0", "abc", "nan", "inf", 1.5, True, "1e30"])
def test_bad_prices_are_refused_with_the_field(bad):
    with pytest.raises(ValidationError) as info:
        parse_price(bad, field="limit")
    assert info.value.field == "limit"


@given(st.integers(min_value=1, max_value=10**12))
def test_format_then_parse_round_trips(ticks):
    assert parse_price(format_price(ticks)) == ticks


def test_symbol_is_validated_once_and_behaves_like_str():
    s = Symbol("AAPL")
    assert s == "AAPL" and isinstance(s, str) and {s: 1}["AAPL"] == 1
    assert Symbol.try_new("TOOLONGNAME") is None
    for bad in ["", "TOOLONGNAME", "A B", "ÄPL", 5]:
        with pytest.raises(ValidationError) as info:
            Symbol(bad)
        assert info.value.field == "symbol"


def test_error_tree_subclasses_builtins_and_carries_field_and_value():
    assert issubclass(InvalidOrder, ValidationError)
    assert issubclass(ValidationError, ValueError) and issubclass(ValidationError, TickbookError)
    assert issubclass(UnknownOrder, KeyError) and issubclass(UnknownOrder, ValidationError)
    assert issubclass(OrderNotActive, ValidationError)
    error = UnknownOrder("unknown `order_id`: 7", field="order_id", value=7)
    assert str(error) == "unknown `order_id`: 7"
    assert (error.field, error.value) == ("order_id", 7)


# -- one rule for enum arguments (sides, times in force, self-trade prevention) --------------

SIDE_WORDS = ["buy", "BUY", "Buy", "bUy", " sell", "SELL\n", "\tSell ", "sElL"]


@pytest.mark.parametrize("word", SIDE_WORDS)
def test_a_side_is_its_ascii_name_in_any_case(word):
    expected = 0 if "u" in word.lower() else 1
    assert side_code(word) == expected
    assert Side.parse(word) is Side(expected)


@pytest.mark.parametrize("bad", ["ſell", "buyer", "b uy", "", 2, -1, True, 1.0, None, b"buy"])
def test_anything_else_is_refused_naming_side(bad):
    with pytest.raises(ValidationError) as info:
        side_code(bad)
    assert (info.value.field, info.value.value) == ("side", bad)


def test_members_and_integer_codes_are_accepted_other_enums_are_not():
    assert side_code(Side.SELL) == 1 and side_code(np.int64(0)) == 0 and Side.parse(1) is Side.SELL
    assert side_code(np.str_("Sell")) == 1 and side_code(np.array(["buy"])[0]) == 0
    assert tif_code("Fok") == 2 and tif_code(TimeInForce.IOC) == 1
    assert SelfTradePrevention.parse(" Cancel_Both ") is SelfTradePrevention.CANCEL_BOTH
    for wrong in (TimeInForce.IOC, SelfTradePrevention.CANCEL_NEWEST):
        with pytest.raises(ValidationError):
            side_code(wrong)
    with pytest.raises(ValidationError) as info:
        enum_code(TimeInForce, "day")
    assert info.value.field == "tif"


@given(st.text(max_size=6))
def test_side_parsing_follows_the_documented_rule_for_any_text(text):
    word = text.strip().lower() if text.isascii() else None
    if word in ("buy", "sell"):
        assert side_code(text) == ("buy", "sell").index(word)
    else:
        with pytest.raises(ValidationError):
            side_code(text)


def test_one_side_parser_is_used_by_the_book():
    from tickbook.book import Exchange, FeedBook

    ex, feed = Exchange(), FeedBook()
    for i, word in enumerate(SIDE_WORDS, start=1):
        ex.submit_limit(word, 100 if side_code(word) == 0 else 200, 1)
        feed.add(i, word, 100 if side_code(word) == 0 else 200, 1)
    assert ex.order_count() == feed.order_count() == len(SIDE_WORDS)
    assert ex.depth().bid_array.tolist() == feed.depth().bid_array.tolist()
