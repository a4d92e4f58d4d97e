"""One scene job: plan → generate (or resume the paid job) → check → publish → complete.

Every write checks that this job still owns the claim (``claim_token``); the moment it does not
(the watchdog recycled it, a newer claim took over) the job stops and throws its output away, so a
late duplicate can never overwrite a finished scene. The provider's job id is written the moment
it exists, and a ledger row is written *before* the provider is called, so a crash at any point
leaves enough behind to resume the paid job instead of paying again, and to count paid jobs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert, select, update

from worlddirector.config import parse_size
from worlddirector.errors import WDError
from worlddirector.logging import _KEYLIKE, get_logger
from worlddirector.world.models import JobRecord, SceneRecord, WorldRecord
from worlddirector.world.paths import child_path
from worlddirector.world.planner import AncestorInfo, plan_scene
from worlddirector.world.states import ACTIVE, SceneStatus, record, touch, transition

log = get_logger(__name__)
S = SceneStatus
scenes_t = SceneRecord.__table__
worlds_t = WorldRecord.__table__
jobs_t = JobRecord.__table__
PUBLISHED_FILES = ("video.mp4", "generation.json", "ground_truth.json", "first_frame.jpg", "last_frame.jpg")


class ClaimLost(Exception):
    """This job no longer owns its scene; stop and discard."""


def safe_message(text: str, api_key: SecretStr | None) -> str:
    """A failure reason fit to show the public: the caller's key (or anything key-like) removed."""
    if api_key is not None and api_key.get_secret_value():
        text = text.replace(api_key.get_secret_value(), "[redacted]")
    text = _KEYLIKE.sub("[redacted]", text)
    return " ".join(text.split())[:500] or "generation failed"


