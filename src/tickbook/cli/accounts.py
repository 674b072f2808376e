"""``tickbook accounts``: add accounts and deposit funds through the service's journal.

Commands go to the journal's admin inbox; a running server picks them up within a second
and runs them through its one command path (a stopped one does at its next start).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tickbook.cli._common import console
from tickbook.cli.serve import _server
from tickbook.core import ValidationError

__all__ = ["app"]

app = typer.Typer(help="Manage the exchange service's accounts.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option(help="Journal URL (as for tickbook serve).")]
DirOption = Annotated[Path, typer.Option(help="Where the default journal lives.")]


async def _with_journal(db: str | None, data_dir: Path, work: Any) -> Any:
    journal = _server().open_journal(db, data_dir)
    await journal.open()
    try:
        return await work(journal)
    finally:
        await journal.close()


async def _names(journal: Any) -> set[str]:
    names = {row[0] for row in await journal.query("SELECT name FROM {p}accounts")}
    for _id, kind, body in await journal.inbox():
        if kind == "account_add":
            names.add(json.loads(body).get("name"))
    return names


@app.command("add")
def add(name: str, db: DbOption = None, data_dir: DirOption = Path("tickbook-data")) -> None:
    """Create account NAME and print its API key (shown once; only its hash is stored)."""
    server = _server()
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise ValidationError(
            f"invalid `name`: expected 1-64 letters, digits, - or _, got {name!r}",
            field="name",
            value=name,
        )
    key = server.new_api_key()

    async def work(journal: Any) -> None:
        if name in await _names(journal):
            raise ValidationError(
                f"invalid `name`: account {name!r} exists", field="name", value=name
            )
        from tickbook.server._rest import hash_key

        body = {"name": name, "key_hash": hash_key(key)}
        await journal.post_admin("account_add", json.dumps(body))

    asyncio.run(_with_journal(db, data_dir, work))
    typer.echo(f"account {name!r} queued; its API key (shown once, keep it): {key}")


@app.command("deposit")
def deposit(
    name: str,
    asset: str,
    amount: str,
    db: DbOption = None,
    data_dir: DirOption = Path("tickbook-data"),
    symbols: Annotated[Path | None, typer.Option(help="symbols.toml the server uses.")] = None,
) -> None:
    """Credit AMOUNT of ASSET to account NAME."""
    server = _server()
    market = server.load_symbols(symbols) if symbols is not None else server.default_market()
    units = market.asset(asset).to_units(amount)

    async def work(journal: Any) -> None:
        if name not in await _names(journal):
            raise ValidationError(f"invalid `name`: no account {name!r}", field="name", value=name)
        body = {"account_name": name, "asset": asset, "amount": units}
        await journal.post_admin("deposit", json.dumps(body))

    asyncio.run(_with_journal(db, data_dir, work))
    console.print(f"deposit of {amount} {asset} to {name!r} queued", highlight=False)


@app.command("list")
def list_accounts(db: DbOption = None, data_dir: DirOption = Path("tickbook-data")) -> None:
    """List the accounts (names and ids; never keys)."""

    async def work(journal: Any) -> list[tuple[Any, ...]]:
        return await journal.query("SELECT id, name FROM {p}accounts ORDER BY id")

    for account_id, name in asyncio.run(_with_journal(db, data_dir, work)):
        console.print(f"{account_id}\t{name}", highlight=False)
