"""The ``tickbook`` command: one module per command group, heavy imports inside commands."""

from __future__ import annotations

import typer

from tickbook.cli import accounts, backtest, demo, lob, replay, serve

app = typer.Typer(
    no_args_is_help=True,
    help="tickbook: a deterministic exchange, market-data replay, backtests and analytics.",
    pretty_exceptions_enable=False,
)
app.add_typer(lob.app, name="lob")
app.add_typer(demo.app, name="demo")
app.add_typer(replay.app, name="replay")
app.add_typer(backtest.app, name="backtest")
app.command("serve")(serve.serve)
app.add_typer(accounts.app, name="accounts")


def main() -> None:
    """Run the ``tickbook`` command."""
    app()
