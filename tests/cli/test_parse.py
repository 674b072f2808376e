import datetime as dt
import time

import pytest

from tickbook.cli._parse import (
    check_in_file,
    check_out_dir,
    parse_cents,
    parse_date,
    parse_float,
    parse_int,
    prepare_out_dir,
    shown,
)
from tickbook.core import DataError, TickbookError, ValidationError


def test_numbers():
    assert parse_int(" 42 ", "n", 1, 100) == 42
    assert parse_float("2.5", "x", 0, 10) == 2.5
    assert parse_float("-.5", "x", -1, 10) == -0.5
    assert parse_cents("100.50", "cash") == 10050
    assert parse_cents("7", "cash") == 700
    assert parse_cents("1.2345", "price", 4) == 12345


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1e3", "inf", "nan", "-1", "+1", "1.5", "²", "١٢", "1_000", "0x10", "1" * 5000,
     "9" * 20, "1e999990", " ", "1 2"],
)  # fmt: skip
def test_bad_integers_are_refused_naming_field_and_value(text):
    with pytest.raises(ValidationError) as info:
        parse_int(text, "--top", 1, 1000)
    assert info.value.field == "--top" and info.value.value == text
    assert "`--top`" in str(info.value) and len(str(info.value)) < 200


@pytest.mark.parametrize(
    "text", ["inf", "-inf", "nan", "1e999990", "1e3", "²", "1" * 5000, "1.2.3", "", "0", "0.001"]
)
def test_bad_amounts_are_refused_fast(text):
    start = time.perf_counter()
    with pytest.raises(ValidationError):
        parse_cents(text, "--cash")
    assert time.perf_counter() - start < 5  # a hang guard, not a timing claim


def test_floats_in_range_only():
    for text in ("inf", "nan", "1e5", "10001", "-0.1", "²"):
        with pytest.raises(ValidationError):
            parse_float(text, "--cost-bps", 0, 10_000)


@pytest.mark.parametrize(
    "text", ["yesterday", "notadate", "2020-02-30", "2020-1-2", "20200102", "²"]
)
def test_bad_dates(text):
    with pytest.raises(ValidationError, match="--start"):
        parse_date(text, "--start")


def test_dates():
    assert parse_date("2020-02-29", "--start") == dt.date(2020, 2, 29)


def test_files_and_folders(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("x")
    assert check_in_file(f, "--prices") == f
    with pytest.raises(DataError, match="no such file"):
        check_in_file(tmp_path / "missing.csv", "--prices")
    with pytest.raises(DataError, match="not a readable file"):
        check_in_file(tmp_path, "--prices")
    assert check_out_dir(tmp_path / "new" / "deeper", "--out") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(DataError, match="is a file"):
        check_out_dir(f, "--out")
    with pytest.raises(DataError, match="under the file"):
        check_out_dir(f / "sub", "--out")
    with pytest.raises(DataError, match="cannot write"):
        prepare_out_dir(f / "sub", "--out")
    with pytest.raises(DataError, match="cannot write"):
        prepare_out_dir(tmp_path.parent / "\0bad", "--out")
    assert prepare_out_dir(tmp_path / "made", "--out").is_dir()


def test_every_refusal_is_a_tickbook_error():
    assert issubclass(ValidationError, TickbookError) and issubclass(DataError, TickbookError)


def test_shown_shortens_long_values():
    assert shown("abc") == "'abc'"
    text = shown("9" * 5000)
    assert len(text) < 70 and text.endswith("(5000 characters)")
