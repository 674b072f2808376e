"""The market a ``SimBroker`` trades against (private).

Per symbol: the current mark (last price, optional quoted bid and ask, volume) and a persistent
``tickbook.book.Exchange`` that holds the account's working limit orders. Liquidity comes from a
slippage model of ``tickbook.backtest`` (``SpreadCross`` by default), exactly as in
``run_event_driven``: an order that can trade now is matched by tickbook's own engine against
the book the model quotes (in a scratch ``Exchange``); what rests goes to the symbol's book; when
the market moves through a resting order, the market's flow is sent into that book and the
engine fills the order at its own price.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tickbook.core import Side, TimeInForce
from tickbook.core._checks import refuse

__all__ = ["USER", "Mark", "model_from_dict", "model_to_dict", "scratch_match", "touch"]

#: Owner id of the account's orders in the books (self-trade prevention); the market's flow is 2.
USER = 1
MARKET = 2

_MODELS = ("FixedBps", "SpreadCross", "SquareRootImpact")


@dataclass(slots=True)
class Mark:
    """The market of one symbol: last price and, when quoted, bid and ask (cents)."""

    last: int
    bid: int | None = None
    ask: int | None = None
    volume: int = 0
    touch: tuple[int, int] | None = None  # the model's (bid, ask), cached per update

    @property
    def mid(self) -> float:
        """The price the slippage model quotes around."""
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return float(self.last)


def model_to_dict(model: Any) -> dict[str, Any]:
    """Describe a ``tickbook.backtest`` slippage model for the state file."""
    name = type(model).__name__
    if name not in _MODELS or type(model).__module__ != "tickbook.backtest._slippage":
        raise refuse("slippage", "FixedBps, SpreadCross or SquareRootImpact (to save state)", model)
    return {"model": name, **asdict(model)}


def model_from_dict(data: dict[str, Any]) -> Any:
    """Rebuild a slippage model described by ``model_to_dict``."""
    from tickbook import backtest

    fields = dict(data)
    name = fields.pop("model", None)
    if name not in _MODELS:
        raise refuse("slippage", f"one of {_MODELS}", name)
    return getattr(backtest, name)(**fields)


def _book() -> Any:
    from tickbook.book import Exchange

    return Exchange(record_events=False, order_capacity=64)


def touch(model: Any, mark: Mark) -> tuple[int, int]:
    """Return the model's bid and ask for one unit: the prices a small order meets."""
    if mark.touch is None:
        buy, sell = _book(), _book()
        model.quote(buy, mark.mid, mark.bid, mark.ask, True, 1)
        model.quote(sell, mark.mid, mark.bid, mark.ask, False, 1)
        mark.touch = (sell.best_bid() or 1, buy.best_ask() or 1)
    return mark.touch


def scratch_match(
    model: Any, mark: Mark, side: Side, quantity: int, limit: int | None, tif: TimeInForce
) -> list[tuple[int, int]]:
    """Match an order against the liquidity the model quotes now; return its (price, qty) fills.

    Nothing persists: the scratch book goes with the call, so a refused order changes nothing.
    """
    book = _book()
    model.quote(book, mark.mid, mark.bid, mark.ask, side is Side.BUY, quantity)
    if limit is None:
        result = book.submit_market(side, quantity)
    else:
        kind = "fok" if tif is TimeInForce.FOK else "ioc"
        result = book.submit_limit(side, limit, quantity, kind)
    return [(t.price, t.quantity) for t in result.trades]
