"""``tickbook backtest``: a price panel plus weights (or a built-in strategy) to a tear sheet.

    tickbook backtest --prices data/daily/sp500_20_stocks_1990_2022.csv.gz --strategy momentum
    tickbook backtest --prices prices.parquet --weights weights.csv --fill next_open ...
    tickbook backtest --prices p.csv --strategy momentum --grid lookback=63,126,252 --grid top=3,5

Prints the metrics table and writes ``tearsheet.html`` and ``tearsheet.png`` to ``--out``.
With ``--grid`` it first sweeps the momentum parameters (progress bar), prints the ranking
and reports the best point.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from tickbook.cli._common import console, guarded

__all__ = ["app"]

app = typer.Typer(help="Backtest target weights or a built-in strategy; write a tear sheet.")


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
    from tickbook.core._checks import refuse

    grid: dict[str, list[int]] = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        name = name.strip()
        if name not in ("lookback", "top", "skip", "rebalance_every") or not values:
            raise refuse(
                "--grid", "NAME=V1,V2,... with NAME lookback, top, skip or rebalance_every", spec
            )
        try:
            grid[name] = [int(v) for v in values.split(",")]
        except ValueError:
            raise refuse("--grid", "whole numbers", spec) from None
    return grid


@app.callback(invoke_without_command=True)
@guarded
def backtest(
    prices: Annotated[
        Path,
        typer.Option(
            help="Price panel: CSV (may be .gz) or Parquet, dates x symbols, one close per cell."
        ),
    ],
    weights: Annotated[
        Path | None,
        typer.Option(
            help="Target weights, same layout as the prices "
            "(rows: rebalance dates; empty cells: hold)."
        ),
    ] = None,
    strategy: Annotated[
        BuiltIn | None,
        typer.Option(
            help="Built-in strategy instead of --weights: equal weight or cross-sectional momentum."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for tearsheet.html and tearsheet.png.")] = Path(
        "reports/backtest"
    ),
    cash: Annotated[float, typer.Option(help="Initial cash in dollars.", min=1)] = 1_000_000.0,
    cost_bps: Annotated[
        float, typer.Option(help="Fee per trade in basis points of its value.", min=0)
    ] = 10.0,
    fill: Annotated[
        Fill,
        typer.Option(
            help="Fill at the signal bar's close, or the next bar's open (needs --open-prices)."
        ),
    ] = Fill.close,
    open_prices: Annotated[
        Path | None, typer.Option(help="Open prices, same layout (for --fill next_open).")
    ] = None,
    unit: Annotated[Unit, typer.Option(help="Units of the price files.")] = Unit.dollars,
    fractional: Annotated[
        bool, typer.Option(help="Trade fractional shares instead of whole ones.")
    ] = False,
    start: Annotated[str | None, typer.Option(help="First date to use (e.g. 2005-01-01).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date to use.")] = None,
    lookback: Annotated[
        int, typer.Option(help="Momentum: bars of past return ranked.", min=1)
    ] = 231,
    skip: Annotated[
        int, typer.Option(help="Momentum: most recent bars left out of the window.", min=0)
    ] = 21,
    top: Annotated[int, typer.Option(help="Momentum: symbols held.", min=1)] = 5,
    rebalance_every: Annotated[
        int, typer.Option(help="Bars between rebalances (built-in strategies).", min=1)
    ] = 21,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="Momentum sweep, repeatable: NAME=V1,V2 (lookback, top, skip, "
            "rebalance_every); the best Sharpe is reported."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes for --grid (0: this process).", min=0)
    ] = 0,
    periods_per_year: Annotated[
        float, typer.Option(help="Bars per year, for annualized metrics.", min=1)
    ] = 252.0,
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
) -> None:
    """Run a backtest on a price panel, print its metrics and write the tear sheet."""
    from rich.progress import Progress, SpinnerColumn, TextColumn
    from rich.table import Table

    from tickbook.backtest import (
        CrossSectionalMomentum,
        EqualWeight,
        backtest_weights,
        grid_search,
        load_panel,
        metrics_rows,
        tear_sheet,
    )
    from tickbook.core._checks import refuse

    if (weights is None) == (strategy is None):
        raise refuse("--weights/--strategy", "exactly one of them", None)
    if grid and strategy is not BuiltIn.momentum:
        raise refuse("--grid", "--strategy momentum", strategy)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as bar:
        task = bar.add_task("reading prices", total=None)
        close = load_panel(prices, unit=unit.value, start=start, end=end)
        panel = {"close": close}
        if open_prices is not None:
            panel["open"] = load_panel(open_prices, unit=unit.value, start=start, end=end)
        if weights is not None:
            bar.update(task, description="reading weights")
            schedule = load_panel(weights, unit="weights", start=start, end=end)
            name = f"weights from {weights.name}"
        elif strategy is BuiltIn.equal:
            schedule = EqualWeight(rebalance_every).weights(close)
            name = "equal weight"
        else:
            params = {
                "lookback": lookback,
                "top": top,
                "skip": skip,
                "rebalance_every": rebalance_every,
            }
            if grid:
                sweep = _grid(grid)
                bar.stop()
                found = grid_search(
                    CrossSectionalMomentum, {k: [v] for k, v in params.items()} | sweep, close,
                    "sharpe", workers=workers, progress=True, initial_cash=round(cash * 100),
                    cost_bps=cost_bps, periods_per_year=periods_per_year,
                )  # fmt: skip
                _print_sweep(found, list(sweep))
                params = {k: int(found.loc[0, k]) for k in params}
                bar.start()
            schedule = CrossSectionalMomentum(**params).weights(close)
            name = (
                f"momentum ({params['lookback']}-bar return skipping {params['skip']}, "
                f"top {params['top']}, every {params['rebalance_every']} bars)"
            )
        bar.update(task, description="simulating")
        result = backtest_weights(
            schedule, panel, round(cash * 100), cost_bps, periods_per_year,
            fill=fill.value, quantity_step=0 if fractional else 1.0,
        )  # fmt: skip
        bar.update(task, description="writing the tear sheet")
        first, last = close.index[0].date(), close.index[-1].date()
        sheet = tear_sheet(
            result, out, title or f"{name}, {len(close.columns)} symbols, {first} to {last}"
        )
    table = Table(title=title or name)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, value in metrics_rows(result.metrics):
        table.add_row(label, value)
    console.print(table)
    console.print(
        f"final equity ${result.equity_curve[-1] / 100:,.2f}; fees ${result.fees.sum() / 100:,.2f}"
    )
    console.print(f"wrote {sheet.html} and {sheet.png}")


def _print_sweep(found, names: list[str]) -> None:
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
