"""``tickbook replay``: rebuild order books from LOBSTER or ITCH 5.0 files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tickbook.cli._common import EXIT_CODES, ExitCode, console, err_console
from tickbook.cli._parse import check_in_file, parse_int

__all__ = ["app"]

app = typer.Typer(help="Replay market data (LOBSTER, ITCH 5.0) into the order book.")

#: LOBSTER and ITCH prices are dollars x 10,000
_DECIMALS = 4


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _book_table(book: object, levels: int, title: str) -> Table:
    from tickbook.core import format_price

    snap = book.depth(levels)  # type: ignore[attr-defined]
    table = Table(title=title)
    for column in ("bid orders", "bid qty", "bid", "ask", "ask qty", "ask orders"):
        table.add_column(column, justify="right")
    bids, asks = snap.bid_array.tolist(), snap.ask_array.tolist()
    for k in range(max(len(bids), len(asks))):
        b = bids[k] if k < len(bids) else None
        a = asks[k] if k < len(asks) else None
        table.add_row(
            f"{b[2]:,}" if b else "",
            f"{b[1]:,}" if b else "",
            format_price(b[0], _DECIMALS) if b else "",
            format_price(a[0], _DECIMALS) if a else "",
            f"{a[1]:,}" if a else "",
            f"{a[2]:,}" if a else "",
        )
    return table


def _summary(rows: list[tuple[str, str]]) -> Table:
    table = Table(title="replay", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


@app.command("lobster", epilog=EXIT_CODES)
def lobster(
    message_file: Annotated[
        str, typer.Argument(help="LOBSTER message CSV (no header).", metavar="MESSAGE_FILE")
    ],
    orderbook_file: Annotated[
        str,
        typer.Argument(
            help="The matching LOBSTER orderbook CSV (same number of rows).",
            metavar="ORDERBOOK_FILE",
        ),
    ],
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Compare the rebuilt top levels with every orderbook row; exit 1 on "
            "any difference.",
        ),
    ] = False,
    levels: Annotated[
        str, typer.Option(help="Levels a side to show at the end (1..1000).", metavar="N")
    ] = "5",
) -> None:
    """Rebuild the book from a LOBSTER message/orderbook pair (prices in dollars)."""
    from tickbook.feeds import replay_lobster

    depth = parse_int(levels, "--levels", 1, 1000)
    data = _load_lobster(Path(message_file), Path(orderbook_file))
    n = len(data.messages)
    with _progress() as bar:
        task = bar.add_task("replaying", total=max(n, 1))
        start = time.perf_counter()
        result = replay_lobster(
            data, check=check, progress=lambda done: bar.update(task, completed=done)
        )
        seconds = time.perf_counter() - start
    rows = [
        ("messages", f"{n:,}"),
        ("seconds", f"{seconds:.3f}"),
        ("messages/s", _rate(n, seconds)),
        ("levels in file", str(data.levels)),
        ("orders never added (applied by level)", f"{result.unknown_orders:,}"),
        ("levels revealed by the orderbook file", f"{result.reveals:,}"),
    ]
    if check:
        rows.append(
            ("rows matched / compared", f"{result.rows_matched:,}/{result.rows_compared:,}")
        )
    console.print(_summary(rows))
    console.print(_book_table(result.book, depth, "final book"))
    if check:
        _report_check(result)


def _load_lobster(message_file: Path, orderbook_file: Path) -> Any:
    from tickbook.core import DataError, TickbookError
    from tickbook.feeds import load_lobster

    check_in_file(message_file, "message_file")
    check_in_file(orderbook_file, "orderbook_file")
    try:
        return load_lobster(message_file, orderbook_file)
    except (OverflowError, ValueError) as error:
        if isinstance(error, TickbookError):
            raise
        # a raw error from the reader (e.g. a price beyond int64): name the files
        raise DataError(
            f"cannot read {message_file} / {orderbook_file}: {error}",
            field="message_file",
            value=str(message_file),
        ) from None


def _report_check(result: Any) -> None:
    if result.rows_matched != result.rows_compared:
        for row, want, got in result.mismatches[:5]:
            err_console.print(f"[red]row {row}:[/red] file {want} book {got}")
        err_console.print(
            f"[red]check failed:[/red] {result.rows_compared - result.rows_matched:,} rows "
            "differ from the orderbook file"
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    console.print(f"check: {result.rows_matched:,}/{result.rows_compared:,} rows match")


@app.command("itch", epilog=EXIT_CODES)
def itch(
    file: Annotated[
        str, typer.Argument(help="ITCH 5.0 BinaryFILE (length-prefixed; .gz ok).", metavar="FILE")
    ],
    symbol: Annotated[
        str | None,
        typer.Option("--symbol", help="Only this stock (faster); its final book is shown."),
    ] = None,
    levels: Annotated[
        str, typer.Option(help="Levels a side to show at the end (1..1000).", metavar="N")
    ] = "5",
) -> None:
    """Rebuild per-stock books from an ITCH 5.0 file and summarise them."""
    from tickbook.feeds import replay_itch

    depth = parse_int(levels, "--levels", 1, 1000)
    path = check_in_file(Path(file), "file")
    size = path.stat().st_size
    with _progress() as bar:
        task = bar.add_task("reading", total=max(size, 1))
        start = time.perf_counter()
        replay = replay_itch(
            path,
            symbols=[symbol] if symbol else None,
            progress=lambda done: bar.update(task, completed=min(done, size)),
        )
        books = {symbol: replay.book(symbol)} if symbol else replay.books()
        seconds = time.perf_counter() - start
    refused = sum(replay.refused(s) for s in books)
    rows = [
        ("messages", f"{replay.n_messages:,}"),
        ("bytes", f"{replay.n_bytes:,}"),
        ("book events", f"{replay.n_events:,}"),
        ("seconds", f"{seconds:.3f}"),
        ("messages/s", _rate(replay.n_messages, seconds)),
        ("stocks in directory", f"{len(replay.symbols):,}"),
        ("stocks with orders", f"{sum(1 for b in books.values() if b.order_count()):,}"),
        ("events refused by the book", f"{refused:,}"),
    ]
    console.print(_summary(rows))
    if symbol:
        console.print(_book_table(books[symbol], depth, f"final book: {symbol.upper()}"))
        return
    table = Table(title="final books (10 stocks with the most resting orders)")
    for column in ("symbol", "orders", "bid", "ask"):
        table.add_column(column, justify="right")
    from tickbook.core import format_price

    busiest = sorted(books.items(), key=lambda kv: -kv[1].order_count())[:10]
    for name, book in busiest:
        bid, ask = book.best_bid_ask()
        table.add_row(
            name,
            f"{book.order_count():,}",
            format_price(bid, _DECIMALS) if bid else "",
            format_price(ask, _DECIMALS) if ask else "",
        )
    console.print(table)
