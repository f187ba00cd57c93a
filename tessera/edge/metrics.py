"""This process's own figures for /metrics, and the Prometheus text exposition format (version
0.0.4) they are written in.

Two kinds: what the process counts as it runs (requests by edge and status class with a latency
histogram, counted by tessera.edge.guard.RequestGuard; deliveries it attempted, when it runs the
worker, through the delivery engine's observer hook), and what the database holds for the whole
deployment (tessera.delivery.stats), read at each scrape. Counters live in this process only: a
server with several worker processes answers each scrape from one of them, so per-process figures
are that process's (the database's are whole either way).

Written by hand rather than with prometheus_client: the format is a few lines of text, and the
counters here are plain integers touched from one event loop, with no locks to take per request."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

from tessera.delivery.models import Channel, DeliveryState
from tessera.delivery.stats import QueueStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds. Requests: most answer in milliseconds, reports and searches in up to seconds.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds. A delivery is a network call: an SMTP send, an HTTP POST with a 10 s timeout.
DELIVERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Histogram:
    """Bucket counts (not yet cumulative: each observation touches one slot), their sum and count."""

    __slots__ = ("bounds", "counts", "sum", "count")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        # `le` is inclusive: a value equal to a bound falls in that bound's bucket.
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1


class ProcessMetrics:
    """What this process counted since it started. Also the delivery engine's observer
    (tessera.delivery.engine.DeliveryObserver)."""

    def __init__(self) -> None:
        # (edge, status) -> count; the status class is made when written, not per request.
        self.requests: dict[tuple[str, int], int] = {}
        self.request_seconds: dict[str, Histogram] = {}
        self.deliveries: dict[tuple[str, str], int] = {}
        self.delivery_seconds: dict[str, Histogram] = {}

    def request(self, edge: str, status: int, seconds: float) -> None:
        key = (edge, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.request_seconds.get(edge)
        if histogram is None:
            histogram = self.request_seconds[edge] = Histogram(REQUEST_BUCKETS)
        histogram.observe(seconds)

    def attempted(self, channel: str, state: str, duration_ms: int) -> None:
        key = (channel, state)
        self.deliveries[key] = self.deliveries.get(key, 0) + 1
        histogram = self.delivery_seconds.get(channel)
        if histogram is None:
            histogram = self.delivery_seconds[channel] = Histogram(DELIVERY_BUCKETS)
        histogram.observe(duration_ms / 1000)


def render(process: ProcessMetrics, queue: QueueStats) -> str:
    lines: list[str] = []
    by_class: dict[tuple[str, str], int] = {}
    for (edge, status), count in list(process.requests.items()):
        key = (edge, f"{status // 100}xx")
        by_class[key] = by_class.get(key, 0) + count
    _family(lines, "tessera_http_requests_total", "counter",
            "HTTP requests this process answered, by edge (v2, rest, graphql, web) and status class.",
            [((("edge", edge), ("status_class", status)), count)
             for (edge, status), count in sorted(by_class.items())])
    _histograms(lines, "tessera_http_request_duration_seconds",
                "Time from a request's arrival to the end of its response, by edge.", "edge", process.request_seconds)
    _family(lines, "tessera_deliveries_attempted_total", "counter",
            "Delivery attempts this process's worker made, by channel and the state they left the delivery in "
            "(delivered, failed: to be retried, dead).",
            [((("channel", channel), ("outcome", state)), count)
             for (channel, state), count in sorted(process.deliveries.items())])
    _histograms(lines, "tessera_delivery_duration_seconds", "Time one delivery attempt took, by channel.",
                "channel", process.delivery_seconds)
    # Every state and channel, zeros included, so a series does not vanish when its queue empties.
    channels = sorted({c.value for c in Channel} | {channel for _, channel in queue.deliveries})
    _family(lines, "tessera_deliveries", "gauge",
            "Deliveries stored now, by state and channel, across the deployment.",
            [((("state", state.value), ("channel", channel)), queue.deliveries.get((state.value, channel), 0))
             for state in DeliveryState for channel in channels])
    _family(lines, "tessera_outbox_pending_events", "gauge",
            "Outbox events not yet processed by a worker, across the deployment.", [((), queue.pending_events)])
    _family(lines, "tessera_outbox_oldest_pending_event_age_seconds", "gauge",
            "Age of the oldest unprocessed outbox event (0 when none waits).",
            [((), queue.oldest_pending_event_seconds)])
    _family(lines, "tessera_deliveries_oldest_due_age_seconds", "gauge",
            "How long the longest-waiting due delivery (pending or failed, its time come) has waited (0 when none).",
            [((), queue.oldest_due_delivery_seconds)])
    return "\n".join(lines) + "\n"


Labels = tuple[tuple[str, str], ...]


def _family(lines: list[str], name: str, kind: str, help_text: str,
            samples: Iterable[tuple[Labels, float]], suffix: str = "") -> None:
    lines.append(f"# HELP {name} {_escape_help(help_text)}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        lines.append(f"{name}{suffix}{_labels(labels)} {_number(value)}")


def _histograms(lines: list[str], name: str, help_text: str, label: str, histograms: dict[str, Histogram]) -> None:
    lines.append(f"# HELP {name} {_escape_help(help_text)}")
    lines.append(f"# TYPE {name} histogram")
    for key, histogram in sorted(histograms.items()):
        running = 0
        for bound, count in zip((*histogram.bounds, float("inf")), histogram.counts, strict=True):
            running += count
            lines.append(f"{name}_bucket{_labels(((label, key), ('le', _number(bound))))} {running}")
        lines.append(f"{name}_sum{_labels(((label, key),))} {_number(histogram.sum)}")
        lines.append(f"{name}_count{_labels(((label, key),))} {histogram.count}")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape_value(value)}"' for name, value in labels) + "}"


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return str(value) if isinstance(value, int) else repr(float(value))
