"""``tickbook backtest``: a price panel plus weights (or a built-in strategy) to a tear sheet.

    tickbook backtest --prices src/tickbook/_sample/sp500_20_stocks_1990_2022.csv.gz \
        --strategy momentum
    tickbook backtest --prices prices.parquet --weights weights.csv --fill next_open ...
    tickbook backtest --prices p.csv --strategy momentum --grid lookback=63,126,252 --grid top=3,5

Prints the metrics table and writes ``tearsheet.html`` and ``tearsheet.png`` to ``--out``.
With ``--grid`` it first sweeps the momentum parameters (progress bar), prints the ranking
and reports the best point.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from tickbook.cli._common import console
from tickbook.cli._parse import (
    check_in_file,
    check_out_dir,
    parse_cents,
    parse_date,
    parse_float,
    parse_int,
    prepare_out_dir,
    refuse,
)

__all__ = ["command"]

#: bounds of the momentum parameters (bars)
_MAX_BARS = 100_000
_GRID_NAMES = {"lookback": 1, "top": 1, "skip": 0, "rebalance_every": 1}


class BuiltIn(enum.StrEnum):
    """Built-in strategies."""

    equal = "equal"
    momentum = "momentum"


class Fill(enum.StrEnum):
    """Fill timing choices."""

    close = "close"
    next_open = "next_open"


class Unit(enum.StrEnum):
    """Units of the price file."""

    dollars = "dollars"
    cents = "cents"


def _grid(specs: list[str]) -> dict[str, list[int]]:

    grid: dict[str, list[int]] = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        name = name.strip()
        if name not in _GRID_NAMES or not values:
            raise refuse(
                "--grid", "NAME=V1,V2,... with NAME lookback, top, skip or rebalance_every", spec
            )
        if name in grid:
            raise refuse("--grid", f"{name} given once", spec)
        points = [
            parse_int(v, f"--grid {name}", _GRID_NAMES[name], _MAX_BARS) for v in values.split(",")
        ]
        if len(set(points)) != len(points) or len(points) > 100:
            raise refuse("--grid", "at most 100 distinct values per name", spec)
        grid[name] = points
    return grid


def _opt(help: str, metavar: str) -> Any:
    return typer.Option(help=help, metavar=metavar)


def command(
    prices: Annotated[
        str,
        _opt(
            "Price panel: CSV (may be .gz) or Parquet, dates x symbols, one close a cell.", "FILE"
        ),
    ],
    weights: Annotated[
        str | None,
        _opt("Target weights, same layout (rows: rebalance dates; empty cells: hold).", "FILE"),
    ] = None,
    strategy: Annotated[
        BuiltIn | None,
        typer.Option(help="Built-in strategy instead of --weights: equal weight or momentum."),
    ] = None,
    out: Annotated[
        str, _opt("Folder for tearsheet.html and tearsheet.png.", "FOLDER")
    ] = "reports/backtest",
    cash: Annotated[str, _opt("Initial cash in dollars.", "DOLLARS")] = "1000000",
    cost_bps: Annotated[str, _opt("Fee a trade, in basis points of its value.", "BPS")] = "10",
    fill: Annotated[
        Fill, typer.Option(help="Fill at the bar's close, or the next open (--open-prices).")
    ] = Fill.close,
    open_prices: Annotated[
        str | None, _opt("Open prices, same layout (for --fill next_open).", "FILE")
    ] = None,
    unit: Annotated[Unit, typer.Option(help="Units of the price files.")] = Unit.dollars,
    fractional: Annotated[bool, typer.Option(help="Trade fractional shares.")] = False,
    start: Annotated[str | None, _opt("First date to use.", "YYYY-MM-DD")] = None,
    end: Annotated[str | None, _opt("Last date to use.", "YYYY-MM-DD")] = None,
    benchmark: Annotated[
        str,
        _opt(
            "Benchmark line: 'equal' (equal weight, same symbols and rebalancing), "
            "a symbol of the panel (bought and held), or 'none'.",
            "NAME",
        ),
    ] = "equal",
    lookback: Annotated[str, _opt("Momentum: bars of past return ranked.", "BARS")] = "231",
    skip: Annotated[str, _opt("Momentum: latest bars left out of the window.", "BARS")] = "21",
    top: Annotated[str, _opt("Momentum: symbols held.", "N")] = "5",
    rebalance_every: Annotated[
        str, _opt("Bars between rebalances (built-in strategies).", "BARS")
    ] = "21",
    grid: Annotated[
        list[str] | None,
        _opt(
            "Momentum sweep, repeatable: NAME=V1,V2 (NAME: lookback, top, skip, "
            "rebalance_every); the best Sharpe is reported.",
            "NAME=V1,V2",
        ),
    ] = None,
    workers: Annotated[str, _opt("Processes for --grid (0: this process).", "N")] = "0",
    periods_per_year: Annotated[str, _opt("Bars a year, for annualized metrics.", "N")] = "252",
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
) -> None:
    """Backtest target weights or a built-in strategy; print its metrics, write a tear sheet.

    Example: tickbook backtest --prices src/tickbook/_sample/sp500_20_stocks_1990_2022.csv.gz
    --strategy momentum --grid lookback=63,126 --grid top=3,5
    """
    given = {"--prices": prices, "--weights": weights, "--open-prices": open_prices}
    files = {k: None if v is None else check_in_file(Path(v), k) for k, v in given.items()}
    run = _settings(cash, cost_bps, periods_per_year, start, end)
    run.fill, run.fractional, run.unit = fill.value, fractional, unit.value
    momentum = {
        "lookback": parse_int(lookback, "--lookback", 1, _MAX_BARS),
        "top": parse_int(top, "--top", 1, _MAX_BARS),
        "skip": parse_int(skip, "--skip", 0, _MAX_BARS),
        "rebalance_every": parse_int(rebalance_every, "--rebalance-every", 1, _MAX_BARS),
    }
    n_workers = parse_int(workers, "--workers", 0, 64)
    folder = check_out_dir(Path(out), "--out")
    if (weights is None) == (strategy is None):
        raise refuse("--weights/--strategy", "exactly one of them", None)
    if grid and strategy is not BuiltIn.momentum:
        raise refuse("--grid", "--strategy momentum", strategy and strategy.value)
    sweep = _grid(grid or [])
    for field, path in files.items():
        if path is not None:
            _check_panel(path, field)
    _execute(
        run, files["--prices"], files["--weights"], strategy, files["--open-prices"], momentum,
        sweep, n_workers, benchmark, folder, title,
    )  # fmt: skip


def _settings(
    cash: str, cost_bps: str, periods_per_year: str, start: str | None, end: str | None
) -> _Run:
    """Parse the options every backtest of the command shares."""
    first = None if start is None else parse_date(start, "--start")
    last = None if end is None else parse_date(end, "--end")
    if first is not None and last is not None and first > last:
        raise refuse("--end", f"a date on or after --start {first}", end)
    return _Run(
        cash=parse_cents(cash, "--cash"),
        cost_bps=parse_float(cost_bps, "--cost-bps", 0, 10_000),
        periods_per_year=parse_float(periods_per_year, "--periods-per-year", 1, 1_000_000),
        start=first,
        end=last,
    )


def _check_panel(path: Path, field: str) -> None:
    from tickbook.cli._panel import check_panel_file

    check_panel_file(path, field)


class _Run:
    """The settings every backtest of one command shares."""

    def __init__(self, **settings: Any) -> None:
        self.__dict__.update(settings)

    def load(self, path: Path, unit: str | None = None) -> Any:
        from tickbook.backtest import load_panel

        start = None if self.start is None else self.start.isoformat()
        end = None if self.end is None else self.end.isoformat()
        return load_panel(path, unit=unit or self.unit, start=start, end=end)

    def backtest(self, schedule: Any, panel: dict[str, Any]) -> Any:
        from tickbook.backtest import backtest_weights

        return backtest_weights(
            schedule, panel, self.cash, self.cost_bps, self.periods_per_year,
            fill=self.fill, quantity_step=0 if self.fractional else 1.0,
        )  # fmt: skip


def _execute(
    run: _Run,
    prices: Path,
    weights: Path | None,
    strategy: BuiltIn | None,
    open_prices: Path | None,
    momentum: dict[str, int],
    sweep: dict[str, list[int]],
    workers: int,
    benchmark: str,
    out: Path,
    title: str | None,
) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tickbook.backtest import CrossSectionalMomentum, EqualWeight, tear_sheet

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("reading prices", total=None)
        close = run.load(prices)
        panel = {"close": close}
        if open_prices is not None:
            panel["open"] = run.load(open_prices)
        bench = _benchmark_schedule(benchmark, close, momentum["rebalance_every"])
        if weights is not None:
            bar.update(task, description="reading weights")
            schedule, name = run.load(weights, "weights"), f"weights from {weights.name}"
        elif strategy is BuiltIn.equal:
            schedule, name = EqualWeight(momentum["rebalance_every"]).weights(close), "equal weight"
        else:
            if sweep:
                bar.stop()
                momentum = _sweep(run, close, momentum, sweep, workers)
                bar.start()
            schedule = CrossSectionalMomentum(**momentum).weights(close)
            name = (
                f"momentum ({momentum['lookback']}-bar return skipping {momentum['skip']}, "
                f"top {momentum['top']}, every {momentum['rebalance_every']} bars)"
            )
        bar.update(task, description="simulating (the first run compiles the kernels, once)")
        result = run.backtest(schedule, panel)
        bench_result = None if bench is None else run.backtest(bench[0], panel)
        bar.update(task, description="writing the tear sheet")
        prepare_out_dir(out, "--out")
        first, last = close.index[0].date(), close.index[-1].date()
        heading = title or f"{name}, {len(close.columns)} symbols, {first} to {last}"
        extra = {}
        if bench_result is not None:
            extra = {"benchmark": bench_result.returns, "benchmark_label": bench[1]}
        sheet = tear_sheet(result, out, heading, **extra)
    _print_report(result, title or name, bench_result, None if bench is None else bench[1])
    console.print(f"wrote {sheet.html} and {sheet.png}")


def _benchmark_schedule(spec: str, close: Any, every: int) -> tuple[Any, str] | None:
    """Return the benchmark's weight schedule and label, or ``None`` for 'none'."""
    import pandas as pd

    from tickbook.backtest import EqualWeight

    key = spec.strip()
    if key.lower() == "none":
        return None
    if key.lower() == "equal":
        n = len(close.columns)
        return EqualWeight(every).weights(close), f"equal weight, same {n} symbols"
    if key not in close.columns:
        raise refuse("--benchmark", "'equal', 'none' or a symbol of the price panel", key)
    hold = pd.DataFrame(0.0, index=close.index[:1], columns=close.columns)
    hold[key] = 1.0
    return hold, f"{key}, bought and held"


