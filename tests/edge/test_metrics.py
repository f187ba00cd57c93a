"""The exposition writer: histogram buckets are inclusive upper bounds, made cumulative when
written; label values are escaped; the whole text passes a strict reader of the format."""

from __future__ import annotations

from tessera.delivery.stats import QueueStats
from tessera.edge.metrics import REQUEST_BUCKETS, Histogram, ProcessMetrics, render
from tests.factories.prometheus import parse, value

EMPTY = QueueStats(deliveries={}, pending_events=0, oldest_pending_event_seconds=0.0, oldest_due_delivery_seconds=0.0)


def test_a_value_on_a_bound_falls_in_that_bounds_bucket() -> None:
    histogram = Histogram((0.1, 1.0))
    for seconds in (0.1, 0.5, 1.0, 7.0):
        histogram.observe(seconds)
    assert histogram.counts == [1, 2, 1] and histogram.count == 4 and histogram.sum == 8.6


def test_the_text_is_strict_exposition_format_with_cumulative_buckets() -> None:
    metrics = ProcessMetrics()
    for seconds in (0.0005, 0.003, 0.003, 2.0, 60.0):
        metrics.request("v2", 200, seconds)
    metrics.request("web", 503, 0.01)
    metrics.attempted("webhook", "delivered", 120)
    metrics.attempted("webhook", "dead", 10_000)
    queue = QueueStats(deliveries={("pending", "webhook"): 4, ("dead", "carrier-pigeon"): 1}, pending_events=7,
                       oldest_pending_event_seconds=12.5, oldest_due_delivery_seconds=0.0)
    types, samples = parse(render(metrics, queue))
    assert value(samples, "tessera_http_requests_total", edge="v2", status_class="2xx") == 5
    assert value(samples, "tessera_http_requests_total", edge="web", status_class="5xx") == 1
    bucket = lambda le: value(samples, "tessera_http_request_duration_seconds_bucket", edge="v2", le=le)  # noqa: E731
    assert (bucket("0.001"), bucket("0.0025"), bucket("0.005"), bucket("2.5"), bucket("10.0"), bucket("+Inf")) == (
        1, 1, 3, 4, 4, 5)
    assert len([s for s in samples if s[0] == "tessera_http_request_duration_seconds_bucket"]) == 2 * (
        len(REQUEST_BUCKETS) + 1)
    assert value(samples, "tessera_deliveries_attempted_total", channel="webhook", outcome="dead") == 1
    assert value(samples, "tessera_delivery_duration_seconds_sum", channel="webhook") == 10.12
    assert value(samples, "tessera_deliveries", state="pending", channel="webhook") == 4
    # A channel a consumer stores that the enum does not know still gets its series.
    assert value(samples, "tessera_deliveries", state="dead", channel="carrier-pigeon") == 1
    assert value(samples, "tessera_outbox_pending_events") == 7
    assert types["tessera_deliveries_attempted_total"] == "counter"


def test_label_values_are_escaped() -> None:
    metrics = ProcessMetrics()
    metrics.request('we"ird\\edge\n', 200, 0.1)
    text = render(metrics, EMPTY)
    assert 'edge="we\\"ird\\\\edge\\n"' in text
    _, samples = parse(text)
    assert value(samples, "tessera_http_requests_total", edge='we\\"ird\\\\edge\\n', status_class="2xx") == 1
