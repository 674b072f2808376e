"""``/metrics`` for Prometheus: counters read from the core at scrape time, two histograms.

Nothing on the order path but one ``observe`` per journal group (commit time, group size)
and two clock reads per command (matching time, summed).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

__all__ = ["CoreMetrics"]


class _Collector:
    def __init__(self, core: Any) -> None:
        self.core = core

    def collect(self) -> Any:
        core, stats = self.core, self.core.stats
        yield CounterMetricFamily(
            "tickbook_commands", "Commands accepted and journaled.", value=stats["commands"]
        )
        refused = CounterMetricFamily(
            "tickbook_rejects", "Commands refused, by reason.", labels=["reason"]
        )
        for reason, count in sorted(stats["refused_by"].items()):
            refused.add_metric([reason], count)
        yield refused
        yield CounterMetricFamily(
            "tickbook_matching_seconds",
            "Time spent applying commands (ledger + book).",
            value=stats["matching_seconds"],
        )
        yield GaugeMetricFamily(
            "tickbook_queue_depth", "Commands waiting for the sequencer.", value=core.queue_depth()
        )
        yield GaugeMetricFamily(
            "tickbook_journal_seq",
            "Sequence number of the last command.",
            value=core.ledger.applied,
        )
        yield GaugeMetricFamily(
            "tickbook_ws_market_clients",
            "Market-data WebSocket clients.",
            value=len(core.md.subscribers),
        )
        yield CounterMetricFamily(
            "tickbook_ws_dropped", "Slow market-data consumers dropped.", value=core.md.dropped
        )
        yield GaugeMetricFamily(
            "tickbook_ws_order_clients",
            "Order WebSocket clients.",
            value=sum(len(s) for s in core._accounts.values()),
        )


class CoreMetrics:
    """A registry per core (tests run several cores in one process)."""

    def __init__(self, core: Any) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(core))
        self.commit = Histogram(
            "tickbook_journal_commit_seconds",
            "Journal commit time per group.",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
        )
        self.group = Histogram(
            "tickbook_journal_group_size",
            "Commands per journal group.",
            registry=self.registry,
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
        )

    def render(self) -> bytes:
        """Return the Prometheus text format."""
        return generate_latest(self.registry)
