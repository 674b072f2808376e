"""Slippage models for event-driven runs: each one quotes liquidity into a real ``Exchange``.

An order is never filled by a formula: the model builds the book the order meets (the side
it takes), and tickbook's own matching engine fills it against that book. So the price paid
is the price of the levels walked, exactly as in live trading against such a book:

- ``FixedBps``: one level, ``bps`` away from the mid;
- ``SpreadCross``: one level at the quoted bid or ask (from the data when it has them, else
  half of ``spread_bps`` away from the mid);
- ``SquareRootImpact``: a ladder of levels one tick apart, sized so that a market order for
  ``Q`` shares pays on average ``coefficient * volatility * sqrt(Q / adv)`` of the mid beyond
  the half-spread: the square-root law of market impact, laid out as depth.

Liquidity is rebuilt at every event: impact does not persist from one order to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tickbook.core._checks import check_float, refuse

if TYPE_CHECKING:
    from tickbook.book import Exchange

__all__ = ["FixedBps", "SlippageModel", "SpreadCross", "SquareRootImpact"]

#: Most price levels a ladder lays out; beyond them the rest of the order meets one level.
MAX_LEVELS = 10_000


def _check(value: float, field: str, lo: float = 0.0, strict: bool = False) -> None:
    expected = f"a finite number {'>' if strict else '>='} {lo}"
    check_float(value, field, lo=lo, lo_open=strict, expected=expected)


def _touch(mid: float, bid: float | None, ask: float | None, buying: bool, half_bps: float) -> int:
    """The best price the order meets: the data's quote, else ``half_bps`` off the mid."""
    quoted = ask if buying else bid
    if quoted is not None and quoted > 0:
        return round(quoted)
    if buying:
        return max(1, math.ceil(mid * (1.0 + half_bps * 1e-4) - 1e-9))
    return max(1, math.floor(mid * (1.0 - half_bps * 1e-4) + 1e-9))


@runtime_checkable
class SlippageModel(Protocol):
    """Quote the liquidity a market order for ``shares`` meets, into ``book``."""

    def quote(
        self,
        book: Exchange,
        mid: float,
        bid: float | None,
        ask: float | None,
        buying: bool,
        shares: int,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class FixedBps:
    """Fill ``bps`` basis points through the mid (rounded a tick against the trader)."""

    bps: float = 5.0

    def __post_init__(self) -> None:
        _check(self.bps, "bps")

    def quote(self, book, mid, bid, ask, buying, shares) -> None:
        """Rest ``shares`` at the mid moved ``bps`` against the order."""
        price = _touch(mid, None, None, buying, self.bps)
        book.submit_limit("sell" if buying else "buy", price, shares)


@dataclass(frozen=True, slots=True)
class SpreadCross:
    """Pay the spread: buy at the ask, sell at the bid.

    The data's bid and ask when it has them; else ``spread_bps`` wide around the mid.
    """

    spread_bps: float = 10.0

    def __post_init__(self) -> None:
        _check(self.spread_bps, "spread_bps")

    def quote(self, book, mid, bid, ask, buying, shares) -> None:
        """Rest ``shares`` at the ask (for a buy) or the bid (for a sell)."""
        price = _touch(mid, bid, ask, buying, self.spread_bps / 2)
        book.submit_limit("sell" if buying else "buy", price, shares)


@dataclass(frozen=True, slots=True)
class SquareRootImpact:
    """Square-root market impact as book depth.

    Attributes:
        volatility: the price's volatility per bar, as a fraction (0.02 for 2% a day).
        adv: volume traded per bar (shares), the scale of the order sizes.
        coefficient: the impact constant (about 1 in the empirical literature).
        spread_bps: quoted spread when the data has no bid and ask.
        tick: price increment of the ladder, in ticks.

    The ladder holds, at and below the k-th level past the touch, ``adv * ((k + 1) * tick /
    (1.5 * coefficient * volatility * mid)) ** 2`` shares in all, so that the marginal price
    of the q-th share is ``1.5 * coefficient * volatility * mid * sqrt(q / adv)`` past the
    touch, and the average over ``Q`` shares two thirds of that: the square-root law.
    """

    volatility: float
    adv: float
    coefficient: float = 1.0
    spread_bps: float = 0.0
    tick: int = 1

    def __post_init__(self) -> None:
        _check(self.volatility, "volatility", strict=True)
        _check(self.adv, "adv", strict=True)
        _check(self.coefficient, "coefficient", strict=True)
        _check(self.spread_bps, "spread_bps")
        if isinstance(self.tick, bool) or not isinstance(self.tick, int) or self.tick < 1:
            raise refuse("tick", "a positive integer (ticks)", self.tick)

    def expected_cost(self, mid: float, shares: float) -> float:
        """Return the average price move past the touch for ``shares``, in ticks."""
        return self.coefficient * self.volatility * mid * math.sqrt(shares / self.adv)

    def quote(self, book, mid, bid, ask, buying, shares) -> None:
        """Lay out the ladder on the side the order takes, deep enough for ``shares``."""
        touch = _touch(mid, bid, ask, buying, self.spread_bps / 2)
        scale = 1.5 * self.coefficient * self.volatility * mid  # ticks of move at q = adv
        side = "sell" if buying else "buy"
        placed = 0
        for k in range(MAX_LEVELS):
            price = touch + k * self.tick if buying else touch - k * self.tick
            if price < 1:
                break
            total = self.adv * ((k + 1) * self.tick / scale) ** 2
            size = min(shares, math.ceil(total)) - placed
            if k == MAX_LEVELS - 1:
                size = shares - placed
            if size > 0:
                book.submit_limit(side, price, size)
                placed += size
            if placed >= shares:
                return
