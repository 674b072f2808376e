"""``tickbook demo``: the main job on an embedded default.

A scripted exchange session (orders, the book, the trades, a stop, an iceberg, self-trade
prevention), then a short side-by-side timing against nanobook when it is installed. The
full benchmarks live in ``benchmarks/`` (``make bench``).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tickbook.cli._common import console
from tickbook.cli._parse import check_out_dir, parse_int

__all__ = ["SCRIPT", "command"]

#: the packages whose kernels the demo runs
_KERNEL_PACKAGES = ("book", "backtest", "portfolio", "analytics")
#: the shipped real panel (the one ``demo_report`` uses)
_PANEL = "sp500_20_stocks_1990_2022.csv.gz"

SCRIPT = [
    ("sell 101.00 100", "a seller rests 100 at $101.00"),
    ("sell 100.50 50", "another offers 50 at $100.50"),
    ("buy 100.00 80", "a buyer bids $100.00"),
    ("buy 99.50 40", "and $99.50"),
    ("book", "the book"),
    ("buy 101.00 120", "a buyer crosses: takes $100.50 first, then $101.00"),
    ("stop sell 99.80 30", "a sell stop at $99.80 waits for the last trade to fall"),
    ("market sell 90", "a market sell hits $100.00 (80) then $99.50 (10): the stop fires"),
    ("trades", "every trade, with aggressor and passive order ids"),
    ("book", "the book after the cascade"),
]


def _session() -> None:
    from tickbook.cli.lob import LobSession

    session = LobSession()
    console.rule("[bold]a scripted exchange session")
    for line, why in SCRIPT:
        console.print(f"[cyan]> {line}[/cyan]   [dim]# {why}[/dim]", highlight=False)
        console.print(session.handle(line), highlight=False)
    ex = session.exchange
    console.print("[cyan]> iceberg: sell 1,000 at $102.00 showing 100 at a time[/cyan]")
    ex.submit_limit("sell", 10200, 1000, display_quantity=100)
    console.print(f"  depth shows {ex.depth(5).asks[-1]}")
    console.print("[cyan]> owner 7 buys into its own resting sell with stp=cancel_newest[/cyan]")
    ex.submit_limit("sell", 10300, 10, owner=7)
    r = ex.submit_limit("buy", 10300, 2000, owner=7, stp="cancel_newest")
    console.print(f"  {r!r}: it traded the iceberg, then stopped at its own order")


def _time(submit, orders) -> float:
    t0 = time.perf_counter()
    for side, price, qty in orders:
        submit(side, price, qty, "gtc")
    return (time.perf_counter() - t0) / len(orders) * 1e9


def _speed(n: int) -> None:
    from tickbook.book import Exchange

    try:
        import nanobook
    except ImportError:  # the demo still runs; the comparison needs the bench extra
        nanobook = None
    rng = random.Random(7)
    resting = [("buy", rng.randrange(9000, 9500), rng.randrange(1, 100)) for _ in range(n)]
    crossing = [
        (rng.choice(("buy", "sell")), 10000 + rng.randrange(-10, 11), rng.randrange(1, 100))
        for _ in range(n)
    ]
    table = Table(title=f"ns per submit ({n:,} orders, best of 3)")
    table.add_column("workload")
    table.add_column("tickbook", justify="right")
    table.add_column("nanobook", justify="right")
    table.add_column("ratio", justify="right")
    libs = {"tickbook": Exchange}
    if nanobook is not None:
        libs["nanobook"] = nanobook.Exchange
    Exchange().submit_limit("buy", 1, 1)  # load the compiled kernels before timing
    for name, orders in (("resting submits", resting), ("crossing flow", crossing)):
        ns = {
            lib: min(_time(make().submit_limit, orders) for _ in range(3))
            for lib, make in libs.items()
        }
        theirs = ns.get("nanobook")
        table.add_row(
            name,
            f"{ns['tickbook']:,.0f}",
            "-" if theirs is None else f"{theirs:,.0f}",
            "-" if theirs is None else f"{theirs / ns['tickbook']:.2f}x",
        )
    console.print(table)
    console.print("[dim]ratio = nanobook time / tickbook time. Full figures: make bench[/dim]")


def _cache_files() -> dict[str, float]:
    """Numba's cached index files of the packages the demo runs, with their times (empty: cold)."""
    import tickbook

    root = Path(tickbook.__file__).parent
    places = [root / pkg / "__pycache__" for pkg in _KERNEL_PACKAGES]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:  # numba mirrors the source folders under it
        places = [Path(custom)]
    found = {}
    for place in places:
        if place.is_dir():
            for index in place.rglob("*.nbi"):
                with contextlib.suppress(OSError):
                    found[str(index)] = index.stat().st_mtime
    return found


