"""``GET /metrics``: the service's counters in the Prometheus text format (prometheus_client).

Every app has its own registry, so apps built side by side (tests) count apart. Labels are the
route's rule (``/api/search``, ``/doc/<path:doc_id>``), the method and the status: never a
question, a document id or a client address.

| metric | kind | what |
|---|---|---|
| ``search_http_requests_total{route,method,status}`` | counter | requests answered |
| ``search_http_request_seconds{route}`` | histogram | time to answer |
| ``search_searches_in_flight`` | gauge | searches, similar-passage and export requests running |
| ``search_refusals_total{reason}`` | counter | ``overload`` (503 at the in-flight bound) and ``rate_limit`` (429) |
| ``search_query_cache_hits_total``, ``..._misses_total`` | counter | question embeddings found in / missing from the cache |
| ``search_index_info{version}`` | gauge | 1 for the index version served |
| ``search_index_documents``, ``search_index_passages`` | gauge | its size |
| ``search_index_build_seconds`` | gauge | how long the served version's build took |
| ``search_feedback_total{helpful}`` | counter | judgements kept since start |
"""
from __future__ import annotations

import time

from flask import Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .caller import allowed_docs, caller

from search.access import EVERY_GROUP
from search.errors import SearchError

SEARCH_ROUTES = frozenset({"/api/search", "/api/similar", "/", "/similar"})

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


class ServiceCollector:
    """Reads the service at scrape time: the query cache and the index served."""

    def __init__(self, service):
        self.service = service

    def collect(self):
        encoder = getattr(self.service, "encoder", None)
        hits = CounterMetricFamily("search_query_cache_hits", "question embeddings found in the cache")
        misses = CounterMetricFamily("search_query_cache_misses", "question embeddings the model had to compute")
        hits.add_metric([], getattr(encoder, "hits", 0))
        misses.add_metric([], getattr(encoder, "misses", 0))
        yield hits
        yield misses
        info = GaugeMetricFamily("search_index_info", "the index version served (1), by version", labels=["version"])
        documents = GaugeMetricFamily("search_index_documents", "documents in the index served")
        passages = GaugeMetricFamily("search_index_passages", "passages in the index served")
        build = GaugeMetricFamily("search_index_build_seconds", "how long the build of the index served took")
        try:
            engine = self.service.engine()
        except SearchError:   # no usable index yet: no index figures
            engine = None
        if engine is not None:
            manifest = engine.store.info()
            info.add_metric([engine.version], 1)
            documents.add_metric([], len(manifest.get("documents", {})))
            passages.add_metric([], manifest.get("passages") or 0)
            if manifest.get("build_seconds") is not None:
                build.add_metric([], manifest["build_seconds"])
        yield from (info, documents, passages, build)


class Metrics:
    """The app's registry and the hooks that count each request."""

    def __init__(self, service):
        self.registry = CollectorRegistry()
        self.requests = Counter("search_http_requests", "requests answered", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("search_http_request_seconds", "time to answer a request", ["route"],
                                 registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.in_flight = Gauge("search_searches_in_flight", "searches running now", registry=self.registry)
        self.refusals = Counter("search_refusals", "requests refused: overload (503) or rate_limit (429)", ["reason"],
                                registry=self.registry)
        self.feedbacks = Counter("search_feedback", "judgements kept since the service started", ["helpful"],
                                 registry=self.registry)
        for reason in ("overload", "rate_limit"):
            self.refusals.labels(reason)
        for helpful in ("true", "false"):
            self.feedbacks.labels(helpful)
        self.registry.register(ServiceCollector(service))

    def feedback(self, helpful: bool) -> None:
        self.feedbacks.labels("true" if helpful else "false").inc()

    def render(self) -> Response:
        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_LATEST)


def route() -> str:
    """The matched rule, or "unmatched": a label with a bounded set of values."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def init_app(app, service) -> Metrics:
    """Count every request of ``app`` and serve ``/metrics``."""
    metrics = Metrics(service)
    app.extensions["metrics"] = metrics

    @app.before_request
    def _begin():
        g.metrics_t0 = time.perf_counter()
        if route() in SEARCH_ROUTES:
            metrics.in_flight.inc()
            g.metrics_in_flight = True

    @app.after_request
    def _count(response):
        name = route()
        method = request.method if request.method in METHODS else "other"   # a bounded set of label values
        metrics.requests.labels(name, method, str(response.status_code)).inc()
        metrics.latency.labels(name).observe(time.perf_counter() - g.get("metrics_t0", time.perf_counter()))
        if response.status_code == 429:
            metrics.refusals.labels("rate_limit").inc()
        elif response.status_code == 503 and "Retry-After" in response.headers:
            metrics.refusals.labels("overload").inc()
        return response

    @app.teardown_request
    def _end(exc=None):
        if g.pop("metrics_in_flight", False):
            metrics.in_flight.dec()

    def _metrics():
        """The metrics, for callers who may read every document or hold a full key (groups ``*``): the
        counts cover the whole index."""
        try:
            restricted = EVERY_GROUP not in caller().groups and allowed_docs() is not None
        except SearchError:   # no usable index yet: its counts are not there to give away
            restricted = False
        if restricted:
            return jsonify({"error": {"status": 403, "message": "the metrics count every document: ask with a key "
                                                                "that may read them all (groups *)"}}), 403
        return metrics.render()

    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])
    return metrics
