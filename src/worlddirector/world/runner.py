"""Job runners: where scene jobs execute.

* ``inprocess`` (default): a bounded thread pool inside the server process. Good for one machine;
  a caller's key stays in this process's memory for the job's lifetime only.
* ``celery``: jobs go to Redis and run on ``worlddirector world worker`` processes, so rendering
  scales out independently of the web servers.

Keys and Celery: a task's arguments sit in the broker (Redis) until a worker takes them, and Redis
may persist them to disk. A caller's key must never be stored, so keyed jobs always run on the
in-process pool of the server that received the claim, even when the Celery backend is selected;
only keyless jobs (the offline provider, or a provider configured with the operator's own key)
travel through the broker. The cost: keyed jobs do not scale out beyond the web processes.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from worlddirector.errors import ConfigError
from worlddirector.logging import get_logger

log = get_logger(__name__)


class InProcessRunner:
    kind = "inprocess"

    def __init__(self, service, concurrency: int):
        self.service = service
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="scene-job")
        self._inflight: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, ticket) -> None:
        from worlddirector.world.render import run_scene_job

        def _run():
            try:
                run_scene_job(self.service, ticket.scene_id, ticket.token, ticket.api_key)
            except Exception as exc:  # noqa: BLE001 - the job records its own failure; never kill the pool
                log.error("scene job raised", scene=ticket.scene_id, error=type(exc).__name__)
            finally:
                with self._lock:
                    self._inflight.discard(ticket.scene_id)

        with self._lock:
            self._inflight.add(ticket.scene_id)
        self.pool.submit(_run)

    @property
    def inflight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking jobs. ``wait=False`` abandons running jobs (their leases expire and the
        watchdog of another process takes them over); ``wait=True`` lets them finish."""
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryRunner:
    kind = "celery"

    def __init__(self, service, concurrency: int):
        from worlddirector.world.celery_app import make_celery

        self.service = service
        self.celery = make_celery(service.settings.redis_url)
        self.local = InProcessRunner(service, concurrency)  # for keyed jobs (see module docstring)

    def submit(self, ticket) -> None:
        if ticket.api_key is not None:
            self.local.submit(ticket)
            return
        self.celery.send_task("worlddirector.world.render_scene", args=[ticket.scene_id, ticket.token])

    def shutdown(self, wait: bool = False) -> None:
        self.local.shutdown(wait)


def make_runner(service):
    kind = service.settings.job_backend.lower()
    if kind == "inprocess":
        return InProcessRunner(service, service.settings.job_concurrency)
    if kind == "celery":
        return CeleryRunner(service, service.settings.job_concurrency)
    raise ConfigError(f"WD_JOB_BACKEND must be inprocess or celery, got {service.settings.job_backend!r}")
