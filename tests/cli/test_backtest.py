import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tickbook.backtest import (
    CrossSectionalMomentum,
    EqualWeight,
    backtest_weights,
    grid_search,
    load_panel,
    metrics_rows,
)
from tickbook.cli import app

from .conftest import PANEL

runner = CliRunner()
CASH = 1_000_000_00


def _run(*args):
    return runner.invoke(app, ["backtest", *map(str, args)], terminal_width=120)


def _cells(output, first):
    """Rows of a rich table whose first cell matches ``first``, as lists of cell texts."""
    rows = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if cells and re.fullmatch(first, cells[0]):
            rows.append(cells)
    return rows


def test_momentum_prints_the_metrics_it_computed_and_the_benchmark(
    small_panel, tmp_path, monkeypatch
):
    import tickbook.backtest

    seen = {}
    real = tickbook.backtest.tear_sheet

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(tickbook.backtest, "tear_sheet", spy)
    result = _run("--prices", small_panel, "--strategy", "momentum", "--lookback", "63",
                  "--skip", "5", "--top", "2", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    prices = load_panel(small_panel)
    strategy = CrossSectionalMomentum(lookback=63, top=2, skip=5, rebalance_every=21)
    want = backtest_weights(strategy.weights(prices), prices, CASH, 10.0, quantity_step=1.0)
    printed = {row[0]: row[1] for row in _cells(result.output, r"[A-Z][A-Za-z0-9 %./()-]+")}
    for label, value in metrics_rows(want.metrics):
        assert printed[label] == value, label
    assert f"final equity ${want.equity_curve[-1] / 100:,.2f}" in result.output
    bench = backtest_weights(EqualWeight(21).weights(prices), prices, CASH, 10.0, quantity_step=1.0)
    m = bench.metrics
    line = " ".join(result.output.split())
    assert (
        f"benchmark (equal weight, same 4 symbols): CAGR {m.cagr:.2%}, Sharpe {m.sharpe:.2f}, "
        f"max drawdown {m.max_drawdown:.2%}" in line
    )
    assert seen["benchmark_label"] == "equal weight, same 4 symbols"
    assert np.array_equal(seen["benchmark"], bench.returns)  # drawn on the equity chart
    assert (tmp_path / "tearsheet.html").stat().st_size > 0
    assert (tmp_path / "tearsheet.png").stat().st_size > 0


def test_a_symbol_benchmark_and_none(small_panel, tmp_path):
    held = _run(
        "--prices", small_panel, "--strategy", "equal", "--benchmark", "KO", "--out", tmp_path
    )
    assert held.exit_code == 0, held.output
    assert "benchmark (KO, bought and held)" in " ".join(held.output.split())
    none = _run(
        "--prices", small_panel, "--strategy", "equal", "--benchmark", "none", "--out", tmp_path
    )
    assert none.exit_code == 0 and "benchmark (" not in none.output


def test_a_weights_file(small_panel, tmp_path):
    prices = pd.read_csv(small_panel, index_col=0)
    weights = pd.DataFrame(0.0, index=prices.index[::63], columns=prices.columns)
    weights[["AAPL", "MSFT"]] = 0.5
    weights.to_csv(tmp_path / "w.csv")
    result = _run(
        "--prices", small_panel, "--weights", tmp_path / "w.csv", "--start", "2019-01-02",
        "--end", "2020-12-31", "--out", tmp_path, "--fractional", "--cost-bps", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "weights from w.csv" in result.output


def test_the_sweep_prints_the_grid_best_first_with_its_numbers(small_panel, tmp_path):
    result = _run(
        "--prices", small_panel, "--strategy", "momentum", "--skip", "5",
        "--grid", "lookback=21,63,126", "--grid", "top=1,2", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = grid_search(
        CrossSectionalMomentum,
        {"lookback": [21, 63, 126], "top": [1, 2], "skip": [5], "rebalance_every": [21]},
        load_panel(small_panel), "sharpe", initial_cash=CASH, cost_bps=10.0,
    )  # fmt: skip
    rows = _cells(result.output, r"\d+")
    want = [
        [
            str(int(r.lookback)),
            str(int(r.top)),
            f"{r.sharpe:.2f}",
            f"{r.cagr:.2%}",
            f"{r.max_drawdown:.2%}",
        ]
        for r in found.itertuples()
    ]
    assert rows[: len(want)] == want
    sharpes = [float(r[2]) for r in rows[: len(want)]]
    assert sharpes == sorted(sharpes, reverse=True)  # worst-first printing fails here
    best = found.iloc[0]
    assert (
        f"momentum ({int(best.lookback)}-bar return skipping 5, top {int(best.top)}"
        in result.output
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--start", "yesterday"],
        ["--start", "notadate"],
        ["--start", "2020-02-30"],
        ["--start", "2020-06-01", "--end", "2020-01-01"],
        ["--cash", "inf"],
        ["--cash", "nan"],
        ["--cash", "-5"],
        ["--cash", "1e999990"],
        ["--cash", "1" * 5000],
        ["--cost-bps", "inf"],
        ["--lookback", "²"],
        ["--top", "0"],
        ["--workers", "-1"],
        ["--periods-per-year", "0"],
        ["--grid", "top=1,²"],
        ["--grid", "colour=red"],
        ["--grid", "top=1", "--grid", "top=2"],
        ["--benchmark", "NOPE"],
        ["--fill", "next_open"],  # no open prices
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_bad_values_exit_1_with_one_line_and_write_nothing(small_panel, tmp_path, args):
    out = tmp_path / "report"
    result = _run("--prices", small_panel, "--strategy", "momentum", *args, "--out", out)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and len(errors[0]) < 300, result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # a refusal leaves nothing behind


def test_bad_files_exit_1(small_panel, tmp_path):
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    no_dates = tmp_path / "no_dates.csv"
    pd.read_csv(small_panel).iloc[:, 1:].to_csv(no_dates, index=False)  # column A: AAPL prices
    dup = tmp_path / "dup.csv"
    dup.write_text(small_panel.read_text().replace("KO", "AAPL", 1))
    cases = {
        "no such file": ["--prices", tmp_path / "missing.csv", "--strategy", "equal"],
        "exactly one of them": ["--prices", small_panel],
        "--strategy momentum": ["--prices", small_panel, "--strategy", "equal", "--grid", "top=1"],
        "is a file": ["--prices", small_panel, "--strategy", "equal", "--out", a_file],
        "under the file": ["--prices", small_panel, "--strategy", "equal", "--out", a_file / "x"],
        "first column must hold dates": ["--prices", no_dates, "--strategy", "equal"],
        "'AAPL' appears twice": ["--prices", dup, "--strategy", "equal"],
    }
    for message, args in cases.items():
        if "--out" not in args:
            args = [*args, "--out", tmp_path / "o"]
        result = _run(*args)
        assert result.exit_code == 1, (message, result.output)
        assert message in " ".join(result.output.split()), (message, result.output)
        assert "Traceback" not in result.output


def test_usage_errors_exit_2():
    assert _run("--strategy", "equal").exit_code == 2  # --prices missing
    assert _run("--prices", PANEL, "--strategy", "magic").exit_code == 2
    assert _run("--prices", PANEL, "--strategy", "equal", "--nope").exit_code == 2
