"""The ``tickbook`` command: one module per command group, heavy imports inside commands."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="tickbook: exchange, replay, backtests, risk.")


def main() -> None:
    """Run the ``tickbook`` command."""
    app()
