"""``tickbook serve``: the exchange service (REST + WebSocket) on an embedded or given journal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tickbook.cli._common import ExitCode, err_console

__all__ = ["serve"]


def _server():
    try:
        import tickbook.server as server
    except ImportError as error:
        err_console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    return server


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(help="Journal: sqlite:///PATH or postgresql://...[?schema=NAME]."),
    ] = None,
    symbols: Annotated[Path | None, typer.Option(help="symbols.toml (default: BTC-USD).")] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="accounts.toml: [[account]] name, key_sha256, deposits.")
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="Where the default SQLite journal lives.")] = Path(
        "tickbook-data"
    ),
    demo: Annotated[
        bool, typer.Option(help="On an empty journal, create a funded demo account.")
    ] = True,
    snapshot_every: Annotated[
        int, typer.Option(min=1, help="Snapshot the state every N commands.")
    ] = 100_000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Run the exchange service until SIGTERM/SIGINT (then: queue answered, snapshot taken)."""
    _server().serve(
        host=host,
        port=port,
        db=db,
        symbols=symbols,
        accounts=accounts,
        data_dir=data_dir,
        demo=demo,
        snapshot_every=snapshot_every,
        log_level=log_level,
    )
