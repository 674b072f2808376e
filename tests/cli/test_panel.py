import gzip

import pandas as pd
import pytest

from tickbook.cli._panel import check_panel_file
from tickbook.core import DataError


def _csv(tmp_path, text, name="p.csv"):
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_a_good_panel_passes(tmp_path, small_panel):
    check_panel_file(small_panel, "--prices")
    check_panel_file(_csv(tmp_path, "date,A,B\n2020-01-02,1,2\n2020/01/03,1,2\n", "p.csv.gz"), "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B\n1.5,2\n", "line 2: the first column must hold dates"),
        ("date,A,A\n2020-01-02,1,2\n", "column 'A' appears twice"),
        ("date,A, A \n2020-01-02,1,2\n", "column 'A' appears twice"),
        ("date,A,\n2020-01-02,1,2\n", "a column has no name"),
        ("", "empty file"),
        ("date,A\n2020-01-02,1\n12345,2\n", "line 3"),
        ("date,A\n2020-01-02,1\n\0,2\n", "line 3"),
    ],
)
def test_bad_panels_are_refused_naming_the_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message) as info:
        check_panel_file(_csv(tmp_path, text), "--prices")
    assert info.value.field == "--prices"


def test_not_utf8_or_not_gzip(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_bytes(b"date,A\n2020-01-02,\xff\n")
    with pytest.raises(DataError, match="cannot read"):
        check_panel_file(bad, "--prices")
    fake = tmp_path / "p.csv.gz"
    fake.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        check_panel_file(fake, "--prices")


def test_parquet_needs_dates(tmp_path):
    pytest.importorskip("pyarrow")
    good = tmp_path / "good.parquet"
    pd.DataFrame({"A": [1.0, 2.0]}, index=pd.to_datetime(["2020-01-02", "2020-01-03"])).to_parquet(
        good
    )
    check_panel_file(good, "--prices")
    as_text = tmp_path / "text.parquet"
    pd.DataFrame({"date": ["2020-01-02"], "A": [1.0]}).to_parquet(as_text, index=False)
    check_panel_file(as_text, "--prices")
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"A": [1.5, 2.5], "B": [1.0, 2.0]}).to_parquet(bad, index=False)
    with pytest.raises(DataError, match="row 1: the first column must hold dates"):
        check_panel_file(bad, "--prices")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 nope")
    with pytest.raises(DataError, match="cannot read"):
        check_panel_file(junk, "--prices")
