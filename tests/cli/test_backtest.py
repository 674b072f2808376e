import pandas as pd
from typer.testing import CliRunner

from tickbook.backtest import sample_data_dir
from tickbook.cli import app

runner = CliRunner()
PANEL = str(sample_data_dir() / "sp500_20_stocks_1990_2022.csv.gz")


def test_momentum_prints_metrics_and_writes_the_report(tmp_path):
    result = runner.invoke(
        app,
        [
            "backtest",
            "--prices",
            PANEL,
            "--strategy",
            "momentum",
            "--start",
            "2015-01-01",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Sharpe" in result.output and "Max drawdown" in result.output
    assert (tmp_path / "tearsheet.html").exists() and (tmp_path / "tearsheet.png").exists()


def test_a_weights_file(tmp_path):
    prices = pd.read_csv(PANEL, index_col=0).loc["2020-01-02":"2020-12-31"]
    weights = pd.DataFrame(0.0, index=prices.index[::63], columns=prices.columns)
    weights[["AAPL", "MSFT"]] = 0.5
    weights.to_csv(tmp_path / "w.csv")
    result = runner.invoke(
        app,
        ["backtest", "--prices", PANEL, "--weights", str(tmp_path / "w.csv"),
         "--start", "2020-01-02", "--end", "2020-12-31", "--out", str(tmp_path),
         "--fractional", "--cost-bps", "0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "weights from w.csv" in result.output


def test_a_sweep_ranks_the_grid(tmp_path):
    result = runner.invoke(
        app,
        ["backtest", "--prices", PANEL, "--strategy", "momentum", "--start", "2010-01-01",
         "--grid", "lookback=63,126", "--grid", "top=3,5", "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "momentum sweep" in result.output


def test_bad_input_exits_1_with_one_line(tmp_path):
    cases = [
        ["--prices", str(tmp_path / "missing.csv"), "--strategy", "equal"],
        ["--prices", PANEL],  # neither weights nor strategy
        ["--prices", PANEL, "--strategy", "equal", "--grid", "top=1"],
        ["--prices", PANEL, "--strategy", "momentum", "--grid", "colour=red"],
        ["--prices", PANEL, "--strategy", "equal", "--fill", "next_open"],  # no open prices
    ]
    for args in cases:
        result = runner.invoke(app, ["backtest", *args, "--out", str(tmp_path)])
        assert result.exit_code == 1, (args, result.output)
        assert "error" in result.output and "Traceback" not in result.output


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["backtest", "--strategy", "equal"]).exit_code == 2
    assert runner.invoke(app, ["backtest", "--prices", PANEL, "--strategy", "magic"]).exit_code == 2
