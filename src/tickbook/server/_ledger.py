"""The deterministic state machine of the service: accounts, balances, orders and the books.

``Ledger.apply`` takes one ``Command`` (already parsed to integer ticks and lots) and either
refuses it with a ``TickbookError`` (changing nothing) or applies it and returns its answer.
Only ``apply`` changes state, and it uses no clock and no randomness, so applying the journal
of accepted commands again gives the same state: same books, order ids and balances.

Funds: a buy reserves quote (limit price x quantity; a market buy a bound from the book it
will walk; a stop-market buy the symbol's max price), a sell reserves base. Fills settle at
the trade price; what an order reserved and did not use is released when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tickbook.book import Exchange
from tickbook.core import OrderNotActive, TickbookError, UnknownOrder, ValidationError
from tickbook.server._config import Market, SymbolSpec

__all__ = ["Command", "InsufficientFunds", "Ledger", "LimitExceeded", "OrderRec"]

BUY, SELL = 0, 1
_TERMINAL = frozenset({"filled", "cancelled"})
_STATUS = ("new", "partially_filled", "filled", "cancelled")
_STOP_TYPES = frozenset({"stop", "stop_limit"})


class InsufficientFunds(ValidationError):
    """The order needs more than the account's free balance."""


class LimitExceeded(ValidationError):
    """A per-account limit (rate, order value, open orders) refuses the command."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command on the single command path: who, which symbol, what, with which fields.

    ``fields`` hold integers (ticks, lots, minor units) and short strings only, as journaled.
    """

    kind: str
    account: int = 0
    symbol: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OrderRec:
    """An order as the service tracks it (prices in ticks, quantities in lots)."""

    id: int
    account: int
    symbol: str
    side: int
    type: str
    price: int
    stop_price: int
    quantity: int
    tif: str
    post_only: bool
    display_quantity: int
    client_order_id: str | None
    exch_id: int
    status: str = "new"
    filled: int = 0
    reserved: int = 0
    cost: int = 0  # quote minor units paid or received
    replaced_by: int = 0
    closed: bool = False


