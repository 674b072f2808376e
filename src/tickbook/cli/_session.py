"""The ``lob`` session: one command line at a time on an ``Exchange``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.table import Table

from tickbook.cli._common import DEBUG_HINT
from tickbook.cli._parse import check_in_file, check_out_dir, parse_cents, parse_int, shown

__all__ = ["HELP", "LobSession"]

HELP = """\
commands (prices in dollars, e.g. 100.50; quantities in whole units; # starts a comment):
  buy PRICE QTY [gtc|ioc|fok]         limit buy
  sell PRICE QTY [gtc|ioc|fok]        limit sell
  market buy|sell QTY                 market order
  stop buy|sell PRICE QTY             stop-market order
  stoplimit buy|sell STOP LIMIT QTY   stop-limit order
  modify ID PRICE QTY                 cancel and replace
  cancel ID                           cancel an order or a stop
  book [LEVELS]                       the book (10 levels by default)
  orders                              resting orders in priority order, then pending stops
  trades                              trade history
  save PATH | load PATH               the event log as JSON Lines
  help                                this text
  quit                                leave"""

#: the largest order id, quantity and book depth a command may name
_MAX_ID = (1 << 62) - 1
_MAX_QTY = (1 << 40) - 1
_MAX_LEVELS = 1000
#: a loaded log longer than this is not probed for its pending stops
_MAX_PROBED_EVENTS = 20_000
#: the longest command line read
MAX_LINE = 65_536


def check_out_file(path: Path, field: str) -> Path:
    """Return ``path`` if a file may be written there (its folder exists or can be made)."""
    from tickbook.core import DataError

    if "\0" in str(path):
        raise DataError(f"invalid `{field}`: a path cannot hold a NUL character", field=field)
    check_out_dir(path.parent, field)
    if path.is_dir():
        raise DataError(f"invalid `{field}`: {path} is a folder", field=field, value=str(path))
    return path


class _Usage(Exception):
    """A command with the wrong number of words."""


class LobSession:
    """Parse one command line at a time and run it on an ``Exchange``.

    ``handle`` returns what to print (a string or a rich renderable) and never raises for bad
    input: a refused command gets one line starting ``error:`` or ``usage:``. ``debug=True``
    lets an unexpected exception through (with its traceback) instead of one line.
    """

    def __init__(self, decimals: int = 2, *, debug: bool = False) -> None:
        from tickbook.book import Exchange

        self.exchange = Exchange()
        self.decimals = decimals
        self.debug = debug
        self._stops: dict[int, str] = {}  # pending stop id -> "stop sell 99.80 30"

    def handle(self, line: str) -> object:
        """Run one command line; return what to show."""
        from tickbook.core import TickbookError

        if len(line) > MAX_LINE:
            return f"error: a command line is at most {MAX_LINE} characters, got {len(line)}"
        try:
            words = shlex.split(line, comments=True)
        except ValueError as error:
            return f"error: {error}"
        if not words:
            return ""
        command, args = words[0].lower(), words[1:]
        method = getattr(self, f"_cmd_{command}", None)
        if method is None:
            return f"error: unknown command {shown(command)} (type 'help')"
        try:
            return method(args)
        except TickbookError as error:
            return f"error: {error}"
        except _Usage as error:
            return f"usage: {error}"
        except Exception as error:
            if self.debug:
                raise
            return f"error: unexpected {type(error).__name__}: {error} {DEBUG_HINT}"

    # -- orders ---------------------------------------------------------------------------

    def _cmd_help(self, args: list[str]) -> object:
        return HELP

    def _cmd_buy(self, args: list[str]) -> object:
        return self._limit("buy", args)

    def _cmd_sell(self, args: list[str]) -> object:
        return self._limit("sell", args)

    def _limit(self, side: str, args: list[str]) -> object:
        if len(args) not in (2, 3):
            raise _Usage(f"{side} PRICE QTY [gtc|ioc|fok]")
        price, qty = self._price(args[0]), self._qty(args[1])
        tif = self._choice(args[2], "tif", ("gtc", "ioc", "fok")) if len(args) == 3 else "gtc"
        return self._watching(lambda: self.exchange.submit_limit(side, price, qty, tif))

    def _cmd_market(self, args: list[str]) -> object:
        if len(args) != 2:
            raise _Usage("market buy|sell QTY")
        side, qty = self._side(args[0]), self._qty(args[1])
        return self._watching(lambda: self.exchange.submit_market(side, qty))

    def _cmd_stop(self, args: list[str]) -> object:
        if len(args) != 3:
            raise _Usage("stop buy|sell PRICE QTY")
        side, price, qty = self._side(args[0]), self._price(args[1]), self._qty(args[2])
        what = f"stop {side} {self._fmt(price)} {qty}"
        return self._watching(lambda: self.exchange.submit_stop_market(side, price, qty), what)

    def _cmd_stoplimit(self, args: list[str]) -> object:
        if len(args) != 4:
            raise _Usage("stoplimit buy|sell STOP LIMIT QTY")
        side, stop, limit = self._side(args[0]), self._price(args[1]), self._price(args[2])
        qty = self._qty(args[3])
        what = f"stoplimit {side} {self._fmt(stop)} {self._fmt(limit)} {qty}"
        return self._watching(lambda: self.exchange.submit_stop_limit(side, stop, limit, qty), what)

    def _cmd_cancel(self, args: list[str]) -> object:
        if len(args) != 1:
            raise _Usage("cancel ID")
        order_id = self._id(args[0])
        result = self.exchange.cancel(order_id)
        if self._stops.pop(order_id, None) is not None:
            return f"cancelled stop {order_id} ({result.cancelled_quantity} will not trigger)"
        return f"cancelled order {order_id} ({result.cancelled_quantity} left the book)"

    def _cmd_modify(self, args: list[str]) -> object:
        if len(args) != 3:
            raise _Usage("modify ID PRICE QTY")
        order_id, price, qty = self._id(args[0]), self._price(args[1]), self._qty(args[2])
        return self._watching(lambda: self.exchange.modify(order_id, price, qty))

    def _watching(self, submit: Any, stop_text: str | None = None) -> str:
        """Run ``submit``; describe its result and every stop it set off, with their fills."""
        before = len(self.exchange.trades())
        result = submit()
        fired: list[tuple[int, str]] = []
        if stop_text is not None:
            text = f"stop {result.order_id}: {result.status}"
            if result.status == "pending":
                self._stops[result.order_id] = stop_text
            elif result.status == "triggered":
                fired.append((result.order_id, stop_text))
        elif hasattr(result, "new_order_id"):
            text = (
                f"order {result.old_order_id} replaced by {result.new_order_id}: "
                + self._submitted(result.submit)
            )
        else:
            text = self._submitted(result)
        for stop_id in list(self._stops):
            stop = self.exchange.get_stop_order(stop_id)
            if stop is None or stop.status != "pending":
                fired.append((stop_id, self._stops.pop(stop_id)))
        own = {t.id for t in getattr(getattr(result, "submit", result), "trades", None) or ()}
        new = [t for t in self.exchange.trades()[before:] if t.id not in own]
        return text + self._fired(fired, new)

    def _fired(self, fired: list[tuple[int, str]], new: list[Any]) -> str:
        """Describe the stops that fired and the trades their orders made."""
        text = ""
        for stop_id, what in fired:
            text += f"\nstop {stop_id} fired ({what})"
            for t in new:
                if t.aggressor_order_id == stop_id:
                    text += f"\n  trade {t.id}: {t.quantity} @ {self._fmt(t.price)}"
        ids = {stop_id for stop_id, _ in fired}
        for t in new:  # never hide a trade, whoever made it
            if t.aggressor_order_id not in ids:
                text += f"\n  trade {t.id}: {t.quantity} @ {self._fmt(t.price)}"
        return text

    # -- views ----------------------------------------------------------------------------

    def _cmd_book(self, args: list[str]) -> object:
        if len(args) > 1:
            raise _Usage("book [LEVELS]")
        levels = parse_int(args[0], "levels", 1, _MAX_LEVELS) if args else 10
        snap = self.exchange.depth(levels)
        bids, asks = snap.bids, snap.asks
        if not bids and not asks:
            return "book is empty"
        table = Table(title="book", show_lines=False)
        for column in ("bid orders", "bid qty", "bid", "ask", "ask qty", "ask orders"):
            table.add_column(column, justify="right")
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
        from rich.console import Group

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
        if not self._stops:
            return Group(table, "no pending stops")
        stops = Table(title="pending stops")
        for column in ("id", "side", "stop", "limit", "qty", "ts"):
            stops.add_column(column, justify="right")
        for stop_id in sorted(self._stops):
            s = self.exchange.get_stop_order(stop_id)
            if s is None:
                continue
            stops.add_row(
                str(s.id),
                s.side.name.lower(),
                self._fmt(s.stop_price),
                "market" if s.limit_price is None else self._fmt(s.limit_price),
                str(s.quantity),
                str(s.timestamp),
            )
        return Group(table, stops)

    # -- files ----------------------------------------------------------------------------

    def _cmd_save(self, args: list[str]) -> object:
        if len(args) != 1:
            raise _Usage("save PATH")
        self.exchange.save(check_out_file(Path(args[0]), "path"))
        return f"saved {len(self.exchange.events())} events to {args[0]}"

    def _cmd_load(self, args: list[str]) -> object:
        from tickbook.book import Exchange

        if len(args) != 1:
            raise _Usage("load PATH")
        exchange = Exchange.load(check_in_file(Path(args[0]), "path"))
        self.exchange, note = exchange, self._find_stops(exchange)
        return f"loaded {args[0]}: {exchange!r}{note}"

    def _find_stops(self, exchange: Any) -> str:
        """Find the pending stops of a loaded log (the Exchange has no listing of them)."""
        self._stops = {}
        count = exchange.pending_stop_count()
        if count == 0:
            return ""
        events = len(exchange.events())
        if events > _MAX_PROBED_EVENTS:
            return f"\n{count} pending stops (not listed: the log has {events:,} events)"
        for order_id in range(1, events + 1):
            stop = exchange.get_stop_order(order_id)
            if stop is not None and stop.status == "pending":
                kind = "stop" if stop.limit_price is None else "stoplimit"
                self._stops[order_id] = f"{kind} {stop.side.name.lower()}"
        return f"\n{count} pending stops"

    # -- parsing --------------------------------------------------------------------------

    def _price(self, text: str) -> int:
        return parse_cents(text, "price", self.decimals)

    def _qty(self, text: str) -> int:
        return parse_int(text, "quantity", 1, _MAX_QTY)

    def _id(self, text: str) -> int:
        return parse_int(text, "order_id", 1, _MAX_ID)

    def _side(self, text: str) -> str:
        return self._choice(text, "side", ("buy", "sell"))

    def _choice(self, text: str, field: str, allowed: tuple[str, ...]) -> str:
        from tickbook.core import ValidationError

        if text.lower() not in allowed:
            raise ValidationError(
                f"invalid `{field}`: expected {' or '.join(allowed)}, got {shown(text)}",
                field=field,
                value=text,
            )
        return text.lower()

    def _fmt(self, ticks: int) -> str:
        from tickbook.core import format_price

        return format_price(ticks, self.decimals)

    def _submitted(self, r: Any) -> str:
        text = (
            f"order {r.order_id}: {r.status.name.lower()} filled={r.filled_quantity} "
            f"resting={r.resting_quantity} cancelled={r.cancelled_quantity}"
        )
        for t in r.trades:
            text += f"\n  trade {t.id}: {t.quantity} @ {self._fmt(t.price)}"
        return text
