"""The ledger: funds reserved and settled, isolation, refusals change nothing, replay equality."""

import pickle
import random

import pytest

from tickbook.core import OrderNotActive, TickbookError, UnknownOrder
from tickbook.server import Command, InsufficientFunds, Ledger, default_market
from tickbook.server._ledger import BUY, SELL

MARKET = default_market()
SPEC = MARKET.symbols["BTC-USD"]


def fresh(accounts=3, usd=1_000_000, btc=100):
    ledger = Ledger(MARKET)
    log = []
    for i in range(1, accounts + 1):
        for cmd in (
            Command("account_add", fields={"name": f"a{i}", "key_hash": f"{i:064x}"}),
            Command(
                "deposit", i, "", {"asset": "USD", "amount": MARKET.assets["USD"].to_units(usd)}
            ),
            Command(
                "deposit", i, "", {"asset": "BTC", "amount": MARKET.assets["BTC"].to_units(btc)}
            ),
        ):
            ledger.apply(cmd)
            log.append(cmd)
    return ledger, log


def order(account, side, price, qty, kind="limit", **extra):
    f = {"type": kind, "side": BUY if side == "buy" else SELL, "quantity": qty, "tif": "gtc"}
    if price is not None:
        f["price"] = price
    if kind in ("market", "stop"):
        f["tif"] = "ioc"
    f.update(extra)
    return Command("submit", account, "BTC-USD", f)


def check_books(ledger):
    """Conservation and reservations: totals never move, locked == open orders' reserves."""
    totals, locked = {}, {}
    for (acct, asset), (t, lk) in ledger.balances.items():
        totals[asset] = totals.get(asset, 0) + t
        assert 0 <= lk <= t, (acct, asset, t, lk)
        locked[(acct, asset)] = lk
    reserved = {}
    for rec in ledger.orders.values():
        if not rec.closed:
            asset = "USD" if rec.side == BUY else "BTC"
            reserved[(rec.account, asset)] = reserved.get((rec.account, asset), 0) + rec.reserved
        else:
            assert rec.reserved == 0
    for key, value in locked.items():
        assert value == reserved.get(key, 0), key
    return totals


def test_buy_reserves_and_fill_settles_at_trade_price():
    ledger, _ = fresh()
    ledger.apply(order(1, "sell", 10000, 10_000))  # 1 BTC at 100.00
    ask = ledger.apply(order(2, "buy", 10100, 5000))  # 0.5 BTC at up to 101.00
    assert ask["status"] == "filled"
    assert ask["trades"][0]["price"] == "100.00"
    usd, btc = MARKET.assets["USD"], MARKET.assets["BTC"]
    assert ledger.balances[(2, "USD")] == [usd.to_units(1_000_000) - usd.to_units(50), 0]
    assert ledger.balances[(2, "BTC")][0] == btc.to_units(100.5)
    assert ledger.balances[(1, "BTC")] == [btc.to_units(99.5), btc.to_units(0.5)]
    assert ledger.balances[(1, "USD")][0] == usd.to_units(1_000_050)
    check_books(ledger)


def test_insufficient_funds_refused_and_nothing_changes():
    ledger, _ = fresh(usd=10)
    before = ledger.digest()
    with pytest.raises(InsufficientFunds) as info:
        ledger.apply(order(1, "buy", 10000, 20_000))  # 2 BTC at 100 = 200 USD > 10
    assert info.value.field == "quantity"
    assert ledger.digest() == before


def test_market_buy_reserves_a_bound_from_the_book():
    ledger, _ = fresh(usd=100)
    ledger.apply(order(2, "sell", 10000, 5000))
    ledger.apply(order(2, "sell", 20000, 5000))
    with pytest.raises(InsufficientFunds):
        ledger.apply(order(1, "buy", None, 20_000, "market"))  # bound 50 + 100 + 200 > 100 USD
    ok = ledger.apply(order(1, "buy", None, 6000, "market"))
    assert ok["status"] == "filled"
    check_books(ledger)


def test_self_trade_prevented_by_account():
    ledger, _ = fresh()
    ledger.apply(order(1, "sell", 10000, 100))
    own = ledger.apply(order(1, "buy", 10000, 100))
    assert own["status"] == "cancelled" and own["trades"] == []
    other = ledger.apply(order(2, "buy", 10000, 100))
    assert other["status"] == "filled"
    check_books(ledger)


