"""Response headers that every page and answer carries, and an optional per-client rate limit."""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.update(SECURITY_HEADERS)
    h.setdefault("Cache-Control", "no-store")
    return response


def security_header_items() -> list[tuple[str, str]]:
    """The same headers as (name, value) pairs, for answers the WSGI server writes itself."""
    return [("Content-Security-Policy", CSP), *SECURITY_HEADERS.items(), ("Cache-Control", "no-store")]


class RateLimiter:
    """Sliding one-minute window per client address; ``per_minute`` 0 turns it off.

        >>> limiter = RateLimiter(2)
        >>> [limiter.wait_seconds("10.0.0.1") == 0 for _ in range(3)]
        [True, True, False]
    """

    window = 60.0

    def __init__(self, per_minute: int, max_clients: int = 10000):
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sweep_at = max_clients

    def wait_seconds(self, client: str) -> int:
        """0 when the request may go ahead (and counts it); otherwise whole seconds until it may."""
        if not self.per_minute:
            return 0
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(self.window - (now - hits[0])))
            hits.append(now)
            if len(self._hits) > self._sweep_at:
                self._forget_idle(now)
            return 0

    def allow(self, client: str) -> bool:
        return self.wait_seconds(client) == 0

    def _forget_idle(self, now: float) -> None:
        # Clients whose newest hit has left the window hold no state worth keeping; dropping them
        # keeps memory, and the time of this sweep, bounded however many addresses call.
        idle = [key for key, hits in self._hits.items() if not hits or now - hits[-1] > self.window]
        for key in idle:
            del self._hits[key]
        self._sweep_at = max(self.max_clients, 2 * len(self._hits))
