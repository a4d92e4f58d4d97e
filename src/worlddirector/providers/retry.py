"""Retries with exponential backoff and jitter, bounded by one hard overall deadline.

Why a deadline and not only an attempt count: a paid video job must never turn into an endless
wait. Every sleep (backoff, ``Retry-After``, poll interval) is clipped to what is left of the
deadline, and when nothing is left the call fails with :class:`ProviderTimeout`.

What is retried is the caller's decision (``retry_on``): polling and downloading are idempotent and
retry on any retryable error; creating a job retries only when the server said it did not take the
request (429 / 503 / connection refused), never after an ambiguous timeout that may have created a
paid job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from worlddirector.logging import get_logger
from worlddirector.providers.base import ProviderError, ProviderTimeout, RateLimited

log = get_logger(__name__)
T = TypeVar("T")


@dataclass
class Deadline:
    """A fixed point in (monotonic) time by which the whole generation must be done."""

    seconds: float
    start: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def expired(self) -> bool:
        return self.remaining() <= 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so retries spread out."""
        d = min(self.cap, self.base * (2 ** (attempt - 1)))
        return d / 2 + rng.uniform(0, d / 2)


def retry_call(
    fn: Callable[[], T],
    *,
    what: str,
    deadline: Deadline,
    policy: RetryPolicy = RetryPolicy(),
    retry_on: tuple[type[ProviderError], ...] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn`` until it succeeds, a non-retryable error occurs, attempts run out or the deadline passes."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except ProviderError as exc:
            retryable = isinstance(exc, retry_on) if retry_on is not None else exc.retryable
            if not retryable or attempt >= policy.attempts:
                raise
            wait = policy.delay(attempt, rng)
            if isinstance(exc, RateLimited) and exc.retry_after is not None:
                wait = max(exc.retry_after, 0.0) + rng.uniform(0, 0.1)
            if wait >= deadline.remaining():
                raise ProviderTimeout(
                    f"{what}: {exc} (waiting {wait:.0f}s more would pass the {deadline.seconds:.0f}s deadline)"
                ) from None
            log.info("provider.retry", what=what, attempt=attempt, wait_s=round(wait, 2), error=exc.code)
            sleep(wait)
