"""The event file (book/_persist.py): any bad line is a DataError naming the line and field."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.book import CommandKind, Exchange, make_commands
from tickbook.core import DataError

HEADER = json.dumps({"format": "tickbook-events", "version": 1})


def row(**changes: Any) -> str:
    record = {"kind": "limit", "side": 0, "tif": 0, "flags": 0, "owner": 0}
    record.update({"price": 100, "qty": 5, "ref": 0})
    record.update(changes)
    return json.dumps(record)


BAD_LINES = {
    "kind as a list": (row(kind=["limit"]), "kind"),
    "kind as an object": (row(kind={"a": 1}), "kind"),
    "kind null": (row(kind=None), "kind"),
    "5000-digit integer": (row(qty=0).replace('"qty": 0', '"qty": 1' + "0" * 4999), None),
    "300-digit integer": (row(qty=10**300), None),
    "negative 300-digit integer": (row(price=-(10**300)), None),
    "50k nested lists": ("[" * 50_000 + "]" * 50_000, None),
    "a line of 10k spaces": (" " * 10_000 + row(), None),
    "value as a list": (row(price=[100]), "price"),
    "infinite value": (row(price=float("inf")), "price"),
    "exponent float": (row(qty=1e3), "qty"),
}


@pytest.mark.parametrize(("line", "field"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_bad_line_is_a_data_error_naming_the_line_and_field(tmp_path, line, field):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([HEADER, row(), line, row()]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        Exchange.load(path)
    assert (info.value.field, info.value.value) == ("line", 3)
    assert f"{path}, line 3" in str(info.value)
    if field is not None:
        assert f"`{field}`" in str(info.value)


REFUSED_ROWS = [
    (row(price=-5), "`price`", "-5"),
    (row(qty=0), "`quantity`", "got 0"),
    (row(side=4), "`side`", "got 4"),
    (row(kind="cancel", ref=99), "`order_id`", "99"),
    (row(kind="modify", ref=1, price=0, qty=5), "`new_price`", "got 0"),
    (row(kind="stop_limit", ref=90, price=0), "`limit_price`", "got 0"),
    (row(kind="stop_market", ref=-3), "`stop_price`", "got -3"),
    (row(flags=2), "`flags`", "got 2"),
]


@pytest.mark.parametrize(("line", "field", "value"), REFUSED_ROWS)
def test_a_refused_row_names_its_field_and_value_not_none(tmp_path, line, field, value):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([HEADER, row(), line]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        Exchange.load(path)
    message = str(info.value)
    assert (info.value.field, info.value.value) == ("line", 3)
    assert field in message and value in message and "None" not in message


def test_replay_names_the_refused_rows_field_and_value():
    commands = make_commands(CommandKind.LIMIT, [0, 0, 1], [100, -5, 101], [5, 5, 5])
    with pytest.raises(DataError) as info:
        Exchange.replay(commands)
    assert (info.value.field, info.value.value) == ("row", 1)
    assert "`price`" in str(info.value) and "got -5" in str(info.value)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_after_the_header_load_or_raise_a_data_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("events") / "events.jsonl"
    path.write_bytes(HEADER.encode() + b"\n" + data)
    try:
        loaded = Exchange.load(path)
    except DataError as error:
        assert error.field in ("line", "path")
    else:
        assert isinstance(loaded, Exchange)
