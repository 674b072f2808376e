import pytest

from tickbook.core import ValidationError
from tickbook.server._parse import parse_order_id


@pytest.mark.parametrize("text", ["²", "١٢", "1²", "", "-1", "0", "9" * 19])
def test_order_id_text_that_is_not_ascii_digits_is_refused_by_name(text):
    # str.isdigit() accepts superscripts and other scripts' digits, which int() refuses
    with pytest.raises(ValidationError) as info:
        parse_order_id(text)
    assert info.value.field == "order_id"


def test_order_id_takes_ascii_digits_and_ints():
    assert parse_order_id("42") == 42
    assert parse_order_id(7) == 7