def test_orders_of_another_account_answer_unknown():
    ledger, _ = fresh()
    mine = ledger.apply(order(1, "buy", 9000, 100))["order_id"]
    with pytest.raises(UnknownOrder) as theirs:
        ledger.apply(Command("cancel", 2, "", {"order_id": mine}))
    with pytest.raises(UnknownOrder) as unknown:
        ledger.apply(Command("cancel", 2, "", {"order_id": 999}))
    assert str(theirs.value).replace(str(mine), "#") == str(unknown.value).replace("999", "#")
    ledger.apply(Command("cancel", 1, "", {"order_id": mine}))
    with pytest.raises(OrderNotActive):
        ledger.apply(Command("cancel", 1, "", {"order_id": mine}))
    check_books(ledger)


def test_stop_triggers_and_settles():
    ledger, _ = fresh()
    stop = ledger.apply(order(3, "sell", None, 100, "stop", stop_price=9900))
    assert stop["status"] == "pending"
    ledger.apply(order(1, "buy", 9800, 1000))
    ledger.apply(order(2, "sell", 9900, 100))
    ledger.apply(order(1, "buy", 9900, 100))  # trade at 99.00 fires the stop
    assert ledger.orders[stop["order_id"]].status == "filled"
    check_books(ledger)


def test_modify_replaces_and_moves_reservation():
    ledger, _ = fresh()
    first = ledger.apply(order(1, "buy", 9000, 1000))
    new = ledger.apply(
        Command(
            "modify", 1, "BTC-USD", {"order_id": first["order_id"], "price": 9500, "quantity": 500}
        )
    )
    assert new["replaces"] == first["order_id"]
    assert ledger.orders[first["order_id"]].status == "cancelled"
    assert ledger.balances[(1, "USD")][1] == 9500 * 500 * SPEC.quote_unit
    check_books(ledger)


def random_commands(rng, n, accounts=3):
    cmds = []
    for _ in range(n):
        acct = rng.randint(1, accounts)
        r = rng.random()
        side = rng.choice(["buy", "sell"])
        price = rng.randint(9900, 10100)
        qty = rng.randint(1, 3000)
        if r < 0.55:
            cmds.append(order(acct, side, price, qty))
        elif r < 0.62:
            cmds.append(order(acct, side, None, qty, "market"))
        elif r < 0.67:
            cmds.append(order(acct, side, None, qty, "stop", stop_price=price))
        elif r < 0.71:
            cmds.append(
                order(acct, side, price, qty, "stop_limit", stop_price=rng.randint(9900, 10100))
            )
        elif r < 0.75:
            cmds.append(order(acct, side, price, qty, "post_only", post_only=True))
        elif r < 0.79:
            cmds.append(order(acct, side, price, qty + 10, "iceberg", display_quantity=10))
        elif r < 0.83:
            cmds.append(order(acct, side, price, qty, tif=rng.choice(["ioc", "fok"])))
        elif r < 0.93:
            cmds.append(Command("cancel", acct, "", {"order_id": rng.randint(1, 400)}))
        else:
            cmds.append(
                Command(
                    "modify",
                    acct,
                    "BTC-USD",
                    {"order_id": rng.randint(1, 400), "price": price, "quantity": qty},
                )
            )
    return cmds


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replay_and_snapshot_give_the_identical_state(seed):
    rng = random.Random(seed)
    ledger, log = fresh(usd=5000, btc=50)
    start_totals = check_books(ledger)
    snapshot = None
    for i, cmd in enumerate(random_commands(rng, 1500)):
        before = ledger.digest() if i % 50 == 0 else None
        try:
            ledger.apply(cmd)
        except TickbookError:
            if before is not None:
                assert ledger.digest() == before  # a refusal changes nothing
            continue
        ledger.take_effects()
        log.append(cmd)
        if snapshot is None and i >= 700:
            snapshot = (pickle.dumps(ledger), len(log))
        assert check_books(ledger) == start_totals
    assert any(r.filled for r in ledger.orders.values())
    replayed = Ledger(MARKET)
    for cmd in log:
        replayed.apply(cmd)
    assert replayed.digest() == ledger.digest()
    restored = pickle.loads(snapshot[0])
    restored.market = MARKET
    for cmd in log[snapshot[1] :]:
        restored.apply(cmd)
    assert restored.digest() == ledger.digest()
