import re

import numpy as np
import pandas as pd
import pytest

from tickbook.backtest import (
    backtest_weights,
    demo_report,
    load_panel,
    metrics_rows,
    monthly_returns,
    sample_data_dir,
    tear_sheet,
)
from tickbook.core import DataError, ValidationError
from tickbook.portfolio import compute_metrics


def _result():
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("2019-01-01", periods=600)
    close = pd.DataFrame(
        100_00 * np.exp(np.cumsum(rng.normal(3e-4, 0.01, (600, 3)), axis=0)), dates, list("ABC")
    )
    w = pd.DataFrame(1 / 3, dates[::21], list("ABC"))
    return backtest_weights(w, close, 1_000_000_00, 5, tick_size=1.0)


def test_tear_sheet_writes_a_self_contained_page_and_a_png(tmp_path):
    result = _result()
    sheet = tear_sheet(
        result, tmp_path / "r", "Three stocks", benchmark=result.returns * 0.5, note="synthetic"
    )
    page = sheet.html.read_text()
    assert sheet.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']?(https?:|//|[^"'d#])""", page)  # nothing outside
    assert "Three stocks" in page and "synthetic" in page
    assert "Monthly returns" in page and "Sharpe" in page
    assert sheet.metrics is result.metrics


def test_png_holds_every_chart(tmp_path):
    import matplotlib.image

    sheet = tear_sheet(_result(), tmp_path, "x")
    image = matplotlib.image.imread(sheet.png)
    assert image.shape[:2] == (1500, 1300)
    assert image[..., :3].std() > 0.1  # not a blank page


def test_monthly_returns_compound_within_each_month():
    dates = pd.to_datetime(["2021-01-04", "2021-01-05", "2021-02-01", "2022-03-01"])
    table = monthly_returns([0.1, 0.1, -0.5, 0.2], dates)
    assert table.loc[2021, "Jan"] == pytest.approx(0.21)
    assert table.loc[2021, "Feb"] == pytest.approx(-0.5)
    assert table.loc[2021, "Year"] == pytest.approx(1.21 * 0.5 - 1)
    assert np.isnan(table.loc[2022, "Jan"]) and table.loc[2022, "Mar"] == pytest.approx(0.2)


def test_metrics_rows_format_every_figure():
    rows = dict(metrics_rows(compute_metrics([0.01, -0.02, 0.03])))
    assert rows["Sharpe"] != "" and rows["Total return"].endswith("%")
    assert metrics_rows(None) == [("periods", "0")]


def test_a_series_of_returns_is_enough(tmp_path):
    series = pd.Series([0.01, -0.01] * 100, index=pd.bdate_range("2020-01-01", periods=200))
    assert tear_sheet(series, tmp_path, "series").metrics.num_periods == 200


def test_load_panel_reads_csv_and_parquet_in_cents(tmp_path):
    frame = load_panel(sample_data_dir() / "sp500_20_stocks_1990_2022.csv.gz", start="2022-12-01")
    assert frame.loc["2022-12-28", "AAPL"] == pytest.approx(12567.4)
    (frame / 100).to_parquet(tmp_path / "p.parquet")
    again = load_panel(tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(again, frame, check_freq=False, check_names=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,A\n2020-01-01,-5\n")
    with pytest.raises(DataError):
        load_panel(bad)
    with pytest.raises(DataError):
        load_panel(tmp_path / "missing.csv")


def test_demo_report_runs_the_readme_backtest(tmp_path):
    report = demo_report(tmp_path)
    assert report.tear_sheet.html.exists() and report.tear_sheet.png.exists()
    assert report.momentum.metrics.num_periods == 8313
    assert report.momentum.index[0] == pd.Timestamp("1990-01-02")
    # the first rebalance waits for 231 + 21 bars of history
    assert (report.momentum.traded_value[:252] == 0).all()


def test_the_warm_up_before_the_first_target_is_left_out_and_said(tmp_path):
    rng = np.random.default_rng(4)
    dates = pd.bdate_range("2019-01-01", periods=400)
    close = pd.DataFrame(
        100_00 * np.exp(np.cumsum(rng.normal(3e-4, 0.01, (400, 2)), axis=0)), dates, ["A", "B"]
    )
    w = pd.DataFrame(np.nan, dates, ["A", "B"])
    w.iloc[:150] = 0.0  # a strategy warming up: explicit zero targets
    w.iloc[150::21] = 0.5
    result = backtest_weights(w, close, 1_000_000_00, 5, tick_size=1.0)
    assert result.warmup == 150
    bench = backtest_weights(w.fillna(0.5).clip(lower=0.5), close, 1_000_000_00, tick_size=1.0)
    sheet = tear_sheet(result, tmp_path, "warm", benchmark=bench)
    trading = compute_metrics(result.returns[150:])
    assert sheet.metrics == trading != result.metrics
    assert sheet.metrics.num_periods == 250
    page = (tmp_path / "tearsheet.html").read_text()
    assert "the 150 bars before it are the strategy&#x27;s warm-up" in page
    assert str(dates[150].date()) in page
    assert "<th>2019</th>" in page  # the monthly table starts in 2019-08, not January
    months = monthly_returns(result.returns[150:], dates[150:])
    assert np.isnan(months.loc[2019, "Jan"]) and np.isfinite(months.loc[2019, "Sep"])
    with pytest.raises(ValidationError) as info:
        tear_sheet(result, tmp_path, "x", benchmark=bench.returns[:-1])
    assert info.value.field == "benchmark"
    next_open = backtest_weights(
        w, {"close": close, "open": close}, 1_000_000_00, tick_size=1.0, fill="next_open"
    )
    assert next_open.warmup == 151  # the first target trades at the next bar's open
