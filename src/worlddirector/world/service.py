"""The shared world's business rules, testable without HTTP: worlds, scenes, claims, retry, metrics.

The server is a thin layer over :class:`WorldService`; the CLI (``worlddirector world prerender``)
and the bench use it directly. Claims are compare-and-set writes (:mod:`.states`), so two server
processes on one database never both start a branch.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, insert, select

from worlddirector.config import Settings, get_settings
from worlddirector.errors import BadInputError, NotFoundError, WDError
from worlddirector.logging import get_logger
from worlddirector.storage import Storage, get_storage
from worlddirector.world import defaults
from worlddirector.world.contributors import RateLimited, SlidingWindow, contributor_hash
from worlddirector.world.db import Database
from worlddirector.world.models import JobRecord, SceneEventRecord, SceneRecord, WorldRecord
from worlddirector.world.paths import child_path, format_path, parent_path, parse_path
from worlddirector.world.schemas import (
    ChoiceView,
    ClaimResult,
    Failure,
    MediaView,
    MetricsView,
    RenderStats,
    SceneView,
    TreeNode,
    WorldCreate,
    WorldView,
)
from worlddirector.world.settings import WorldSettings
from worlddirector.world.states import ACTIVE, SceneStatus, record, transition

log = get_logger(__name__)
S = SceneStatus
worlds_t = WorldRecord.__table__
scenes_t = SceneRecord.__table__
jobs_t = JobRecord.__table__
scene_events_t = SceneEventRecord.__table__


class NotReadyError(WDError):
    """The branch cannot be reached yet (its parent is still being made)."""

    code = "parent_not_ready"
    http_status = 409


class KeyRequiredError(WDError):
    code = "api_key_required"
    http_status = 401


class ConflictError(WDError):
    code = "conflict"
    http_status = 409


@dataclass
class JobTicket:
    """What a runner needs to run one scene job. ``api_key`` lives in memory only."""

    scene_id: int
    token: str
    api_key: SecretStr | None = None


class WorldService:
    """One per process. ``start()`` migrates, ensures the default world, starts jobs and the watchdog."""

    def __init__(
        self,
        settings: Settings | None = None,
        world_settings: WorldSettings | None = None,
        *,
        storage: Storage | None = None,
    ):
        self.settings = settings or get_settings()
        self.ws = world_settings or WorldSettings()
        self.db = Database(self.settings.database_url)
        self.storage = storage or get_storage(self.settings)
        self.cache_dir = Path(self.settings.data_dir) / "world-cache"
        self.runner = None
        self.watchdog = None
        self._ip_limit = SlidingWindow(self.ws.claim_rate_per_ip, self.ws.claim_rate_window_seconds)
        self._contrib_limit = SlidingWindow(self.ws.claim_rate_per_contributor, self.ws.claim_rate_window_seconds)
        self._world_cache: dict[str, tuple[float, dict]] = {}
        self._scene_cache: dict[tuple[str, str], tuple[float, bytes]] = {}
        self._ready_keys: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, *, jobs: bool = True, watchdog: bool | None = None) -> WorldService:
        self.db.migrate()
        self.ensure_default_world()
        if jobs:
            from worlddirector.world.runner import make_runner

            self.runner = make_runner(self)
        if (self.ws.watchdog if watchdog is None else watchdog) and jobs:
            from worlddirector.world.watchdog import Watchdog

            self.watchdog = Watchdog(self, interval=self.settings.watchdog_interval_seconds)
            self.watchdog.start()
        return self

    def close(self, *, wait_for_jobs: bool = False) -> None:
        if self.watchdog:
            self.watchdog.stop()
        if self.runner:
            self.runner.shutdown(wait_for_jobs)
        self.db.dispose()

    # ---- worlds ----------------------------------------------------------------------------

    def ensure_default_world(self) -> None:
        sid = self.settings.world_id
        with self.db.read() as c:
            if c.execute(select(worlds_t.c.id).where(worlds_t.c.id == sid)).first():
                return
        spec = WorldCreate(
            id=sid,
            title=defaults.DEFAULT_TITLE,
            base_prompt=self.settings.world_base_prompt or defaults.DEFAULT_BASE_PROMPT,
            guidance=self.settings.world_prompt_guidance or defaults.DEFAULT_GUIDANCE,
        )
        try:
            self.create_world(spec)
        except ConflictError:
            pass  # another process created it first

    def create_world(self, spec: WorldCreate) -> WorldView:
        from worlddirector.providers.registry import provider_names

        provider = spec.video_provider or self.settings.video_provider
        if provider not in provider_names():
            raise BadInputError(f"unknown video provider {provider!r}; choose one of: {', '.join(provider_names())}")
        llm = spec.llm or self.settings.llm
        from worlddirector.llm import LLM_NAMES

        if llm not in LLM_NAMES:
            raise BadInputError(f"unknown model backend {llm!r}; choose one of: {', '.join(LLM_NAMES)}")
        wid = spec.id or uuid.uuid4().hex[:12]
        now = time.time()
        row = dict(
            id=wid,
            title=spec.title or "",
            base_prompt=spec.base_prompt,
            guidance=spec.guidance,
            video_provider=provider,
            video_model=spec.video_model,
            llm=llm,
            planner_model=spec.planner_model,
            summary_model=self.settings.state_summary_model or None,
            video_size=spec.video_size or self.settings.video_size,
            seconds=spec.seconds or self.ws.scene_seconds,
            fps=spec.fps or self.ws.scene_fps,
            max_depth=spec.max_depth or self.ws.world_max_depth,
            max_attempts=spec.max_attempts or self.ws.scene_max_attempts,
            quality_gate=self.ws.quality_gate if spec.quality_gate is None else spec.quality_gate,
            created_at=now,
        )
        from sqlalchemy.exc import IntegrityError

        try:
            with self.db.write() as c:
                c.execute(insert(worlds_t).values(**row))
                c.execute(insert(scenes_t).values(**_new_scene(wid, "", None, None, None, now)))
                record(c, scenes_t.c.world_id == wid, scenes_t.c.path == "", now=now)
        except IntegrityError:
            raise ConflictError(f"world {wid!r} already exists") from None
        log.info("world created", world=wid, provider=provider, llm=llm)
        return self.get_world(wid)

    def _world_row(self, world_id: str) -> dict:
        hit = self._world_cache.get(world_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        with self.db.read() as c:
            r = c.execute(select(worlds_t).where(worlds_t.c.id == world_id)).mappings().first()
        if r is None:
            raise NotFoundError(f"no world {world_id[:80]!r}")
        row = dict(r)
        self._world_cache[world_id] = (time.monotonic() + 5.0, row)  # worlds never change after creation
        return row

    def get_world(self, world_id: str) -> WorldView:
        w = self._world_row(world_id)
        with self.db.read() as c:
            st = c.execute(
                select(scenes_t.c.status).where(scenes_t.c.world_id == world_id, scenes_t.c.path == "")
            ).scalar()
        return WorldView(**{k: w[k] for k in WorldView.model_fields if k in w}, root_status=st)

    def list_worlds(self) -> list[WorldView]:
        with self.db.read() as c:
            ids = [r[0] for r in c.execute(select(worlds_t.c.id).order_by(worlds_t.c.created_at))]
        return [self.get_world(i) for i in ids]

    # ---- scenes ----------------------------------------------------------------------------

    def scene_json(self, world_id: str, path: str | None) -> bytes:
        """``get_scene`` serialised, through a short per-process cache (the hot read path).

        Many explorers poll the same few scenes; within ``WD_SCENE_CACHE_SECONDS`` (default 0.5 s)
        one database read answers all of them. Writes made by this process drop the entry at once;
        another replica's writes show up within the TTL (live status also arrives by SSE). Claims
        never read through the cache.
        """
        hit = self.cached_scene(world_id, path)
        if hit is not None:
            return hit
        return self.refresh_scene(world_id, path)

    def refresh_scene(self, world_id: str, path: str | None) -> bytes:
        """Read the scene from the database and cache its serialised view."""
        ttl = self.ws.scene_cache_seconds
        key = (world_id, path or "")
        now = time.monotonic()
        view = self.get_scene(world_id, path)
        data = view.model_dump_json(by_alias=True).encode()
        if view.status == S.READY:
            self._ready_keys.add(key)  # ready is terminal: it stays ready
        if ttl > 0:
            if len(self._scene_cache) > 10_000:
                self._scene_cache.clear()
            self._scene_cache[key] = (now + ttl, data)
        return data

    def cached_scene(self, world_id: str, path: str | None) -> bytes | None:
        """A cached view, or ``None`` when the caller should read the database.

        When an entry has just expired, only the first caller is told to refresh it; the others
        keep getting the previous view until that refresh lands (no stampede of identical reads).
        """
        key = (world_id, path or "")
        hit = self._scene_cache.get(key)
        if hit is None:
            return None
        now = time.monotonic()
        if hit[0] > now:
            return hit[1]
        with self._lock:
            hit = self._scene_cache.get(key)
            if hit is None:
                return None
            if hit[0] > now:
                return hit[1]
            self._scene_cache[key] = (now + 5.0, hit[1])  # others: stale view while this caller refreshes
        return None

    def forget(self, world_id: str, path: str) -> None:
        """Drop cached views of ``path`` and its parent (whose choice statuses include it)."""
        self._scene_cache.pop((world_id, path), None)
        par = parent_path(path)
        if par is not None:
            self._scene_cache.pop((world_id, par), None)

    def get_scene(self, world_id: str, path: str | None) -> SceneView:
        """The scene at ``path`` with its children's statuses. Never creates a row."""
        w = self._world_row(world_id)
        canon = format_path(parse_path(path, max_depth=w["max_depth"]))
        kids = [child_path(canon, i) for i in range(10)]
        with self.db.read() as c:
            rows = c.execute(
                select(scenes_t).where(scenes_t.c.world_id == world_id, scenes_t.c.path.in_([canon, *kids]))
            ).mappings().all()
            by_path = {r["path"]: r for r in rows}
            row = by_path.get(canon)
            if row is None:
                raise self._why_missing(c, w, canon)
        return self._view(w, row, by_path)

    def _why_missing(self, c, w: dict, canon: str) -> WDError:
        parent = parent_path(canon)
        if parent is None:
            return NotFoundError(f"world {w['id']!r} has no opening scene")
        prow = c.execute(
            select(scenes_t.c.status, scenes_t.c.choices).where(
                scenes_t.c.world_id == w["id"], scenes_t.c.path == parent
            )
        ).first()
        if prow is None:
            return NotFoundError(f"no branch {canon!r}: its parent {parent or '(opening scene)'!r} does not exist yet")
        if prow.status != S.READY:
            return NotReadyError(f"branch {canon!r} is not reachable yet: its parent is {prow.status}")
        n = len(prow.choices or [])
        idx = int(canon.rsplit("/", 1)[-1])
        if idx >= n:
            return BadInputError(f"no choice {idx} at {parent or '(opening scene)'!r}: it offers {n} choices")
        return NotFoundError(f"no branch {canon!r}")

    def _media_url(self, key: str | None) -> str | None:
        return self.storage.url(key) if key else None

    def _view(self, w: dict, row, by_path: dict) -> SceneView:
        choices = []
        for i, ch in enumerate(row["choices"] or []):
            cp = child_path(row["path"], i)
            kid = by_path.get(cp)
            choices.append(
                ChoiceView(index=i, label=ch.get("label", ""), short=ch.get("short", ""), path=cp,
                           status=kid["status"] if kid is not None else None)
            )
        media = row["media"] or {}
        fail = None
        if row["status"] == S.FAILED and row["failure_code"]:
            fail = Failure(code=row["failure_code"], message=row["failure_message"] or "generation failed")
        return SceneView(
            world_id=w["id"],
            path=row["path"],
            depth=row["depth"],
            status=row["status"],
            prompt=row["prompt"],
            choice_label=row["choice_label"],
            choices=choices,
            state_summary=row["state_summary"],
            media=MediaView(
                video=self._media_url(media.get("video")),
                first_frame=self._media_url(media.get("first_frame")),
                last_frame=self._media_url(media.get("last_frame")),
            ),
            progress=row["progress"] or 0.0,
            progress_message=row["progress_message"],
            attempts=row["attempts"],
            provider=row["provider"],
            failure=fail,
            continuity_score=row["continuity_score"],
            render_seconds=row["render_seconds"],
            quality=row["quality"],
            is_ending=row["status"] == S.READY and row["depth"] >= w["max_depth"],
            updated_at=row["updated_at"],
        )

    def scene_row(self, world_id: str, path: str) -> dict | None:
        with self.db.read() as c:
            r = c.execute(
                select(scenes_t).where(scenes_t.c.world_id == world_id, scenes_t.c.path == path)
            ).mappings().first()
        return dict(r) if r else None

    # ---- claims ----------------------------------------------------------------------------

    def _needs_key(self, w: dict) -> tuple[bool, str]:
        """Whether a claim must bring its own key: the provider is not configured by the operator."""
        from worlddirector.providers.registry import get_provider

        ready, why = get_provider(w["video_provider"]).configured()
        return (not ready), why

    def claim(
        self, world_id: str, path: str | None, api_key: SecretStr | None = None, client_ip: str | None = None
    ) -> ClaimResult:
        """Claim a branch: exactly one caller, across all processes, starts its generation."""
        w = self._world_row(world_id)
        canon = format_path(parse_path(path, max_depth=w["max_depth"]))
        self._ip_limit.hit(f"ip:{client_ip}", "claims from your address")
        return self._claim_or_retry(w, canon, api_key, client_ip, expect={S.PENDING})

    def claim_ready_fast(self, world_id: str, path: str | None, client_ip: str | None) -> bytes | None:
        """The common claim, on a branch that already exists, answered from the scene cache.

        ``ready`` is terminal, so a cached ready view is a correct answer to a claim (the claim could
        never start anything). Returns the ClaimResult JSON, or ``None`` to take the full path.
        """
        key = (world_id, path or "")
        if key not in self._ready_keys:
            return None
        data = self.cached_scene(world_id, path)
        if data is None:
            return None
        self._ip_limit.hit(f"ip:{client_ip}", "claims from your address")
        return b'{"status":"ready","started":false,"scene":' + data + b"}"

    def retry(
        self, world_id: str, path: str | None, api_key: SecretStr | None = None, client_ip: str | None = None
    ) -> ClaimResult:
        """Start a failed (or still pending) branch again; a ready or running branch is returned as is."""
        w = self._world_row(world_id)
        canon = format_path(parse_path(path, max_depth=w["max_depth"]))
        self._ip_limit.hit(f"ip:{client_ip}", "claims from your address")
        return self._claim_or_retry(w, canon, api_key, client_ip, expect={S.PENDING, S.FAILED})

    def _claim_or_retry(self, w, canon, api_key, client_ip, *, expect) -> ClaimResult:
        if api_key is not None and not api_key.get_secret_value().strip():
            api_key = None
        row = self.scene_row(w["id"], canon)
        if row is None:
            with self.db.read() as c:
                raise self._why_missing(c, w, canon)
        started = False
        if row["status"] in expect:
            if api_key is None:
                needs, why = self._needs_key(w)
                if needs:
                    raise KeyRequiredError(
                        f"this branch is not generated yet and provider {w['video_provider']!r} needs a key: "
                        f"send your own as apiKey ({why})"
                    )
            who = contributor_hash(self.settings.contributor_salt, api_key, client_ip)
            self._contrib_limit.check(who, "branch generations from you")
            token = uuid.uuid4().hex
            now = time.time()
            # a branch released after a crash keeps its paid job for the contributor who started it
            resume_job = row["provider_job_id"] if (row["status"] == S.PENDING and row["claimant"] == who) else None
            with self.db.write() as c:
                started = transition(
                    c, row["id"], expect=expect, to=S.QUEUED, now=now,
                    claimant=who, claim_token=token, lease_expires_at=now + self.ws.claim_lease_seconds,
                    attempts=scenes_t.c.attempts + 1, queued_at=now, started_at=None, finished_at=None,
                    progress=0.0, progress_message="queued", failure_code=None, failure_message=None,
                    keyed=api_key is not None, provider_job_id=resume_job,
                )
            if started:
                self.forget(w["id"], canon)
                self._contrib_limit.hit(who, "branch generations from you")
                log.info("branch claimed", world=w["id"], path=canon, contributor=who)
                self.submit_job(JobTicket(row["id"], token, api_key))
            row = self.scene_row(w["id"], canon)
        st = row["status"]
        status = "ready" if st == S.READY else "failed" if st == S.FAILED else "queued"
        return ClaimResult(status=status, started=started, scene=self.get_scene(w["id"], canon))

    def submit_job(self, ticket: JobTicket) -> None:
        if self.runner is None:
            raise WDError("this process runs no jobs (started with jobs=False)")
        self.runner.submit(ticket)

    # ---- views over the whole world ----------------------------------------------------------

    def metrics(self, world_id: str) -> MetricsView:
        self._world_row(world_id)
        with self.db.read() as c:
            counts = dict(
                c.execute(
                    select(scenes_t.c.status, func.count()).where(scenes_t.c.world_id == world_id).group_by(
                        scenes_t.c.status
                    )
                ).all()
            )
            size = c.execute(
                select(func.coalesce(func.sum(scenes_t.c.storage_bytes), 0)).where(scenes_t.c.world_id == world_id)
            ).scalar()
            jobs = dict(
                c.execute(
                    select(jobs_t.c.status, func.count())
                    .select_from(jobs_t.join(scenes_t, jobs_t.c.scene_id == scenes_t.c.id))
                    .where(scenes_t.c.world_id == world_id)
                    .group_by(jobs_t.c.status)
                ).all()
            )
            renders = [
                r[0] for r in c.execute(
                    select(scenes_t.c.render_seconds).where(
                        scenes_t.c.world_id == world_id, scenes_t.c.render_seconds.is_not(None)
                    )
                )
            ]
            cont = [
                r[0] for r in c.execute(
                    select(scenes_t.c.continuity_score).where(
                        scenes_t.c.world_id == world_id, scenes_t.c.continuity_score.is_not(None)
                    )
                )
            ]
        branches = {s.value: int(counts.get(s.value, 0)) for s in SceneStatus}
        branches["total"] = sum(branches.values())
        done, bad = jobs.get("completed", 0), jobs.get("failed", 0) + jobs.get("cancelled", 0)
        return MetricsView(
            world_id=world_id,
            branches=branches,
            storage_bytes=int(size or 0),
            jobs={k: int(v) for k, v in jobs.items()} | {"total": int(sum(jobs.values()))},
            success_rate=(done / (done + bad)) if done + bad else None,
            render_seconds=_stats(renders),
            continuity=_stats(cont),
        )

    def tree(self, world_id: str) -> TreeNode:
        self._world_row(world_id)
        with self.db.read() as c:
            rows = c.execute(
                select(
                    scenes_t.c.path, scenes_t.c.status, scenes_t.c.choices, scenes_t.c.progress,
                    scenes_t.c.choice_label,
                ).where(scenes_t.c.world_id == world_id)
            ).mappings().all()
        nodes = {r["path"]: TreeNode(path=r["path"], status=r["status"], progress=r["progress"] or 0.0) for r in rows}
        choices = {r["path"]: r["choices"] or [] for r in rows}
        for p in sorted(nodes, key=lambda s: (s.count("/") if s else -1, s)):
            par = parent_path(p)
            if par is not None and par in nodes:
                idx = int(p.rsplit("/", 1)[-1])
                ch = choices[par][idx] if idx < len(choices[par]) else {}
                nodes[p].label, nodes[p].short = ch.get("label"), ch.get("short")
                nodes[par].children.append(nodes[p])
        for n in nodes.values():
            n.children.sort(key=lambda k: int(k.path.rsplit("/", 1)[-1]))
        if "" not in nodes:
            raise NotFoundError(f"world {world_id!r} has no opening scene")
        return nodes[""]

    def events_after(self, world_id: str, after_id: int | None, since: float | None = None,
                     limit: int = 500) -> list[dict[str, Any]]:
        """The world's change log (for server-sent events; works across processes), oldest first.

        Rows with ``id > after_id``, or, when ``after_id`` is None, rows written after ``since``.
        """
        self._world_row(world_id)
        ev = scene_events_t.c
        q = select(ev.id, ev.path, ev.status, ev.progress, ev.progress_message, ev.version, ev.failure_code,
                   ev.created_at).where(ev.world_id == world_id)
        q = q.where(ev.id > after_id) if after_id is not None else q.where(ev.created_at > (since or 0.0))
        with self.db.read() as c:
            return [dict(r) for r in c.execute(q.order_by(ev.id).limit(limit)).mappings()]

    def jobs_for(self, world_id: str, path: str) -> list[dict]:
        """The provider-job ledger rows of one branch (tests and the bench count these)."""
        with self.db.read() as c:
            return [
                dict(r) for r in c.execute(
                    select(jobs_t).select_from(jobs_t.join(scenes_t, jobs_t.c.scene_id == scenes_t.c.id))
                    .where(scenes_t.c.world_id == world_id, scenes_t.c.path == path)
                ).mappings()
            ]


def _stats(xs: list[float]) -> RenderStats:
    if not xs:
        return RenderStats()
    return RenderStats(count=len(xs), p50=statistics.median(xs), mean=statistics.fmean(xs), max=max(xs))


def _new_scene(world_id: str, path: str, parent_id: int | None, index: int | None, label: str | None, now: float):
    return dict(
        world_id=world_id, path=path, depth=0 if not path else path.count("/") + 1, parent_id=parent_id,
        choice_index=index, choice_label=label, status=S.PENDING.value, storage_bytes=0, attempts=0,
        keyed=False, progress=0.0, version=0, created_at=now, updated_at=now,
    )


__all__ = ["ACTIVE", "ConflictError", "JobTicket", "KeyRequiredError", "NotReadyError", "RateLimited", "WorldService"]
