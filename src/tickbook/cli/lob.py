"""``tickbook lob``: an interactive order-book session on one Exchange."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tickbook.cli._common import ExitCode, console

__all__ = ["LobSession", "app"]

app = typer.Typer(help="Interactive order book.")

HELP = """\
commands (prices in dollars, e.g. 100.50; quantities in whole units):
  buy PRICE QTY [gtc|ioc|fok]         limit buy
  sell PRICE QTY [gtc|ioc|fok]        limit sell
  market buy|sell QTY                 market order
  stop buy|sell PRICE QTY             stop-market order
  stoplimit buy|sell STOP LIMIT QTY   stop-limit order
  modify ID PRICE QTY                 cancel and replace
  cancel ID                           cancel an order or a stop
  book [LEVELS]                       the book (10 levels by default)
  orders                              resting orders in priority order
  trades                              trade history
  save PATH | load PATH               the event log as JSON Lines
  help                                this text
  quit                                leave"""


class LobSession:
    """Parse one command line at a time and run it on an ``Exchange``.

    ``handle`` returns what to print (a string or a rich renderable) and never raises for bad
    input: malformed commands get a one-line explanation.
    """

    def __init__(self, decimals: int = 2) -> None:
        from tickbook.book import Exchange

        self.exchange = Exchange()
        self.decimals = decimals

    def handle(self, line: str) -> object:
        """Run one command line; return what to show."""
        from tickbook.core import TickbookError

        try:
            words = shlex.split(line)
        except ValueError as error:
            return f"error: {error}"
        if not words:
            return ""
        command, args = words[0].lower(), words[1:]
        method = getattr(self, f"_cmd_{command}", None)
        if method is None:
            return f"error: unknown command {command!r} (type 'help')"
        try:
            return method(args)
        except TickbookError as error:
            return f"error: {error}"
        except _Usage as error:
            return f"usage: {error}"

    # -- commands -------------------------------------------------------------------------

    def _cmd_help(self, args: list[str]) -> object:
        return HELP

    def _cmd_buy(self, args: list[str]) -> object:
        return self._limit("buy", args)

    def _cmd_sell(self, args: list[str]) -> object:
        return self._limit("sell", args)

    def _limit(self, side: str, args: list[str]) -> object:
        if len(args) not in (2, 3):
            raise _Usage(f"{side} PRICE QTY [gtc|ioc|fok]")
        tif = args[2].lower() if len(args) == 3 else "gtc"
        result = self.exchange.submit_limit(side, self._price(args[0]), self._qty(args[1]), tif)
        return self._submitted(result)

    def _cmd_market(self, args: list[str]) -> object:
        if len(args) != 2:
            raise _Usage("market buy|sell QTY")
        return self._submitted(self.exchange.submit_market(args[0].lower(), self._qty(args[1])))

    def _cmd_stop(self, args: list[str]) -> object:
        if len(args) != 3:
            raise _Usage("stop buy|sell PRICE QTY")
        side, price, qty = args[0].lower(), self._price(args[1]), self._qty(args[2])
        result = self.exchange.submit_stop_market(side, price, qty)
        return f"stop {result.order_id}: {result.status}"

    def _cmd_stoplimit(self, args: list[str]) -> object:
        if len(args) != 4:
            raise _Usage("stoplimit buy|sell STOP LIMIT QTY")
        result = self.exchange.submit_stop_limit(
            args[0].lower(), self._price(args[1]), self._price(args[2]), self._qty(args[3])
        )
        return f"stop {result.order_id}: {result.status}"

    def _cmd_cancel(self, args: list[str]) -> object:
        if len(args) != 1:
            raise _Usage("cancel ID")
        result = self.exchange.cancel(self._id(args[0]))
        return f"cancelled {result.cancelled_quantity}"

    def _cmd_modify(self, args: list[str]) -> object:
        if len(args) != 3:
            raise _Usage("modify ID PRICE QTY")
        result = self.exchange.modify(self._id(args[0]), self._price(args[1]), self._qty(args[2]))
        return f"order {result.old_order_id} replaced by {result.new_order_id}: " + str(
            self._submitted(result.submit)
        )

    def _cmd_book(self, args: list[str]) -> object:
        levels = self._qty(args[0]) if args else 10
        snap = self.exchange.depth(levels)
        table = Table(title="book", show_lines=False)
        for column in ("bid orders", "bid qty", "bid", "ask", "ask qty", "ask orders"):
            table.add_column(column, justify="right")
        bids, asks = snap.bids, snap.asks
        for i in range(max(len(bids), len(asks))):
            b = bids[i] if i < len(bids) else None
            a = asks[i] if i < len(asks) else None
            table.add_row(
                str(b.order_count) if b else "",
                str(b.quantity) if b else "",
                self._fmt(b.price) if b else "",
                self._fmt(a.price) if a else "",
                str(a.quantity) if a else "",
                str(a.order_count) if a else "",
            )
        if not bids and not asks:
            return "book is empty"
        return table

    def _cmd_trades(self, args: list[str]) -> object:
        trades = self.exchange.trades()
        if not trades:
            return "no trades"
        table = Table(title="trades")
        for column in ("id", "side", "price", "qty", "aggressor", "passive", "ts"):
            table.add_column(column, justify="right")
        for t in trades:
            table.add_row(
                str(t.id),
                t.aggressor_side.name.lower(),
                self._fmt(t.price),
                str(t.quantity),
                str(t.aggressor_order_id),
                str(t.passive_order_id),
                str(t.timestamp),
            )
        return table

    def _cmd_orders(self, args: list[str]) -> object:
        table = Table(title="resting orders (priority order)")
        for column in ("side", "id", "price", "shown", "open", "ts"):
            table.add_column(column, justify="right")
        for side in ("buy", "sell"):
            for row in self.exchange.orders(side):
                table.add_row(
                    side,
                    str(row.order_id),
                    self._fmt(int(row.price)),
                    str(row.visible),
                    str(row.quantity),
                    str(row.timestamp),
                )
        return table

    def _cmd_save(self, args: list[str]) -> object:
        if len(args) != 1:
            raise _Usage("save PATH")
        self.exchange.save(Path(args[0]))
        return f"saved {len(self.exchange.events())} events to {args[0]}"

    def _cmd_load(self, args: list[str]) -> object:
        from tickbook.book import Exchange

        if len(args) != 1:
            raise _Usage("load PATH")
        self.exchange = Exchange.load(Path(args[0]))
        return f"loaded {args[0]}: {self.exchange!r}"

    # -- parsing --------------------------------------------------------------------------

    def _price(self, text: str) -> int:
        from tickbook.core import parse_price

        return parse_price(text, self.decimals)

    def _qty(self, text: str) -> int:
        from tickbook.core import ValidationError

        if not text.isdigit() or int(text) <= 0:
            raise ValidationError(
                f"invalid quantity: expected a positive whole number, got {text!r}",
                field="quantity",
                value=text,
            )
        return int(text)

    def _id(self, text: str) -> int:
        from tickbook.core import ValidationError

        if not text.isdigit():
            raise ValidationError(
                f"invalid order id: expected a whole number, got {text!r}",
                field="order_id",
                value=text,
            )
        return int(text)

    def _fmt(self, ticks: int) -> str:
        from tickbook.core import format_price

        return format_price(ticks, self.decimals)

    def _submitted(self, result: object) -> str:
        r = result
        text = (
            f"order {r.order_id}: {r.status.name.lower()} filled={r.filled_quantity} "
            f"resting={r.resting_quantity} cancelled={r.cancelled_quantity}"
        )
        for t in r.trades:
            text += f"\n  trade {t.id}: {t.quantity} @ {self._fmt(t.price)}"
        return text


class _Usage(Exception):
    """A command with the wrong number of words."""


@app.callback(invoke_without_command=True)
def lob(
    decimals: Annotated[
        int, typer.Option(help="Decimal places of a price: 2 means ticks are cents.")
    ] = 2,
    script: Annotated[
        Path | None,
        typer.Option(help="Run the commands in this file instead of reading the terminal."),
    ] = None,
) -> None:
    """Run an interactive order-book session (type 'help' for the commands)."""
    if not 0 <= decimals <= 8:
        console.print(f"[red]error:[/red] invalid `decimals`: expected 0..8, got {decimals}")
        raise typer.Exit(ExitCode.BAD_INPUT)
    session = LobSession(decimals)
    interactive = script is None and sys.stdin.isatty()
    if script is not None:
        try:
            lines = iter(script.read_text(encoding="utf-8").splitlines())
        except OSError as error:
            console.print(f"[red]error:[/red] cannot read script: {error}")
            raise typer.Exit(ExitCode.BAD_INPUT) from None
    else:
        lines = iter(sys.stdin.readline, "")
    if interactive:
        console.print("tickbook lob: type 'help' for commands, 'quit' to leave")
    failed = False
    while True:
        if interactive:
            console.print("> ", end="")
        line = next(lines, None)
        if line is None:
            break
        line = line.strip()
        if line.lower() in ("quit", "exit"):
            break
        if line.startswith("#"):
            continue
        output = session.handle(line)
        if isinstance(output, str) and output.startswith(("error:", "usage:")):
            failed = True
            console.print(f"[red]{output}[/red]", highlight=False)
        elif output != "":
            console.print(output, highlight=False)
    if failed and not interactive:
        raise typer.Exit(ExitCode.BAD_INPUT)
