"""The ``tickbook`` command: one module per command group, heavy imports inside commands."""

from __future__ import annotations

from typing import Annotated

import typer

from tickbook.cli import accounts, backtest, demo, lob, rebalance, replay, serve
from tickbook.cli._common import EXIT_CODES, Boundary

__all__ = ["app", "main"]

app = typer.Typer(
    cls=Boundary,
    no_args_is_help=True,
    help="tickbook: a deterministic exchange, market-data replay, backtests and analytics.",
    epilog=EXIT_CODES,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"max_content_width": 100},
)
for _module, _name in ((lob, "lob"), (demo, "demo"), (backtest, "backtest")):
    app.command(_name, epilog=EXIT_CODES)(_module.command)
app.add_typer(replay.app, name="replay", epilog=EXIT_CODES)
app.add_typer(rebalance.app, name="rebalance", epilog=EXIT_CODES)
app.command("serve", epilog=EXIT_CODES)(serve.serve)
app.add_typer(accounts.app, name="accounts", epilog=EXIT_CODES)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("tickbook")
        except PackageNotFoundError:  # running from a source tree without an install
            number = "unknown (not installed)"
        typer.echo(f"tickbook {number}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the traceback of an unexpected error (or TICKBOOK_DEBUG=1)."
        ),
    ] = False,
) -> None:
    """tickbook: a deterministic exchange, market-data replay, backtests and analytics."""


def main() -> None:
    """Run the ``tickbook`` command."""
    app()