class Lease:
    """Renews the claim's lease in the background while the job works; notices when it is lost."""

    def __init__(self, service, scene_id: int, token: str):
        self.service, self.scene_id, self.token = service, scene_id, token
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._progress: tuple[float, str] | None = None
        self._last_progress_write = 0.0
        self._thread = threading.Thread(target=self._run, name=f"lease-{scene_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        period = max(0.2, self.service.ws.claim_lease_seconds / 3)
        while not self._stop.wait(period):
            self.renew()

    def renew(self, **values) -> bool:
        now = time.time()
        with self.service.db.write() as c:
            ok = touch(c, self.scene_id, self.token, now=now,
                       lease_expires_at=now + self.service.ws.claim_lease_seconds, **values)
        if not ok:
            self.lost.set()
        return ok

    def check(self) -> None:
        if self.lost.is_set():
            raise ClaimLost()

    def progress(self, fraction: float, message: str, *, force: bool = False) -> None:
        """Record progress (throttled to ~4 writes/s) and renew the lease with it."""
        self.check()
        now = time.monotonic()
        if force or now - self._last_progress_write >= 0.25:
            self._last_progress_write = now
            self.renew(progress=round(max(0.0, min(1.0, fraction)), 4), progress_message=message[:200])
            self.check()


def _ledger_insert(service, scene_id: int, token: str, provider: str) -> int:
    with service.db.write() as c:
        res = c.execute(
            insert(jobs_t).values(
                scene_id=scene_id, claim_token=token, provider=provider, status="submitting",
                pid=os.getpid(), created_at=time.time(), cost_usd=0.0,
            )
        )
        return int(res.inserted_primary_key[0])


def _ledger_update(service, job_row: int | None, **values) -> None:
    if job_row is None:
        return
    with service.db.write() as c:
        c.execute(update(jobs_t).where(jobs_t.c.id == job_row).values(**values))


def _ledger_for_job(service, scene_id: int, provider_job_id: str) -> int | None:
    with service.db.read() as c:
        return c.execute(
            select(jobs_t.c.id).where(jobs_t.c.scene_id == scene_id, jobs_t.c.provider_job_id == provider_job_id)
            .order_by(jobs_t.c.id.desc())
        ).scalar()


def scene_seed(world_id: str, path: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{world_id}:{path}".encode()).digest()[:4], "big")


def media_prefix(world_id: str, scene_id: int, token: str) -> str:
    return f"worlds/{world_id}/scenes/{scene_id}-{token[:12]}"


def local_clip_dir(service, world_id: str, scene: dict) -> Path | None:
    """A local directory holding a ready scene's published files (fetched from storage if needed)."""
    media = scene.get("media") or {}
    if not media.get("video"):
        return None
    d = service.cache_dir / world_id / f"published-{scene['id']}"
    if (d / "video.mp4").exists():
        return d
    tmp = d.with_name(d.name + f".tmp{os.getpid()}-{threading.get_ident()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED_FILES:
        key = media.get("files", {}).get(name)
        if key:
            service.storage.get_file(key, tmp / name)
    try:
        tmp.rename(d)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return d


def run_scene_job(service, scene_id: int, token: str, api_key: SecretStr | None = None) -> str:
    """Run one scene job to completion; returns the final outcome (``ready``, ``failed``, ``lost``)."""
    with service.db.read() as c:
        row = c.execute(select(scenes_t).where(scenes_t.c.id == scene_id)).mappings().first()
        if row is None:
            return "lost"
        world = dict(c.execute(select(worlds_t).where(worlds_t.c.id == row["world_id"])).mappings().first())
    row = dict(row)
    if row["claim_token"] != token or row["status"] not in ACTIVE:
        return "lost"
    wlog = log.bind(world=world["id"], path=row["path"], scene=scene_id)
    t0 = time.time()
    job_row = None
    prefix = media_prefix(world["id"], scene_id, token)
    work = service.cache_dir / world["id"] / f"scene-{scene_id}-{token[:12]}"
    try:
        with Lease(service, scene_id, token) as lease:
            with service.db.write() as c:
                if not transition(c, scene_id, expect={S.QUEUED, S.GENERATING}, to=S.GENERATING, token=token,
                                  started_at=t0, progress_message="starting",
                                  lease_expires_at=t0 + service.ws.claim_lease_seconds):
                    raise ClaimLost()
            wlog.info("scene job started", attempt=row["attempts"])
            ancestors, parent = _ancestors(service, world["id"], row)
            if not row["prompt"]:
                lease.progress(0.02, "planning the scene", force=True)
                plan = plan_scene(
                    llm_name=world["llm"], base_prompt=world["base_prompt"], guidance=world["guidance"],
                    path=row["path"], choice_label=row["choice_label"], ancestors=ancestors,
                    seconds=world["seconds"], api_key=api_key, settings=service.settings,
                    summary_model=world["summary_model"],
                )
                row["prompt"] = plan.scene_prompt
                row["choices"] = [c.model_dump() for c in plan.choices]
                row["state_summary"] = plan.state_summary
                if not lease.renew(prompt=row["prompt"], choices=row["choices"], state_summary=row["state_summary"]):
                    raise ClaimLost()
            parent_dir = local_clip_dir(service, world["id"], parent) if parent else None
            gen, job_row = _generate(service, world, row, token, api_key, work, parent_dir, lease, wlog)
            lease.progress(0.9, "checking the clip", force=True)
            from worlddirector.world.frames import continuity_score, first_last_frames

            first_last_frames(work / "video.mp4", work / "first_frame.jpg", work / "last_frame.jpg")
            cont = None
            if parent_dir and (parent_dir / "last_frame.jpg").exists():
                cont = continuity_score(parent_dir / "last_frame.jpg", work / "first_frame.jpg")
            quality = None
            if world["quality_gate"]:
                from worlddirector.world.quality import quality_gate

                quality, regenerated = quality_gate(
                    service, world, row, token, api_key, work, parent_dir, lease, wlog, _generate
                )
                if regenerated is not None:
                    _ledger_update(service, job_row, status="completed", finished_at=time.time())  # paid, rejected
                    gen, job_row = regenerated
                    first_last_frames(work / "video.mp4", work / "first_frame.jpg", work / "last_frame.jpg")
                    if parent_dir and (parent_dir / "last_frame.jpg").exists():
                        cont = continuity_score(parent_dir / "last_frame.jpg", work / "first_frame.jpg")
            lease.progress(0.95, "publishing", force=True)
            files, total = {}, 0
            for name in PUBLISHED_FILES:
                if (work / name).exists():
                    key = f"{prefix}/{name}"
                    total += service.storage.put_file(key, work / name)
                    files[name] = key
            media = {"video": files["video.mp4"], "first_frame": files.get("first_frame.jpg"),
                     "last_frame": files.get("last_frame.jpg"), "files": files}
            lease.check()
            now = time.time()
            with service.db.write() as c:
                ok = transition(
                    c, scene_id, expect={S.GENERATING}, to=S.READY, token=token, now=now,
                    media=media, storage_bytes=total, finished_at=now, render_seconds=round(now - t0, 3),
                    progress=1.0, progress_message="ready", continuity_score=cont, quality=quality,
                    lease_expires_at=None, prompt=row["prompt"], provider=world["video_provider"],
                )
                if ok and row["depth"] < world["max_depth"]:
                    _insert_children(c, world["id"], scene_id, row["path"], row["choices"] or [], now)
            if not ok:
                raise ClaimLost()
            _ledger_update(service, job_row, status="completed", finished_at=now,
                           cost_usd=float(getattr(gen, "cost_usd", 0.0) or 0.0))
            wlog.info("scene ready", seconds=round(now - t0, 2), continuity=cont)
            for d in (work, work.parent / (work.name + "-qa1"), work.parent / (work.name + "-qa2")):
                shutil.rmtree(d, ignore_errors=True)
            return "ready"
    except ClaimLost:
        wlog.info("scene job lost its claim; output discarded")
        service.storage.delete_prefix(prefix)
        _ledger_update(service, job_row, status="superseded", finished_at=time.time())
        shutil.rmtree(work, ignore_errors=True)
        return "lost"
    except Exception as exc:  # noqa: BLE001 - every failure becomes a safe public reason
        code = exc.code if isinstance(exc, WDError) else "internal_error"
        msg = safe_message(str(exc), api_key) if isinstance(exc, WDError) else "generation failed unexpectedly"
        if isinstance(exc, WDError):
            wlog.warning("scene job failed", code=code, reason=msg)
        else:
            wlog.error("scene job crashed", code=code, error=type(exc).__name__, reason=safe_message(str(exc), api_key))
        now = time.time()
        with service.db.write() as c:
            transition(c, scene_id, expect=set(ACTIVE), to=S.FAILED, token=token, now=now, failure_code=code,
                       failure_message=msg, finished_at=now, lease_expires_at=None, progress_message="failed",
                       provider_job_id=None)  # a failed paid job is never resumed (the ledger keeps its id)
        _ledger_update(service, job_row, status="failed", finished_at=now)
        service.storage.delete_prefix(prefix)
        shutil.rmtree(work, ignore_errors=True)
        return "failed"


def _ancestors(service, world_id: str, row: dict) -> tuple[list[AncestorInfo], dict | None]:
    if not row["path"]:
        return [], None
    parts = row["path"].split("/")
    paths = [""] + ["/".join(parts[:i]) for i in range(1, len(parts))]
    with service.db.read() as c:
        rows = {
            r["path"]: dict(r)
            for r in c.execute(
                select(scenes_t).where(scenes_t.c.world_id == world_id, scenes_t.c.path.in_(paths))
            ).mappings()
        }
    chain = [rows[p] for p in paths if p in rows]
    infos = [AncestorInfo(p["path"], p["prompt"] or "", p["choice_label"], p["state_summary"]) for p in chain]
    return infos, (chain[-1] if chain else None)


def _insert_children(c, world_id: str, parent_id: int, path: str, choices: list[dict], now: float) -> None:
    from worlddirector.world.service import _new_scene

    dialect = c.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dins
    else:
        from sqlalchemy.dialects.sqlite import insert as dins
    for i, ch in enumerate(choices):
        kid = child_path(path, i)
        made = c.execute(
            dins(scenes_t).values(**_new_scene(world_id, kid, parent_id, i, ch.get("label"), now))
            .on_conflict_do_nothing(index_elements=["world_id", "path"])
        ).rowcount
        if made == 1:
            record(c, scenes_t.c.world_id == world_id, scenes_t.c.path == kid, now=now)


def build_request(world: dict, row: dict, prompt: str, api_key: SecretStr | None, parent_dir: Path | None,
                  *, resume_job_id: str | None = None, timeout: float | None = None, reroll: int = 0):
    from worlddirector.providers.base import VideoRequest

    procedural = world["video_provider"] == "procedural"
    return VideoRequest(
        prompt=prompt,
        seconds=float(world["seconds"]),
        size=parse_size(world["video_size"]),
        fps=int(world["fps"]),
        seed=scene_seed(world["id"], row["path"]) + reroll,
        model=world["video_model"],
        continue_from=parent_dir if (procedural and parent_dir) else None,
        reference_image=(parent_dir / "last_frame.jpg") if (parent_dir and not procedural) else None,
        api_key=api_key,
        resume_job_id=resume_job_id,
        deadline_seconds=timeout,
    )


def _generate(service, world, row, token, api_key, work: Path, parent_dir, lease: Lease, wlog, prompt=None,
              reroll: int = 0):
    """Produce ``work/video.mp4``: resume the scene's paid job if it has one, else start one.

    Remote providers write ``job.json`` the moment the vendor returns a job id and report progress
    right after; the progress callback copies the id into the scene row at that moment, so from
    then on a crash resumes the paid job (``resume_job_id``) instead of submitting another.
    """
    from worlddirector.providers.generate import check_out_dir, generate
    from worlddirector.providers.registry import get_provider

    name = world["video_provider"]
    remote = not get_provider(name).synthetic
    known = row.get("provider_job_id")
    resume = known if (remote and known and not known.startswith("local-")) else None
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    if resume:
        job_row = _ledger_for_job(service, row["id"], resume)
        _ledger_update(service, job_row, claim_token=token)
        wlog.info("resuming provider job", provider=name, job=resume)
    else:
        job_row = _ledger_insert(service, row["id"], token, name)  # before the provider is called
        if not remote:
            local_id = f"local-{token[:12]}-{job_row}"
            _ledger_update(service, job_row, provider_job_id=local_id, status="running")
            if not lease.renew(provider_job_id=local_id, provider=name):
                raise ClaimLost()
    request = build_request(world, row, prompt or row["prompt"], api_key, parent_dir, resume_job_id=resume,
                            reroll=reroll, timeout=service.settings.scene_timeout_seconds + 60)  # the watchdog acts first
    recorded: list[str | None] = [resume]

    def on_progress(frac: float, msg: str) -> None:
        if remote and recorded[0] is None and (work / "job.json").exists():
            import json

            jid = json.loads((work / "job.json").read_text())["job_id"]
            recorded[0] = jid
            _ledger_update(service, job_row, provider_job_id=jid, status="running")
            if not lease.renew(provider_job_id=jid, provider=name):
                get_provider(name).cancel(jid, api_key=api_key.get_secret_value() if api_key else None)
                raise ClaimLost()
            wlog.info("provider job submitted", provider=name, job=jid)
        lease.progress(0.05 + 0.8 * frac, msg)

    if remote and api_key is not None:
        # providers.generate() refuses a provider the operator has not configured even when the
        # request carries the caller's own key; the provider itself accepts that key, so call it.
        check_out_dir(work, True)
        gen = get_provider(name).generate(request, work, on_progress)
    else:
        gen = generate(request, work, provider=name, force=True, on_progress=on_progress)
    lease.check()
    return gen, job_row
