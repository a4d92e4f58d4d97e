"""The watchdog: finds branches whose worker died or whose job overran, and recycles them.

It runs in every server process (each scan is a handful of compare-and-set writes, so any number
of watchdogs can race safely: one wins each row). Two cases:

* **Lease expired** (the owner stopped renewing: the process was killed, the machine died).
  Keyless jobs (offline provider, or a provider with the operator's key) are *taken over*: a new
  claim token, and the job is submitted again; if the scene already has a provider job id, the new
  job resumes polling that paid job instead of starting another. Keyed jobs cannot continue (the
  caller's key died with the process and is never stored), so the branch goes back to ``pending``
  keeping its provider job id: when the same contributor claims it again, their job resumes it.
* **Overran** ``SCENE_TIMEOUT_SECONDS`` since it was queued: the provider job is cancelled (when
  it can be) and the branch is recycled to ``pending``, or to ``failed`` after ``max_attempts``.
"""

from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import delete, or_, select, update

from worlddirector.logging import get_logger
from worlddirector.world.models import JobRecord, SceneEventRecord, SceneRecord, WorldRecord
from worlddirector.world.states import ACTIVE, SceneStatus, transition

log = get_logger(__name__)
S = SceneStatus
scenes_t = SceneRecord.__table__
worlds_t = WorldRecord.__table__
jobs_t = JobRecord.__table__
events_t = SceneEventRecord.__table__


def sweep(service, now: float | None = None) -> list[tuple[str, str, str]]:
    """One scan. Returns ``(world_id, path, action)`` for every branch it changed.

    It also drops change-log events older than ``WD_EVENT_RETENTION_SECONDS``.
    """
    now = time.time() if now is None else now
    with service.db.write() as c:
        c.execute(delete(events_t).where(events_t.c.created_at < now - service.ws.event_retention_seconds))
    timeout = service.settings.scene_timeout_seconds
    with service.db.read() as c:
        rows = c.execute(
            select(scenes_t, worlds_t.c.max_attempts, worlds_t.c.video_provider)
            .join(worlds_t, worlds_t.c.id == scenes_t.c.world_id)
            .where(
                scenes_t.c.status.in_([str(s) for s in ACTIVE]),
                or_(scenes_t.c.lease_expires_at < now, scenes_t.c.queued_at < now - timeout),
            )
        ).mappings().all()
    actions = []
    for r in rows:
        act = _handle(service, dict(r), now, timeout)
        if act:
            actions.append((r["world_id"], r["path"], act))
            log.info("watchdog", world=r["world_id"], path=r["path"], action=act)
    return actions


def _handle(service, r: dict, now: float, timeout: float) -> str | None:
    old = r["claim_token"]
    job_id = r["provider_job_id"]
    remote_job = bool(job_id) and not job_id.startswith("local-")
    if r["queued_at"] is not None and now - r["queued_at"] > timeout:
        give_up = r["attempts"] >= r["max_attempts"]
        with service.db.write() as c:
            ok = transition(
                c, r["id"], expect={S(r["status"])}, to=S.FAILED if give_up else S.PENDING, token=old, now=now,
                claim_token=None, lease_expires_at=None, provider_job_id=None, progress=0.0,
                progress_message="timed out", failure_code="timeout",
                failure_message=f"generation took longer than {timeout:.0f} s and was cancelled",
                finished_at=now,
            )
            if ok:
                c.execute(update(jobs_t).where(jobs_t.c.scene_id == r["id"], jobs_t.c.claim_token == old,
                                               jobs_t.c.status.in_(["submitting", "running"]))
                          .values(status="cancelled", finished_at=now))
        if not ok:
            return None
        if remote_job:
            _cancel(r["video_provider"], job_id)
        return "failed" if give_up else "recycled"
    # lease expired: the owner is gone
    if r["keyed"]:
        with service.db.write() as c:
            ok = transition(c, r["id"], expect={S(r["status"])}, to=S.PENDING, token=old, now=now,
                            claim_token=None, lease_expires_at=None, progress=0.0,
                            progress_message="interrupted; claim again to continue")
        return "released" if ok else None
    if not remote_job and r["attempts"] >= r["max_attempts"]:
        with service.db.write() as c:
            ok = transition(c, r["id"], expect={S(r["status"])}, to=S.FAILED, token=old, now=now,
                            claim_token=None, lease_expires_at=None, failure_code="worker_lost",
                            failure_message="the worker stopped too many times", finished_at=now)
        return "failed" if ok else None
    new = uuid.uuid4().hex
    with service.db.write() as c:
        ok = transition(
            c, r["id"], expect={S(r["status"])}, to=S.QUEUED, token=old, now=now, claim_token=new,
            lease_expires_at=now + service.ws.claim_lease_seconds,
            attempts=r["attempts"] if remote_job else r["attempts"] + 1,
            progress_message="resuming after a lost worker",
        )
        if ok:
            c.execute(update(jobs_t).where(jobs_t.c.scene_id == r["id"], jobs_t.c.claim_token == old,
                                           jobs_t.c.provider_job_id == job_id)
                      .values(claim_token=new) if remote_job else
                      update(jobs_t).where(jobs_t.c.scene_id == r["id"], jobs_t.c.claim_token == old,
                                           jobs_t.c.status.in_(["submitting", "running"]))
                      .values(status="abandoned", finished_at=now))
    if not ok:
        return None
    from worlddirector.world.service import JobTicket

    service.submit_job(JobTicket(r["id"], new, None))
    return "resumed" if remote_job else "restarted"


def _cancel(provider_name: str, job_id: str) -> None:
    try:
        from worlddirector.providers.registry import get_provider

        p = get_provider(provider_name)
        if hasattr(p, "cancel"):
            p.cancel(job_id)
    except Exception as exc:  # noqa: BLE001 - best effort: the branch is recycled either way
        log.warning("could not cancel provider job", provider=provider_name, error=type(exc).__name__)


class Watchdog:
    def __init__(self, service, interval: float):
        self.service, self.interval = service, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="world-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                sweep(self.service)
            except Exception as exc:  # noqa: BLE001 - keep watching; a DB hiccup must not kill the thread
                log.warning("watchdog scan failed", error=type(exc).__name__)
            if self._stop.wait(self.interval):
                return