class Ledger:
    """Accounts, balances, orders and one ``Exchange`` per symbol, changed only by ``apply``."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.exchanges = {name: Exchange() for name in market.symbols}
        self.accounts: dict[int, tuple[str, str]] = {}  # id -> (name, key hash)
        self.by_name: dict[str, int] = {}
        self.by_key: dict[str, int] = {}
        self.balances: dict[tuple[int, str], list[int]] = {}  # -> [total, locked]
        self.orders: dict[int, OrderRec] = {}
        self.open_count: dict[int, int] = {}
        self.by_exch: dict[tuple[str, int], int] = {}
        self.stops: dict[str, set[int]] = {name: set() for name in market.symbols}
        self.answers: dict[tuple[int, str], dict[str, Any]] = {}  # idempotent client ids
        self.next_order = 1
        self.next_trade = 1
        self.applied = 0  # commands applied (== the journal sequence number of the last one)
        self._reset_effects()

    # -- effects of the last command (read by the core to journal and publish) -----------------

    def _reset_effects(self) -> None:
        self.trades: list[dict[str, Any]] = []
        self.touched: dict[int, OrderRec] = {}
        self.dirty: set[tuple[int, str]] = set()

    def take_effects(self) -> tuple[list[dict[str, Any]], list[OrderRec], set[tuple[int, str]]]:
        """Return and forget (trades, touched orders, changed balances) of the last command."""
        out = self.trades, list(self.touched.values()), self.dirty
        self._reset_effects()
        return out

    # -- the one entry point --------------------------------------------------------------------

    def apply(self, cmd: Command, limits: Any = None) -> dict[str, Any]:
        """Apply ``cmd`` or refuse it (``TickbookError``, nothing changed); return its answer.

        ``limits`` (live only, never on replay) checks per-account limits before any change.
        """
        handler = _HANDLERS.get(cmd.kind)
        if handler is None:
            raise ValidationError(
                f"invalid `kind`: expected one of {sorted(_HANDLERS)}, got {cmd.kind!r}",
                field="kind",
                value=cmd.kind,
            )
        self._reset_effects()
        answer = handler(self, cmd, limits)
        self.applied += 1
        return answer

    # -- accounts -------------------------------------------------------------------------------

    def _account_add(self, cmd: Command, limits: Any) -> dict[str, Any]:
        name, key_hash = cmd.fields["name"], cmd.fields["key_hash"]
        if name in self.by_name:
            raise ValidationError(
                f"invalid `name`: account {name!r} exists", field="name", value=name
            )
        if key_hash in self.by_key:
            raise ValidationError("invalid `key_hash`: key in use", field="key_hash", value="***")
        account = len(self.accounts) + 1
        self.accounts[account] = (name, key_hash)
        self.by_name[name] = account
        self.by_key[key_hash] = account
        return {"account": account, "name": name}

    def _deposit(self, cmd: Command, limits: Any) -> dict[str, Any]:
        asset, amount = cmd.fields["asset"], cmd.fields["amount"]
        self.check_account(cmd.account)
        self.market.asset(asset)
        if type(amount) is not int or amount <= 0:
            raise ValidationError(
                f"invalid `amount`: expected positive units, got {amount!r}",
                field="amount",
                value=amount,
            )
        self._bal(cmd.account, asset)[0] += amount
        return {"account": cmd.account, "asset": asset, "total": self._bal(cmd.account, asset)[0]}

    def check_account(self, account: int) -> None:
        """Refuse an unknown account id."""
        if account not in self.accounts:
            raise ValidationError(
                f"invalid `account`: no account {account!r}", field="account", value=account
            )

    def _bal(self, account: int, asset: str) -> list[int]:
        self.dirty.add((account, asset))
        row = self.balances.get((account, asset))
        if row is None:
            row = self.balances[(account, asset)] = [0, 0]
        return row

    def free(self, account: int, asset: str) -> int:
        """Return the account's balance of ``asset`` not reserved by open orders."""
        row = self.balances.get((account, asset))
        return 0 if row is None else row[0] - row[1]

    # -- orders ---------------------------------------------------------------------------------

    def reservation(self, spec: SymbolSpec, f: dict[str, Any]) -> tuple[str, int]:
        """Return (asset, units) an order of fields ``f`` must reserve."""
        qty = f["quantity"]
        if f["side"] == SELL:
            return spec.base.name, qty * spec.base_unit
        kind = f["type"]
        if kind == "market":
            price = self._walk_cost(spec, qty)
            return spec.quote.name, price * spec.quote_unit
        price = spec.max_ticks if kind == "stop" else f["price"]
        return spec.quote.name, price * qty * spec.quote_unit

    def _walk_cost(self, spec: SymbolSpec, qty: int) -> int:
        # a bound on what a market buy of qty lots pays (ticks x lots): the visible asks it
        # walks, the rest at the deepest ask (hidden iceberg quantity sits at those prices)
        asks = self.exchanges[spec.name].full_book().ask_array
        cost, left, deepest = 0, qty, 0
        for price, visible, _count in asks.tolist():
            take = min(left, visible)
            cost += take * price
            left -= take
            deepest = price
            if not left:
                break
        return cost + left * deepest

    def _submit(self, cmd: Command, limits: Any) -> dict[str, Any]:
        f = cmd.fields
        client_id = f.get("client_order_id")
        if client_id is not None and (cmd.account, client_id) in self.answers:
            return self.answers[(cmd.account, client_id)]
        self.check_account(cmd.account)
        spec = self.market.symbol(cmd.symbol)
        asset, reserve = self.reservation(spec, f)
        if limits is not None:
            limits.check_order(self, cmd.account, spec, f, reserve)
        if self.free(cmd.account, asset) < reserve:
            raise InsufficientFunds(
                f"insufficient funds: the order reserves {spec_amount(self, asset, reserve)} "
                f"{asset}, free is {spec_amount(self, asset, self.free(cmd.account, asset))}",
                field="quantity",
                value=spec.qty(f["quantity"]),
            )
        ex = self.exchanges[cmd.symbol]
        exch_id, pending = _engine_submit(ex, cmd.account, f)
        rec = self._new_order(cmd, f, exch_id, asset, reserve)
        if pending:
            rec.status = "pending"
            self.stops[cmd.symbol].add(exch_id)
        self._settle(spec, {exch_id})
        answer = self.view(rec, self.trades)
        if client_id is not None:
            self.answers[(cmd.account, client_id)] = answer
        return answer

    def _new_order(
        self, cmd: Command, f: dict[str, Any], exch_id: int, asset: str, reserve: int
    ) -> OrderRec:
        rec = OrderRec(
            id=self.next_order,
            account=cmd.account,
            symbol=cmd.symbol,
            side=f["side"],
            type=f["type"],
            price=f.get("price", 0),
            stop_price=f.get("stop_price", 0),
            quantity=f["quantity"],
            tif=f.get("tif", "gtc"),
            post_only=bool(f.get("post_only", False)),
            display_quantity=f.get("display_quantity", 0),
            client_order_id=f.get("client_order_id"),
            exch_id=exch_id,
            reserved=reserve,
        )
        self.next_order += 1
        self.orders[rec.id] = rec
        self.by_exch[(cmd.symbol, exch_id)] = rec.id
        self.open_count[cmd.account] = self.open_count.get(cmd.account, 0) + 1
        self._bal(cmd.account, asset)[1] += reserve
        self.touched[rec.id] = rec
        return rec

    def own_order(self, account: int, order_id: Any) -> OrderRec:
        """Return the account's order ``order_id``; another account's answers as unknown."""
        rec = self.orders.get(order_id) if type(order_id) is int else None
        if rec is None or rec.account != account:
            raise UnknownOrder(
                f"invalid `order_id`: no order {order_id!r}", field="order_id", value=order_id
            )
        return rec

    def _live_order(self, cmd: Command) -> OrderRec:
        rec = self.own_order(cmd.account, cmd.fields.get("order_id"))
        if rec.status in _TERMINAL:
            raise OrderNotActive(
                f"invalid `order_id`: order {rec.id} is {rec.status}",
                field="order_id",
                value=rec.id,
            )
        return rec

    def _cancel(self, cmd: Command, limits: Any) -> dict[str, Any]:
        rec = self._live_order(cmd)
        result = self.exchanges[rec.symbol].cancel(rec.exch_id)
        self.stops[rec.symbol].discard(rec.exch_id)
        self._settle(self.market.symbols[rec.symbol], {rec.exch_id})
        answer = self.view(rec, [])
        answer["cancelled_quantity"] = self.market.symbols[rec.symbol].qty(
            result.cancelled_quantity
        )
        return answer

    def _modify(self, cmd: Command, limits: Any) -> dict[str, Any]:
        rec = self._live_order(cmd)
        if rec.type not in ("limit", "post_only", "iceberg"):
            raise ValidationError(
                f"invalid `order_id`: a {rec.type} order cannot be modified",
                field="order_id",
                value=rec.id,
            )
        spec = self.market.symbols[rec.symbol]
        f = {**_fields_of(rec), "price": cmd.fields["price"], "quantity": cmd.fields["quantity"]}
        f.pop("client_order_id", None)
        asset, reserve = self.reservation(spec, f)
        if limits is not None:
            limits.check_order(self, cmd.account, spec, f, reserve - rec.reserved)
        if self.free(cmd.account, asset) + rec.reserved < reserve:
            raise InsufficientFunds(
                "insufficient funds for the modified order",
                field="quantity",
                value=spec.qty(f["quantity"]),
            )
        result = self.exchanges[rec.symbol].modify(rec.exch_id, f["price"], f["quantity"])
        new = self._new_order(
            Command("submit", cmd.account, rec.symbol), f, result.new_order_id, asset, reserve
        )
        rec.replaced_by = new.id
        # the old order ends (its reservation released); the replacement may have traded
        self._settle(spec, {rec.exch_id, result.new_order_id})
        answer = self.view(new, self.trades)
        answer["replaces"] = rec.id
        return answer

    # -- settlement -----------------------------------------------------------------------------

    def _settle(self, spec: SymbolSpec, touched: set[int]) -> None:
        ex = self.exchanges[spec.name]
        trades = ex.trades()
        if trades:
            ex.clear_trades()
        for t in trades:
            agg = self.orders[self.by_exch[(spec.name, t[3])]]
            pas = self.orders[self.by_exch[(spec.name, t[4])]]
            buyer, seller = (agg, pas) if t[6] == BUY else (pas, agg)
            self._fill(spec, buyer, seller, t[1], t[2], t[6])
            touched.add(t[3])
            touched.add(t[4])
        if trades and self.stops[spec.name]:
            for sid in list(self.stops[spec.name]):
                stop = ex.get_stop_order(sid)
                if stop is None or stop.status != "pending":
                    self.stops[spec.name].discard(sid)
                    touched.add(sid)
        for exch_id in touched:
            self._refresh(spec, ex, self.orders[self.by_exch[(spec.name, exch_id)]])

    def _fill(
        self, spec: SymbolSpec, buyer: OrderRec, seller: OrderRec, price: int, qty: int, side: int
    ) -> None:
        cost = price * qty * spec.quote_unit
        base = qty * spec.base_unit
        release = min(buyer.reserved, (buyer.price or price) * qty * spec.quote_unit)
        buyer.reserved -= release
        row = self._bal(buyer.account, spec.quote.name)
        row[0] -= cost
        row[1] -= release
        self._bal(buyer.account, spec.base.name)[0] += base
        seller.reserved -= base
        row = self._bal(seller.account, spec.base.name)
        row[0] -= base
        row[1] -= base
        self._bal(seller.account, spec.quote.name)[0] += cost
        buyer.filled += qty
        seller.filled += qty
        buyer.cost += cost
        seller.cost += cost
        self.trades.append(
            {
                "id": self.next_trade,
                "symbol": spec.name,
                "price": price,
                "quantity": qty,
                "side": "buy" if side == BUY else "sell",
                "buy_order": buyer.id,
                "sell_order": seller.id,
                "buyer": buyer.account,
                "seller": seller.account,
            }
        )
        self.next_trade += 1

    def _refresh(self, spec: SymbolSpec, ex: Exchange, rec: OrderRec) -> None:
        self.touched[rec.id] = rec
        order = ex.get_order(rec.exch_id)
        if order is None:
            stop = ex.get_stop_order(rec.exch_id) if rec.type in _STOP_TYPES else None
            status = "cancelled" if stop is None or stop.status == "cancelled" else "pending"
        else:
            status = _STATUS[int(order.status)]
        rec.status = status
        if status in _TERMINAL:
            self._release(spec, rec)

    def _release(self, spec: SymbolSpec, rec: OrderRec) -> None:
        if rec.reserved:
            asset = spec.quote.name if rec.side == BUY else spec.base.name
            self._bal(rec.account, asset)[1] -= rec.reserved
            rec.reserved = 0
        if not rec.closed:
            rec.closed = True
            self.open_count[rec.account] -= 1

    # -- views ----------------------------------------------------------------------------------

    def view(self, rec: OrderRec, trades: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Return the order as the API shows it (decimal strings)."""
        spec = self.market.symbols[rec.symbol]
        out: dict[str, Any] = {
            "order_id": rec.id,
            "client_order_id": rec.client_order_id,
            "symbol": rec.symbol,
            "side": "buy" if rec.side == BUY else "sell",
            "type": rec.type,
            "time_in_force": rec.tif,
            "price": spec.price(rec.price) if rec.price else None,
            "stop_price": spec.price(rec.stop_price) if rec.stop_price else None,
            "quantity": spec.qty(rec.quantity),
            "filled_quantity": spec.qty(rec.filled),
            "status": rec.status,
        }
        if trades is not None:
            out["trades"] = [
                self.trade_view(t) for t in trades if rec.id in (t["buy_order"], t["sell_order"])
            ]
        return out

    def trade_view(self, t: dict[str, Any]) -> dict[str, Any]:
        """Return a trade as the API shows it."""
        spec = self.market.symbols[t["symbol"]]
        return {
            "trade_id": t["id"],
            "symbol": t["symbol"],
            "price": spec.price(t["price"]),
            "quantity": spec.qty(t["quantity"]),
            "side": t["side"],
        }

    def digest(self) -> tuple[Any, ...]:
        """Return the whole state as comparable values (for replay-equality checks)."""
        books = []
        for name, ex in sorted(self.exchanges.items()):
            snap = ex.full_book()
            books.append(
                (
                    name,
                    ex.clock,
                    snap.bid_array.tolist(),
                    snap.ask_array.tolist(),
                    [np.asarray(ex.orders(s).tolist()).tolist() for s in ("buy", "sell")],
                    sorted(self.stops[name]),
                )
            )
        orders = [tuple(getattr(r, f) for f in r.__slots__) for r in self.orders.values()]
        return (
            self.applied,
            self.next_order,
            self.next_trade,
            sorted(self.accounts.items()),
            sorted((k, tuple(v)) for k, v in self.balances.items()),
            orders,
            books,
        )

    # -- snapshots ------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("exchanges", "market")}
        state["events"] = {name: ex.events() for name, ex in self.exchanges.items()}
        state["symbols"] = sorted(self.exchanges)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        events = state.pop("events")
        state.pop("symbols")
        self.__dict__.update(state)
        self.exchanges = {}
        for name, rows in events.items():
            ex = Exchange.replay(rows)
            ex.clear_trades()
            self.exchanges[name] = ex


def spec_amount(ledger: Ledger, asset: str, units: int) -> str:
    """Return ``units`` of ``asset`` as a decimal string."""
    return ledger.market.assets[asset].format(units)


def _fields_of(rec: OrderRec) -> dict[str, Any]:
    return {
        "type": rec.type,
        "side": rec.side,
        "price": rec.price,
        "quantity": rec.quantity,
        "tif": rec.tif,
        "post_only": rec.post_only,
        "display_quantity": rec.display_quantity,
    }


def _engine_submit(ex: Exchange, owner: int, f: dict[str, Any]) -> tuple[int, bool]:
    """Submit the order to the engine; return (engine id, still a pending stop)."""
    side = "buy" if f["side"] == BUY else "sell"
    kind, qty = f["type"], f["quantity"]
    try:
        if kind == "market":
            return ex.submit_market(side, qty, owner=owner, stp="cancel_newest").order_id, False
        if kind == "stop":
            r = ex.submit_stop_market(side, f["stop_price"], qty, owner=owner)
            return r.order_id, r.status == "pending"
        if kind == "stop_limit":
            r = ex.submit_stop_limit(
                side, f["stop_price"], f["price"], qty, f.get("tif", "gtc"), owner=owner
            )
            return r.order_id, r.status == "pending"
        r = ex.submit_limit(
            side,
            f["price"],
            qty,
            f.get("tif", "gtc"),
            post_only=bool(f.get("post_only", False)),
            display_quantity=f.get("display_quantity") or None,
            owner=owner,
            stp="cancel_newest",
        )
        return r.order_id, False
    except TickbookError:
        raise
    except (KeyError, TypeError) as error:  # a malformed journal or caller: never a crash
        raise ValidationError(
            f"invalid order fields: {error}", field="fields", value=None
        ) from None


_HANDLERS = {
    "account_add": Ledger._account_add,
    "deposit": Ledger._deposit,
    "submit": Ledger._submit,
    "cancel": Ledger._cancel,
    "modify": Ledger._modify,
}
