"""Market data out: trades and level-2 deltas with one sequence number, to bounded queues.

Every message carries ``seq``, one more than the message before it (one sequence across
symbols). A subscriber first gets a snapshot of each symbol (``"snapshot": true``, carrying
the seq of the last message published before it), then deltas: ``order_book`` messages list
the levels that changed with their new total (``"0"`` removes the level) within the best
``levels`` of each side. A client that sees a gap resyncs (sends ``{"op": "resync"}`` or
reconnects) and drops messages whose seq is not above the new snapshot's. A subscriber whose
queue is full is dropped with a reason; publishing never waits for anyone.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

__all__ = ["MarketData", "Subscriber"]

_encode = msgspec.json.encode


class Subscriber:
    """A bounded queue of encoded messages; ``offer`` never blocks, a full queue drops it."""

    __slots__ = ("dropped", "queue")

    def __init__(self, maxsize: int = 10000) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize)
        self.dropped: str | None = None

    def offer(self, data: bytes) -> bool:
        """Queue ``data``; on a full queue drop the subscriber and answer False."""
        if self.dropped is not None:
            return False
        try:
            self.queue.put_nowait(data)
            return True
        except asyncio.QueueFull:
            self.drop(f"slow consumer: {self.queue.maxsize} messages behind")
            return False

    def drop(self, reason: str) -> None:
        """Mark the subscriber dropped and wake its reader."""
        if self.dropped is None:
            self.dropped = reason
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def get(self) -> bytes | None:
        """Return the next message, or ``None`` once dropped (``dropped`` says why)."""
        return await self.queue.get()


class MarketData:
    """The published view of the books (best ``levels`` per side) and its subscribers."""

    def __init__(self, ledger: Any, levels: int = 50) -> None:
        self.ledger = ledger
        self.levels = levels
        self.seq = 0
        self.dropped = 0
        self.subscribers: set[Subscriber] = set()
        self._l2: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
        for name in ledger.exchanges:
            self._l2[name] = self._levels(name)

    def _levels(self, symbol: str) -> tuple[dict[int, int], dict[int, int]]:
        snap = self.ledger.exchanges[symbol].depth(self.levels)
        bids = {p: q for p, q, _ in snap.bid_array.tolist()}
        asks = {p: q for p, q, _ in snap.ask_array.tolist()}
        return bids, asks

    def subscribe(self, maxsize: int = 10000) -> Subscriber:
        """Return a new subscriber with a snapshot of every symbol queued first."""
        sub = Subscriber(maxsize)
        self.subscribers.add(sub)
        self.send_snapshots(sub)
        return sub

    def send_snapshots(self, sub: Subscriber) -> None:
        """Queue a snapshot of every symbol for ``sub`` (at the current seq)."""
        for symbol in sorted(self._l2):
            sub.offer(_encode(self.snapshot(symbol)))

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget ``sub``."""
        self.subscribers.discard(sub)

    def snapshot(self, symbol: str) -> dict[str, Any]:
        """Return the published book of ``symbol`` as a snapshot message."""
        spec = self.ledger.market.symbols[symbol]
        bids, asks = self._l2[symbol]
        return self._book_message(
            spec, sorted(bids.items(), reverse=True), sorted(asks.items()), True, self.seq
        )

    def _book_message(
        self, spec: Any, bids: Any, asks: Any, snapshot: bool, seq: int
    ) -> dict[str, Any]:
        pub_bids, pub_asks = self._l2[spec.name]
        best_bid = max(pub_bids) if pub_bids else None
        best_ask = min(pub_asks) if pub_asks else None
        return {
            "type": "order_book",
            "seq": seq,
            "symbol": spec.name,
            "snapshot": snapshot,
            "bids": [[spec.price(p), spec.qty(q)] for p, q in bids],
            "asks": [[spec.price(p), spec.qty(q)] for p, q in asks],
            "best_bid": spec.price(best_bid) if best_bid else None,
            "best_ask": spec.price(best_ask) if best_ask else None,
        }

    def publish(self, trades: list[dict[str, Any]], symbols: set[str]) -> None:
        """Send the trades, then the book changes of ``symbols``, to every subscriber."""
        messages = []
        now = time.time_ns() // 1_000_000
        for t in trades:
            spec = self.ledger.market.symbols[t["symbol"]]
            self.seq += 1
            messages.append(
                {
                    "type": "trade",
                    "seq": self.seq,
                    "symbol": t["symbol"],
                    "trade_id": t["id"],
                    "timestamp": now,
                    "price": spec.price(t["price"]),
                    "quantity": spec.qty(t["quantity"]),
                    "side": t["side"],
                }
            )
        for symbol in sorted(symbols):
            old_bids, old_asks = self._l2[symbol]
            new_bids, new_asks = self._l2[symbol] = self._levels(symbol)
            bids = _diff(old_bids, new_bids, reverse=True)
            asks = _diff(old_asks, new_asks, reverse=False)
            if bids or asks:
                self.seq += 1
                spec = self.ledger.market.symbols[symbol]
                messages.append(self._book_message(spec, bids, asks, False, self.seq))
        if not messages or not self.subscribers:
            return
        encoded = [_encode(m) for m in messages]
        for sub in list(self.subscribers):
            for data in encoded:
                if not sub.offer(data):
                    self.subscribers.discard(sub)
                    self.dropped += 1
                    break

    def close(self, reason: str) -> None:
        """Drop every subscriber with ``reason``."""
        for sub in self.subscribers:
            sub.drop(reason)
        self.subscribers.clear()


def _diff(old: dict[int, int], new: dict[int, int], reverse: bool) -> list[tuple[int, int]]:
    changed = [(p, q) for p, q in new.items() if old.get(p) != q]
    changed += [(p, 0) for p in old if p not in new]
    changed.sort(reverse=reverse)
    return changed
