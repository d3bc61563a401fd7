"""Prometheus metrics (served at /metrics by the daemon's HTTP endpoint).

The rest of the daemon reports through the small functions below, one line where a thing
happens; labels are few and bounded (method, a path template, an event type, an outcome), so
no raw channel, bridge or account id ever becomes a time series.
"""
from __future__ import annotations

import re
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

REGISTRY = CollectorRegistry()
# Fast paths (a REST call on loopback, a loop tick) in ms, slow ones (ring start) up to s.
FAST_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)

ARI_REQUESTS = Counter("callctl_ari_requests", "ARI REST requests, by result",
                       ["method", "path", "status"], registry=REGISTRY)
ARI_LATENCY = Histogram("callctl_ari_request_seconds", "ARI REST request round trip",
                        ["method", "path"], buckets=FAST_BUCKETS, registry=REGISTRY)
ARI_CONNECTED = Gauge("callctl_ari_connected", "1 while the ARI event websocket is up",
                      registry=REGISTRY)
ARI_RECONNECTS = Counter("callctl_ari_reconnects", "ARI event websocket connections after the "
                         "first one (Asterisk restarted, network or auth trouble)",
                         registry=REGISTRY)
ARI_EVENTS = Counter("callctl_ari_events", "ARI events received, by type", ["type"],
                     registry=REGISTRY)
CALLS_ACTIVE = Gauge("callctl_calls_active", "calls the daemon is handling now",
                     registry=REGISTRY)
CALLS = Counter("callctl_calls", "finished calls, by outcome", ["outcome"], registry=REGISTRY)
RING_START = Histogram("callctl_ring_start_seconds", "from a call's arrival to its first leg "
                       "ringing", buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5),
                       registry=REGISTRY)
CALL_LOG_WAITING = Gauge("callctl_call_log_queue", "call-log writes waiting to be committed",
                         registry=REGISTRY)
CALL_LOG_LAG = Histogram("callctl_call_log_write_lag_seconds", "from a call-log write being "
                         "queued to its commit", buckets=FAST_BUCKETS, registry=REGISTRY)
LOOP_LAG = Histogram("callctl_event_loop_lag_seconds", "how late the event loop runs a timer",
                     buckets=FAST_BUCKETS, registry=REGISTRY)

# ARI's own path words; any other segment is an id (channel, bridge, login...) and becomes
# {id} in the `path` label.
_ARI_WORDS = frozenset("""
    channels bridges endpoints applications asterisk recordings playbacks sounds deviceStates
    mailboxes events answer ring play record continue moh hold mute dtmf silence snoop dial
    redirect variable externalMedia addChannel removeChannel subscription eventFilter config
    dynamic info modules logging ping stored live file copy stop pause unpause control
    transfer_progress create rtp_statistics sendMessage videoSource
""".split())
_ID = re.compile(r"[^/]+")


def path_template(path: str) -> str:
    """'/channels/callctl-1.2/answer' -> '/channels/{id}/answer'."""
    return _ID.sub(lambda m: m.group(0) if m.group(0) in _ARI_WORDS else "{id}",
                   path.split("?", 1)[0])


def ari_request(method: str, path: str, status: int | str, seconds: float) -> None:
    template = path_template(path)
    ARI_REQUESTS.labels(method, template, str(status)).inc()
    ARI_LATENCY.labels(method, template).observe(seconds)


def ari_connected(first: bool) -> None:
    ARI_CONNECTED.set(1)
    if not first:
        ARI_RECONNECTS.inc()


def ari_disconnected() -> None:
    ARI_CONNECTED.set(0)


def event_received(event_type: str) -> None:
    ARI_EVENTS.labels(event_type or "unknown").inc()


def loop_lag(seconds: float) -> None:
    LOOP_LAG.observe(seconds)


def call_log_written(queued: list[float]) -> None:
    """A batch of call-log writes committed (or given up); `queued`: when each was queued
    (call_log_queued's time.monotonic())."""
    if queued:
        CALL_LOG_LAG.observe(time.monotonic() - min(queued))
        CALL_LOG_WAITING.dec(len(queued))


def call_log_queued() -> float:
    CALL_LOG_WAITING.inc()
    return time.monotonic()


class CallMetrics:
    """One call's figures: made by call_started(), told when it rings and when it ends."""

    def __init__(self):
        self.arrived = time.monotonic()
        self.rang = False
        CALLS_ACTIVE.inc()

    def ring_started(self) -> None:
        """The call's first leg rings (later legs and blocks do not count again)."""
        if not self.rang:
            self.rang = True
            RING_START.observe(time.monotonic() - self.arrived)

    def ended(self, outcome: str | None) -> None:
        """The daemon is done with the call; outcome None: left up in Asterisk (the daemon
        stops), so not counted as finished."""
        CALLS_ACTIVE.dec()
        if outcome is not None:
            CALLS.labels(outcome).inc()


def call_started() -> CallMetrics:
    return CallMetrics()


def render(accept: str | None) -> tuple[bytes, str]:
    """(body, content type) in the format the scraper's Accept header asks for (Prometheus'
    text format, or OpenMetrics)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(REGISTRY), content_type