def _warm_book() -> None:
    from tickbook.book import Exchange

    ex = Exchange()
    for tif in ("gtc", "ioc", "fok"):
        ex.submit_limit("sell", 10100, 10, tif)
    ex.submit_limit("sell", 10200, 100, display_quantity=10)
    ex.submit_limit("sell", 10300, 10, owner=7)
    ex.submit_limit("buy", 10300, 200, owner=7, stp="cancel_newest")
    ex.submit_stop_market("sell", 9000, 5)
    ex.submit_stop_limit("buy", 11000, 11100, 5)
    r = ex.submit_limit("buy", 9900, 10)
    ex.modify(r.order_id, 9950, 12)
    ex.submit_market("sell", 30)
    ex.cancel(ex.submit_limit("buy", 9800, 1).order_id)
    ex.depth(5)
    ex.orders("buy")
    ex.trades()
    small = Exchange(order_capacity=16)  # and the path that grows a full book
    for k in range(40):
        small.submit_limit("buy", 9000 + k, 1)


def _warm_backtest() -> None:
    from tickbook.analytics import rolling_sharpe
    from tickbook.backtest import (
        CrossSectionalMomentum,
        EqualWeight,
        backtest_weights,
        load_panel,
        sample_data_dir,
    )
    from tickbook.portfolio import drawdown_series

    prices = load_panel(sample_data_dir() / _PANEL).iloc[:120]
    momentum = CrossSectionalMomentum(lookback=20, top=2, skip=2, rebalance_every=5)
    for strategy in (momentum, EqualWeight(5)):
        result = backtest_weights(strategy.weights(prices), prices, 1_000_000_00, 10.0)
    drawdown_series(result.returns)  # what the tear sheet draws
    rolling_sharpe(result.returns, 21)


def _kernels(backtest: bool) -> None:
    """Compile (first run) or load (later runs) the kernels the demo uses, in a visible step."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    before = _cache_files()
    cold = not before
    if cold:
        console.print(
            "[bold]first run:[/bold] compiling the Numba kernels (once: they are cached for "
            "every later run; this takes a minute or so)"
        )
    steps = [("order book", _warm_book)] + ([("backtest", _warm_backtest)] if backtest else [])
    doing = "compiling" if cold else "loading compiled"
    start = time.perf_counter()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(doing, total=len(steps))
        for name, warm in steps:
            bar.update(task, description=f"{doing} {name} kernels")
            warm()
            bar.advance(task)
    seconds = time.perf_counter() - start
    # a partly warm cache (after an edit or an upgrade) compiles some: say so
    how = "compiled and cached" if _cache_files() != before else "loaded from the cache"
    console.print(f"[dim]kernels ready in {seconds:.1f} s ({how})[/dim]")


def command(
    orders: Annotated[
        str, typer.Option(help="Orders a timed workload (100 to 10,000,000).", metavar="N")
    ] = "100000",
    speed: Annotated[bool, typer.Option(help="Run the speed summary after the session.")] = True,
    backtest: Annotated[
        bool, typer.Option(help="Run the backtest on the embedded real price panel too.")
    ] = True,
    out: Annotated[
        str, typer.Option(help="Folder for the backtest report.", metavar="FOLDER")
    ] = "reports/demo",
) -> None:
    """Run a scripted exchange session, a speed summary against nanobook, and a backtest."""
    n_orders = parse_int(orders, "--orders", 100, 10_000_000)
    folder = check_out_dir(Path(out), "--out")
    console.print("[bold]tickbook demo[/bold]: an exchange session, a speed summary, a backtest")
    _kernels(backtest)
    _session()
    if speed:
        console.rule("[bold]speed")
        _speed(n_orders)
    if backtest:
        _backtest(folder)


def _backtest(folder: Path) -> None:
    from tickbook.backtest import demo_report

    console.rule("[bold]backtest on a real daily panel")
    with console.status("momentum and equal weight on 20 S&P 500 stocks, 1990-2022; tear sheet"):
        report = demo_report(folder)
    for name, result in (("momentum", report.momentum), ("equal weight", report.equal_weight)):
        m = result.metrics
        console.print(
            f"{name:>12}: CAGR {m.cagr:.2%}, Sharpe {m.sharpe:.2f}, "
            f"max drawdown {m.max_drawdown:.2%}, final equity ${result.equity_curve[-1] / 100:,.0f}"
        )
    console.print(f"wrote {report.tear_sheet.html} and {report.tear_sheet.png}")
