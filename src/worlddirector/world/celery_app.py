"""The Celery application for scale-out scene workers (``worlddirector world worker``).

The task carries only ``(scene_id, claim_token)``; the worker re-reads everything else from the
database and checks the token before every write, so a task delivered twice (Celery guarantees
at-least-once with ``acks_late``) cannot start a second job: the second delivery finds the scene no
longer ``queued`` under its token, or already ``ready``.
"""

from __future__ import annotations

from celery import Celery

_service = None


def make_celery(broker_url: str) -> Celery:
    app = Celery("worlddirector.world", broker=broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="worlddirector.world.render_scene")
    def render_scene(scene_id: int, token: str) -> str:
        from worlddirector.world.render import run_scene_job

        return run_scene_job(worker_service(), scene_id, token, None)

    return app


def worker_service():
    """The worker process's own service (database, storage; jobs run inline, watchdog on)."""
    global _service
    if _service is None:
        from worlddirector.world.service import WorldService

        _service = WorldService()
        _service.db.migrate()
    return _service


def _default_app() -> Celery:
    from worlddirector.config import get_settings

    return make_celery(get_settings().redis_url)


app = None  # built lazily by the CLI (`worlddirector world worker`) so importing stays cheap
