"""Bounded number text (core/_numbers.py): nothing converts text whose cost has no bound."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickbook.core import MAX_NUMBER_TEXT, ValidationError, parse_decimal, parse_int, parse_price

HUGE = [
    "1e999990",
    "1E+999999999",
    "-1e999990",
    "1e-999990",
    "9" * 5000,
    "0." + "0" * 5000 + "1",
    " " * 300 + "1",
    "1" * (MAX_NUMBER_TEXT + 1),
]
ODD = ["²", "١٢", "１２", "1\u00a0", "", " ", "0x10", "1_000", "--1", "+", "nan", "inf", "1e"]


@pytest.mark.parametrize("text", HUGE + ODD)
def test_parse_price_refuses_unbounded_or_non_ascii_text_at_once(text):
    with pytest.raises(ValidationError) as info:
        parse_price(text, field="limit")
    assert info.value.field == "limit" and info.value.value == text
    assert len(str(info.value)) < 300  # a long value is named by its start and length


@pytest.mark.parametrize("text", HUGE + ODD + ["1.5", "1e3"])
def test_parse_int_refuses_anything_but_short_ascii_digits(text):
    with pytest.raises(ValidationError) as info:
        parse_int(text, "qty")
    assert (info.value.field, info.value.value) == ("qty", text)


def test_parse_int_takes_a_sign_spaces_and_a_range():
    assert parse_int(" -42 ", "x") == -42 and parse_int("+7", "x") == 7
    assert parse_int("9" * 19, "x") == 10**19 - 1
    with pytest.raises(ValidationError):
        parse_int("11", "x", lo=0, hi=10)
    with pytest.raises(ValidationError):
        parse_int(5, "x")  # text only


def test_parse_decimal_bounds_exponent_and_digits_of_every_input_type():
    assert parse_decimal("100.50", "p") == Decimal("100.50")
    assert parse_decimal(" 1e3 ", "p") == 1000 and parse_decimal(12, "p") == 12
    for bad in [Decimal("1e999990"), 10**200, True, None, 1.5, Decimal("NaN")]:
        with pytest.raises(ValidationError) as info:
            parse_decimal(bad, "p")
        assert info.value.field == "p"


@given(st.integers(-(10**30), 10**30))
def test_integers_round_trip_through_text(n):
    assert parse_int(str(n), "n") == n
    assert parse_decimal(str(n), "n") == n
