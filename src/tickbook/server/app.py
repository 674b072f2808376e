"""The ASGI application (Litestar) and the process that serves it (uvicorn).

``create_app(core)`` builds the app around a ``Core``; its OpenAPI document is the
framework's (``/schema/openapi.json``). ``serve(...)`` runs it until SIGTERM or SIGINT, then
answers what is queued, snapshots and closes the journal.
"""

from __future__ import annotations

import logging
import secrets
import tomllib
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from tickbook.core import DataError, TickbookError
from tickbook.server._config import Market, default_market, load_symbols
from tickbook.server._core import Core
from tickbook.server._journal import open_journal
from tickbook.server._ledger import Command
from tickbook.server._limits import AccountLimits
from tickbook.server._rest import ROUTES, error_response, hash_key
from tickbook.server._ws import WS_ROUTES

__all__ = ["create_app", "new_api_key", "serve"]

log = logging.getLogger("tickbook.server")


def new_api_key() -> str:
    """Return a new random API key (32 random bytes, URL-safe)."""
    return "tbk_" + secrets.token_urlsafe(32)


def create_app(core: Core, *, ws_queue: int = 10000, on_ready: Any = None) -> Litestar:
    """Return the Litestar app serving ``core`` (started and stopped with the app)."""

    async def startup(app: Litestar) -> None:
        await core.start()
        if on_ready is not None:
            await on_ready(core)

    async def shutdown(app: Litestar) -> None:
        await core.stop()

    app = Litestar(
        route_handlers=[*ROUTES, *WS_ROUTES],
        on_startup=[startup],
        on_shutdown=[shutdown],
        exception_handlers={
            TickbookError: error_response,
            HTTPException: error_response,
            Exception: error_response,
        },
        openapi_config=OpenAPIConfig(
            title="tickbook exchange",
            version="0.1.0",
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="apiKey", name="X-API-Key", security_scheme_in="header"
                    )
                }
            ),
        ),
        debug=False,
        logging_config=None,  # the process configures logging (``serve``), not the app
    )
    app.state.core = core
    app.state.ws_queue = ws_queue
    return app


async def bootstrap(
    core: Core, *, demo: bool, accounts_file: str | Path | None, say: Any = print
) -> None:
    """Create the accounts of ``accounts_file`` and, on an empty journal, the demo account."""
    if accounts_file is not None:
        for name, key_hash, deposits in _read_accounts(accounts_file, core.market):
            if name in core.ledger.by_name:
                continue
            await core.execute(Command("account_add", fields={"name": name, "key_hash": key_hash}))
            account = core.ledger.by_name[name]
            for asset, units in deposits:
                await core.execute(
                    Command("deposit", account, "", {"asset": asset, "amount": units})
                )
    if demo and not core.ledger.accounts:
        key = new_api_key()
        await core.execute(
            Command("account_add", fields={"name": "demo", "key_hash": hash_key(key)})
        )
        account = core.ledger.by_name["demo"]
        quotes = {s.quote.name for s in core.market.symbols.values()}
        for asset in core.market.assets.values():
            amount = 1_000_000 if asset.name in quotes else 100
            await core.execute(
                Command(
                    "deposit", account, "", {"asset": asset.name, "amount": asset.to_units(amount)}
                )
            )
        say(f"demo account 'demo' created; its API key (shown once): {key}")


def _read_accounts(
    path: str | Path, market: Market
) -> list[tuple[str, str, list[tuple[str, int]]]]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DataError(
            f"accounts file {path}: {error}", field="accounts", value=str(path)
        ) from None
    out = []
    for row in data.get("account", []):
        name, key_hash = row.get("name"), row.get("key_sha256")
        if (
            not isinstance(name, str)
            or not name
            or not isinstance(key_hash, str)
            or len(key_hash) != 64
        ):
            raise DataError(
                f"accounts file {path}: each [[account]] needs name and key_sha256 (64 hex)",
                field="account",
                value=name,
            )
        deposits = [
            (a, market.asset(a).to_units(v)) for a, v in dict(row.get("deposits", {})).items()
        ]
        out.append((name, key_hash.lower(), deposits))
    return out


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    db: str | None = None,
    symbols: str | Path | None = None,
    accounts: str | Path | None = None,
    data_dir: str | Path = "tickbook-data",
    demo: bool = True,
    log_level: str = "warning",
    snapshot_every: int = 100_000,
    limits: AccountLimits | None = None,
) -> None:
    """Run the exchange service until SIGTERM/SIGINT (graceful: queue answered, snapshot)."""
    import uvicorn

    logging.basicConfig(
        level=logging.INFO,
        format='{"ts": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", '
        '"msg": "%(message)s"}',
    )
    market = load_symbols(symbols) if symbols is not None else default_market()
    journal = open_journal(db, data_dir)
    core = Core(market, journal, limits=limits or AccountLimits(), snapshot_every=snapshot_every)

    async def ready(core: Core) -> None:
        await bootstrap(core, demo=demo, accounts_file=accounts, say=lambda s: print(s, flush=True))
        print(
            f"tickbook serving {', '.join(market.symbols)} on http://{host}:{port} "
            f"(journal: {journal.kind}, seq {core.ledger.applied})",
            flush=True,
        )

    app = create_app(core, on_ready=ready)
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, lifespan="on", access_log=False
    )
    uvicorn.Server(config).run()
