"""Who claims what: salted contributor hashes, client IPs, and claim rate limits.

A contributor is identified by ``HMAC-SHA256(CONTRIBUTOR_SALT, key or client IP)`` cut to 24 hex
characters. The hash lets the service recognise a returning contributor (to rate-limit them, and to
let them resume their own interrupted job) without ever storing their key or address.

Rate limits are sliding windows kept in each server process's memory. With N replicas a client can
reach N times the limit; the limits exist to stop a runaway script, not to meter billing, and the
exactly-once guarantee does not depend on them (that lives in the database).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict, deque

from pydantic import SecretStr

from worlddirector.errors import WDError


class RateLimited(WDError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


def contributor_hash(salt: SecretStr | str, api_key: SecretStr | None, client_ip: str | None) -> str:
    s = salt.get_secret_value() if isinstance(salt, SecretStr) else salt
    ident = ("key:" + api_key.get_secret_value()) if api_key and api_key.get_secret_value() else f"ip:{client_ip or '?'}"
    return hmac.new(s.encode(), ident.encode(), hashlib.sha256).hexdigest()[:24]


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per name (thread-safe)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, name: str, what: str, now: float | None = None) -> None:
        """Raise :class:`RateLimited` if ``name`` is at its limit, without recording an event."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events.get(name)
            if q:
                while q and q[0] <= now - self.window:
                    q.popleft()
                if len(q) >= self.limit:
                    retry = max(0.0, q[0] + self.window - now)
                    raise RateLimited(f"too many {what}; try again in {retry:.0f} s", retry_after=retry)

    def hit(self, name: str, what: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events[name]
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                retry = max(0.0, q[0] + self.window - now)
                raise RateLimited(f"too many {what}; try again in {retry:.0f} s", retry_after=retry)
            q.append(now)
            if len(self._events) > 50_000:  # forget idle names so memory stays bounded
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window][:10_000]:
                    self._events.pop(k, None)
