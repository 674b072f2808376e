"""Shared helpers: a core on a temporary journal with funded accounts, keys known."""

import asyncio

from tickbook.server import Command, Core, default_market, open_journal
from tickbook.server._rest import hash_key

KEYS = {
    "alice": "key-alice-0123456789",
    "bob": "key-bob-0123456789",
    "carol": "key-carol-0123456789",
}


async def fund(core, names=KEYS, usd=1_000_000, btc=100):
    for name, key in names.items():
        if name in core.ledger.by_name:
            continue
        await core.execute(Command("account_add", fields={"name": name, "key_hash": hash_key(key)}))
        account = core.ledger.by_name[name]
        for asset, amount in (("USD", usd), ("BTC", btc)):
            units = core.market.assets[asset].to_units(amount)
            await core.execute(Command("deposit", account, "", {"asset": asset, "amount": units}))


def make_core(url, **kwargs):
    return Core(default_market(), open_journal(url), **kwargs)


def run(coro):
    return asyncio.run(coro)


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url_or_fail(schema):
    """Return a PostgreSQL URL with a unique schema; fail plainly when the server is down."""
    import socket

    import pytest

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        pytest.fail(
            "PostgreSQL is not reachable on 127.0.0.1:5432 (database `test`, trust auth): "
            "start it (CI: .ci/run must start and check it) -- these tests are not skipped"
        )
    return f"{PG_URL}?schema={schema}"


async def drop_schema(url):
    import asyncpg

    schema = url.rsplit("schema=", 1)[1]
    con = await asyncpg.connect(PG_URL)
    try:
        await con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await con.close()