def _sweep(
    run: _Run, close: Any, momentum: dict[str, int], sweep: dict[str, list[int]], workers: int
) -> dict[str, int]:
    from tickbook.backtest import CrossSectionalMomentum, grid_search

    found = grid_search(
        CrossSectionalMomentum, {k: [v] for k, v in momentum.items()} | sweep, close,
        "sharpe", workers=workers, progress=True, initial_cash=run.cash,
        cost_bps=run.cost_bps, periods_per_year=run.periods_per_year,
    )  # fmt: skip
    _print_sweep(found, list(sweep))
    return {k: int(found.loc[0, k]) for k in momentum}


def _print_report(result: Any, title: str, bench: Any, bench_label: str | None) -> None:
    from rich.table import Table

    from tickbook.backtest import metrics_rows

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, value in metrics_rows(result.metrics):
        table.add_row(label, value)
    console.print(table)
    console.print(
        f"final equity ${result.equity_curve[-1] / 100:,.2f}; fees ${result.fees.sum() / 100:,.2f}"
    )
    if bench is not None:
        m = bench.metrics
        figures = (
            "no periods"
            if m is None
            else f"CAGR {m.cagr:.2%}, Sharpe {m.sharpe:.2f}, max drawdown {m.max_drawdown:.2%}"
        )
        final = bench.equity_curve[-1] / 100
        console.print(f"benchmark ({bench_label}): {figures}; final equity ${final:,.2f}")


def _print_sweep(found: Any, names: list[str]) -> None:
    from rich.table import Table

    table = Table(title="momentum sweep, best Sharpe first")
    for col in [*names, "sharpe", "cagr", "max_drawdown"]:
        table.add_column(col, justify="right")
    for _, row in found.head(10).iterrows():
        table.add_row(
            *(str(int(row[n])) for n in names),
            f"{row['sharpe']:.2f}", f"{row['cagr']:.2%}", f"{row['max_drawdown']:.2%}",
        )  # fmt: skip
    console.print(table)
