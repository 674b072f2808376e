"""``tickbook demo``: the main job on an embedded default.

A scripted exchange session (orders, the book, the trades, a stop, an iceberg, self-trade
prevention), then a short side-by-side timing against nanobook when it is installed. The
full benchmarks live in ``benchmarks/`` (``make bench``).
"""

from __future__ import annotations

import random
import time
from typing import Annotated

import typer
from rich.table import Table

from tickbook.cli._common import console, guarded

__all__ = ["app"]

app = typer.Typer(help="Run the demo: a scripted exchange session and a speed summary.")

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
    table = Table(title=f"speed: ns per submit from Python ({n:,} orders, best of 3)")
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


@app.callback(invoke_without_command=True)
@guarded
def demo(
    orders: Annotated[int, typer.Option(help="Orders per timed workload.", min=1000)] = 100_000,
    speed: Annotated[bool, typer.Option(help="Run the speed summary after the session.")] = True,
    backtest: Annotated[
        bool, typer.Option(help="Run the backtest on the embedded real price panel too.")
    ] = True,
    out: Annotated[str, typer.Option(help="Folder for the backtest report.")] = "reports/demo",
) -> None:
    """Run a scripted exchange session, a speed summary against nanobook, and a backtest."""
    _session()
    if speed:
        console.rule("[bold]speed")
        _speed(orders)
    if backtest:
        from tickbook.backtest import demo_report

        console.rule("[bold]backtest on a real daily panel")
        console.print(demo_report(out))
