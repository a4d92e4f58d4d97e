"""HTTP API behind the director view: start runs, follow them live, reopen them, serve their files.

A run is a directory ``<runs_dir>/<run-id>/`` written by :func:`worlddirector.director.direct`.
The server adds two small files of its own beside the director's ``run.json``:

* ``ui.json``: what the person asked for (prompt, provider, model layer, source) and the state of
  the background job (``queued | running | finished | failed | interrupted``);
* ``events.jsonl``: every ``on_event`` the director emitted, one JSON object per line with a
  sequence number, so a page opened later (or reconnecting) replays the progress it missed.

Each job runs in its own *spawned* process, not a thread: a stage that crashes or hangs cannot
take the server down, the process can be stopped, and the GIL-heavy parts of the pipeline do not
make the API sluggish. A caller's API key travels to that process through the process pipe only;
it is never written to disk or logged.

Files are served only from inside the run's directory: ``..`` segments, absolute paths and
symlinks that lead outside are refused with a 4xx before anything is opened.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import secrets
import shutil
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worlddirector.config import Settings, parse_size
from worlddirector.errors import BadInputError, NotFoundError, WDError
from worlddirector.logging import get_logger

log = get_logger(__name__)
router = APIRouter(prefix="/api", tags=["director"])

RUN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,95}$")
ITER_RE = re.compile(r"^iter-(\d{2,4})$")
JobStatus = Literal["queued", "running", "finished", "failed", "interrupted"]
ACTIVE = ("queued", "running")


class TooBusy(WDError):
    code = "busy"
    http_status = 429


class Conflict(WDError):
    code = "conflict"
    http_status = 409


class TooLarge(WDError):
    code = "too_large"
    http_status = 413


class DirectorDefaults(BaseSettings):
    """Defaults for runs started from the UI (``WD_DIRECTOR_*``). Tests set tiny clips here."""

    model_config = SettingsConfigDict(env_prefix="WD_DIRECTOR_", env_file=".env", extra="ignore")

    seconds: float = Field(8.0, gt=0, le=60)
    size: str = "640x360"
    fps: int = Field(24, ge=1, le=60)
    iterations: int = Field(3, ge=1, le=20)
    target: float = Field(0.85, gt=0, le=1)
    max_jobs: int = Field(2, ge=1, le=16)

    @field_validator("size")
    @classmethod
    def _size(cls, v: str) -> str:
        parse_size(v)
        return v


# ---- request / response models ----------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRun(_In):
    prompt: str = Field(min_length=1, max_length=2000)
    provider: str = Field("procedural", max_length=64)
    llm: str = Field("offline", max_length=64)
    iterations: int | None = Field(None, ge=1, le=20)
    target: float | None = Field(None, gt=0, le=1)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    budget_usd: float | None = Field(None, ge=0)
    api_key: str | None = Field(None, alias="apiKey", max_length=400)

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("prompt is empty")
        return v


class ContinueRun(_In):
    iterations: int = Field(1, ge=1, le=20, description="how many more iterations to run")
    api_key: str | None = Field(None, alias="apiKey", max_length=400)


class SampleRun(_In):
    provider: str = Field("procedural", max_length=64)
    llm: str = Field("offline", max_length=64)
    iterations: int | None = Field(None, ge=1, le=20)


class RunCreated(BaseModel):
    id: str
    status: JobStatus


# ---- run directory helpers -------------------------------------------------------------------


def _runs_dir(request: Request) -> Path:
    settings: Settings = request.app.state.settings
    d = Path(settings.runs_dir).resolve()
    d.mkdir(parents=True, exist_ok=True)
    return d


def _defaults(request: Request) -> DirectorDefaults:
    d = getattr(request.app.state, "director_defaults", None)
    if d is None:
        d = request.app.state.director_defaults = DirectorDefaults()
    return d


def _check_run_id(run_id: str) -> str:
    if not RUN_ID_RE.match(run_id):
        raise BadInputError(f"bad run id {run_id!r}: lower-case letters, digits and '-' only")
    return run_id


def _run_dir(request: Request, run_id: str, *, must_exist: bool = True) -> Path:
    d = _runs_dir(request) / _check_run_id(run_id)
    if must_exist and not d.is_dir():
        raise NotFoundError(f"no run {run_id!r}")
    return d


def _new_run_id(prompt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:32].strip("-") or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{slug}-{secrets.token_hex(2)}"


def _write_json(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _iterations_on_disk(run_dir: Path) -> list[dict]:
    """Each ``iter-NN`` directory and which artifacts it already holds (for partial runs)."""
    out = []
    for d in sorted(run_dir.iterdir()) if run_dir.is_dir() else []:
        m = ITER_RE.match(d.name)
        if not m or not d.is_dir():
            continue
        files = sorted(
            p.name for p in d.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix in {".mp4", ".json", ".glb", ".ply", ".html"}
        )
        out.append({"n": int(m.group(1)), "dir": d.name, "files": files})
    return out


def _run_iterations(run: dict | None) -> list[dict]:
    its = (run or {}).get("iterations")
    return [i for i in its if isinstance(i, dict)] if isinstance(its, list) else []


def _score_of(it: dict) -> float | None:
    for key in ("score", "overall", "overall_score"):
        v = it.get(key)
        if isinstance(v, (int, float)):
            return float(v)
    metrics = it.get("metrics") or it.get("scores")
    if isinstance(metrics, dict) and isinstance(metrics.get("overall"), (int, float)):
        return float(metrics["overall"])
    return None


# ---- background jobs -------------------------------------------------------------------------


class JobRunner:
    """Spawned processes running :func:`worlddirector.director.direct`, at most ``max_jobs`` at once."""

    def __init__(self, max_jobs: int):
        self.max_jobs = max_jobs
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: dict[str, multiprocessing.process.BaseProcess] = {}

    def alive(self, run_id: str) -> bool:
        p = self._procs.get(run_id)
        return bool(p and p.is_alive())

    def n_alive(self) -> int:
        return sum(1 for p in self._procs.values() if p.is_alive())

    def start(self, run_dir: Path, spec: dict, api_key: str | None) -> None:
        run_id = run_dir.name
        old = self._procs.get(run_id)
        if old is not None and old.is_alive():
            job = (_read_json(run_dir / "ui.json") or {}).get("job") or {}
            if job.get("status") not in ACTIVE:  # finished its work, still exiting: let it go
                old.join(10)
        if self.alive(run_id):
            raise Conflict(f"run {run_id} is already running; wait for it or stop it first")
        if self.n_alive() >= self.max_jobs:
            raise TooBusy(f"{self.n_alive()} runs are already in progress (limit {self.max_jobs}); try again when one finishes")
        meta = _read_json(run_dir / "ui.json") or {}
        meta["job"] = {"status": "queued", "queued_at": time.time(), "spec": spec}
        _write_json(run_dir / "ui.json", meta)
        p = self._ctx.Process(target=_job_main, args=(str(run_dir), spec, api_key), name=f"wd-run-{run_id}")
        p.start()
        self._procs[run_id] = p

    def stop(self, run_id: str) -> bool:
        p = self._procs.get(run_id)
        if not p or not p.is_alive():
            return False
        p.terminate()
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join(2)
        return True

    def stop_all(self) -> None:
        for run_id in list(self._procs):
            self.stop(run_id)


def _job_status(runner: JobRunner | None, run_dir: Path, meta: dict | None) -> dict:
    """The job's state, repairing it when its process died without saying so."""
    job = dict((meta or {}).get("job") or {})
    status = job.get("status")
    if status in ACTIVE:
        if runner is not None and runner.alive(run_dir.name):
            return job
        pid = job.get("pid")
        if pid and _pid_alive(pid) and (runner is None or run_dir.name not in runner._procs):
            return job  # started by an earlier server process that is still working on it
        job["status"] = "interrupted"
        job.setdefault("error", "the job stopped before finishing (server restarted or process killed); continue to resume it")
    return job


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


class EventLog:
    """Append-only ``events.jsonl`` with sequence numbers (written by the job process only)."""

    def __init__(self, path: Path):
        self.path = path
        self.seq = 0
        self.last: dict = {}
        if path.exists():
            with path.open("rb") as f:
                self.seq = sum(1 for _ in f)

    def append(self, event: dict) -> None:
        self.last = event
        self.seq += 1
        rec = {"seq": self.seq, "ts": round(time.time(), 3), **_jsonable(event)}
        with self.path.open("a") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()


def _jsonable(obj: Any) -> Any:
    try:
        json.dumps(obj)
        return obj
    except (TypeError, ValueError):
        return json.loads(json.dumps(obj, default=str))


def _job_main(run_dir_s: str, spec: dict, api_key: str | None) -> None:
    """Entry point of a job process: bring the clip in (upload/sample) if needed, then direct()."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    run_dir = Path(run_dir_s)
    meta_path = run_dir / "ui.json"
    events = EventLog(run_dir / "events.jsonl")

    def set_job(**kw) -> None:
        meta = _read_json(meta_path) or {}
        job = meta.get("job") or {}
        job.update(kw)
        meta["job"] = job
        _write_json(meta_path, meta)

    set_job(status="running", pid=os.getpid(), started_at=time.time(), error=None)
    try:
        from worlddirector.director import direct

        run = direct(
            spec["prompt"],
            run_dir,
            iterations=spec["iterations"],
            target=spec["target"],
            provider=spec["provider"],
            llm=spec["llm"],
            budget_usd=spec.get("budget_usd"),
            seed=spec.get("seed", 0),
            size=tuple(spec["size"]),
            seconds=spec["seconds"],
            fps=spec["fps"],
            api_key=api_key,
            on_event=events.append,
        )
        stop = getattr(run, "stop_reason", None)
        set_job(status="finished", finished_at=time.time(), stop_reason=stop)
        code = 0
    except WDError as exc:
        if events.last.get("type") != "run":  # the director announces its own failures
            events.append({"type": "run", "status": "failed", "message": str(exc)})
        set_job(status="failed", finished_at=time.time(), error=str(exc))
        code = 1
    except BaseException as exc:  # a bug: keep the trace for the operator, show a one-line reason
        (run_dir / "job-error.log").write_text(traceback.format_exc())
        msg = f"internal error ({type(exc).__name__}); see job-error.log in the run directory"
        events.append({"type": "run", "status": "failed", "message": msg})
        set_job(status="failed", finished_at=time.time(), error=msg)
        if not isinstance(exc, Exception):
            raise
        code = 1
    # Everything is on disk (atomic writes, closed files). Skip the interpreter's slow teardown of
    # torch/mujoco threads so the run can be continued the moment it reports finished.
    os._exit(code)


def _runner(request: Request) -> JobRunner:
    r = getattr(request.app.state, "director_jobs", None)
    if r is None:
        r = request.app.state.director_jobs = JobRunner(_defaults(request).max_jobs)
    return r


def on_shutdown(app) -> None:
    r = getattr(app.state, "director_jobs", None)
    if r is not None:
        r.stop_all()


def _spec(d: DirectorDefaults, *, prompt: str, provider: str, llm: str, iterations: int, target: float,
          seed: int = 0, budget_usd: float | None = None) -> dict:
    return {
        "prompt": prompt, "provider": provider, "llm": llm, "iterations": iterations, "target": target,
        "seed": seed, "budget_usd": budget_usd, "size": list(parse_size(d.size)), "seconds": d.seconds, "fps": d.fps,
    }


def _check_choices(provider: str, llm: str) -> None:
    from worlddirector.providers.registry import provider_names

    names = provider_names()
    if provider not in names and provider not in {"upload", "sample"}:
        raise BadInputError(f"unknown provider {provider!r}; choose one of: {', '.join(names)}")
    llms = _llm_names()
    if llm not in llms:
        raise BadInputError(f"unknown model layer {llm!r}; choose one of: {', '.join(llms)}")


def _llm_names() -> list[str]:
    try:
        from worlddirector.llm import LLM_NAMES
    except ImportError:
        return ["offline"]
    return list(LLM_NAMES)


# ---- endpoints -------------------------------------------------------------------------------


@router.get("/config")
def config(request: Request) -> dict:
    """What the prompt box offers: providers, model layers and the clip defaults."""
    from worlddirector.providers.registry import get_provider, provider_names

    providers = []
    for name in provider_names():
        try:
            ok, why = get_provider(name).configured()
        except Exception as exc:  # noqa: BLE001 -- a provider that cannot even be built is simply not ready
            ok, why = False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        providers.append({"name": name, "ready": bool(ok), "reason": why})
    d = _defaults(request)
    settings: Settings = request.app.state.settings
    return {
        "providers": providers,
        "llms": _llm_names(),
        "default_provider": settings.video_provider,
        "default_llm": settings.llm,
        "defaults": {"seconds": d.seconds, "size": d.size, "fps": d.fps, "iterations": d.iterations, "target": d.target},
        "upload_max_bytes": settings.upload_max_bytes,
    }


@router.get("/runs")
def list_runs(request: Request) -> dict:
    """Every run in the runs directory, newest first (also runs made with the CLI)."""
    root = _runs_dir(request)
    runner = _runner(request)
    out = []
    for d in root.iterdir():
        if not d.is_dir() or not RUN_ID_RE.match(d.name):
            continue
        meta = _read_json(d / "ui.json")
        run = _read_json(d / "run.json")
        if meta is None and run is None:
            continue
        its = _run_iterations(run)
        scores = [s for s in (_score_of(i) for i in its) if s is not None]
        out.append({
            "id": d.name,
            "prompt": (meta or {}).get("prompt") or (run or {}).get("original_prompt") or "",
            "source": (meta or {}).get("source", "cli"),
            "created": (meta or {}).get("created") or d.stat().st_mtime,
            "status": _job_status(runner, d, meta).get("status") or ("finished" if run else "unknown"),
            "iterations": len(its) or len(_iterations_on_disk(d)),
            "best_score": max(scores) if scores else None,
        })
    out.sort(key=lambda r: r["created"], reverse=True)
    return {"runs": out}


@router.post("/runs", status_code=202)
def start_run(body: StartRun, request: Request) -> RunCreated:
    """Start a director run in the background; follow it at ``/api/runs/{id}/events``."""
    d = _defaults(request)
    run_id = _create_prompt_run(
        request, prompt=body.prompt, provider=body.provider, llm=body.llm, iterations=body.iterations or d.iterations,
        target=body.target or d.target, seed=body.seed, budget_usd=body.budget_usd, api_key=body.api_key,
    )
    return RunCreated(id=run_id, status="queued")


def _create_prompt_run(request: Request, *, prompt: str, provider: str, llm: str, iterations: int, target: float,
                       seed: int = 0, budget_usd: float | None = None, api_key: str | None = None,
                       parent: str | None = None) -> str:
    _check_choices(provider, llm)
    run_id = _new_run_id(prompt)
    run_dir = _run_dir(request, run_id, must_exist=False)
    run_dir.mkdir(parents=True)
    _write_json(run_dir / "ui.json", {
        "id": run_id, "prompt": prompt, "provider": provider, "llm": llm, "source": "prompt",
        "created": time.time(), "parent": parent,
    })
    spec = _spec(_defaults(request), prompt=prompt, provider=provider, llm=llm, iterations=iterations,
                 target=target, seed=seed, budget_usd=budget_usd)
    try:
        _runner(request).start(run_dir, spec, api_key or None)
    except WDError:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_id


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict:
    """Everything the page needs to draw a run: the request, job state, run.json, iterations."""
    run_dir = _run_dir(request, run_id)
    meta = _read_json(run_dir / "ui.json") or {}
    job = _job_status(_runner(request), run_dir, meta)
    job.pop("spec", None)
    return {
        "id": run_id,
        "prompt": meta.get("prompt") or (_read_json(run_dir / "run.json") or {}).get("original_prompt", ""),
        "provider": meta.get("provider"),
        "llm": meta.get("llm"),
        "source": meta.get("source", "cli"),
        "created": meta.get("created"),
        "job": job,
        "run": _read_json(run_dir / "run.json"),
        "iterations": _iterations_on_disk(run_dir),
        "report": (run_dir / "report.html").is_file(),
    }


@router.post("/runs/{run_id}/continue", status_code=202)
def continue_run(run_id: str, body: ContinueRun, request: Request) -> RunCreated:
    """Regenerate (one more iteration) or auto-run N more, from the latest revised prompt.

    For an uploaded or sample clip (which cannot be re-shot) this starts a *new* run that
    generates a clip from the revised prompt; the response then carries the new run's id.

    The director is resumable: called again on the same directory with a larger iteration
    budget, it picks up after the last finished stage. The target is raised to 1.0 because the
    person explicitly asked for another take even if the previous one met the target.
    """
    run_dir = _run_dir(request, run_id)
    meta = _read_json(run_dir / "ui.json") or {}
    runner = _runner(request)
    job = _job_status(runner, run_dir, meta)
    if job.get("status") in ACTIVE:
        raise Conflict(f"run {run_id} is still running; wait for it to finish")
    run = _read_json(run_dir / "run.json") or {}
    if meta.get("source") in ("upload", "sample"):
        # a given clip cannot be re-shot: make a new clip from its revised prompt, in a new run
        its = _run_iterations(run)
        revised = next((i.get("revised_prompt") for i in reversed(its) if i.get("revised_prompt")), None)
        if not revised:
            raise BadInputError(f"run {run_id} has no revised prompt yet to generate a new clip from")
        settings: Settings = request.app.state.settings
        new_id = _create_prompt_run(request, prompt=revised, provider=settings.video_provider,
                                    llm=meta.get("llm") or "offline", iterations=body.iterations,
                                    target=_defaults(request).target, api_key=body.api_key, parent=run_id)
        return RunCreated(id=new_id, status="queued")
    done = max(len(_run_iterations(run)), len(_iterations_on_disk(run_dir)))
    prev = job.get("spec") or {}
    d = _defaults(request)
    prompt = meta.get("prompt") or run.get("original_prompt")
    if not prompt:
        raise BadInputError(f"run {run_id} has no prompt to continue from")
    spec = _spec(d, prompt=prompt, provider=meta.get("provider") or prev.get("provider") or "procedural",
                 llm=meta.get("llm") or prev.get("llm") or "offline", iterations=done + body.iterations,
                 target=1.0, seed=prev.get("seed", 0), budget_usd=prev.get("budget_usd"))
    for k in ("size", "seconds", "fps"):
        if k in prev:  # keep the clip format the run started with
            spec[k] = prev[k]
    runner.start(run_dir, spec, body.api_key or None)
    return RunCreated(id=run_id, status="queued")


@router.post("/runs/{run_id}/stop")
def stop_run(run_id: str, request: Request) -> dict:
    run_dir = _run_dir(request, run_id)
    stopped = _runner(request).stop(run_id)
    if stopped:
        meta = _read_json(run_dir / "ui.json") or {}
        meta.setdefault("job", {}).update(status="interrupted", error="stopped by the user", finished_at=time.time())
        _write_json(run_dir / "ui.json", meta)
        EventLog(run_dir / "events.jsonl").append({"type": "run", "status": "failed", "message": "stopped by the user"})
    return {"stopped": stopped}


@router.get("/runs/{run_id}/events")
async def run_events(
    run_id: str, request: Request, after: int = 0, last_event_id: str | None = Header(None)
) -> StreamingResponse:
    """Server-sent events: every director event (replayed from ``after``), then ``end``."""
    run_dir = _run_dir(request, run_id)
    runner = _runner(request)
    start = after
    if last_event_id and last_event_id.isdigit():
        start = max(start, int(last_event_id))
    path = run_dir / "events.jsonl"

    async def stream():
        seq_seen = start
        offset = 0
        last_ping = time.monotonic()
        yield "retry: 1500\n\n"
        while True:
            if path.exists():
                with path.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                # only complete lines; a half-written last line is read next time
                end = chunk.rfind(b"\n") + 1
                offset += end
                for line in chunk[:end].splitlines():
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    seq = int(ev.get("seq", 0))
                    if seq <= seq_seen:
                        continue
                    seq_seen = seq
                    yield f"id: {seq}\ndata: {json.dumps(ev)}\n\n"
            meta = _read_json(run_dir / "ui.json")
            status = _job_status(runner, run_dir, meta).get("status")
            if status not in ACTIVE:
                # one last read so nothing written just before the exit is lost
                if path.exists() and path.stat().st_size > offset:
                    continue
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            if await request.is_disconnected():
                return
            if time.monotonic() - last_ping > 15:
                last_ping = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.25)

    return StreamingResponse(
        stream(), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def safe_child(root: Path, rel: str) -> Path:
    """``root/rel`` if it is a file inside ``root``; a 4xx for anything that tries to leave it."""
    if not rel or "\x00" in rel or "\\" in rel:
        raise BadInputError("bad file path")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise BadInputError("absolute paths are not allowed")
    parts = rel.split("/")
    if any(p in ("..", ".") for p in parts):
        raise BadInputError("'..' and '.' are not allowed in file paths")
    root = root.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise BadInputError("that path leads outside the run directory")
    if not target.is_file():
        raise NotFoundError(f"no file {rel!r}")
    return target


_NO_SERVE = {"ui.json", "events.jsonl", "job-error.log"}
_MEDIA = {".glb": "model/gltf-binary", ".ply": "application/octet-stream", ".mp4": "video/mp4",
          ".json": "application/json", ".html": "text/html; charset=utf-8", ".jpg": "image/jpeg",
          ".png": "image/png", ".jsonl": "application/x-ndjson"}


@router.get("/runs/{run_id}/files/{rel:path}")
def run_file(run_id: str, rel: str, request: Request) -> FileResponse:
    """A file from the run (video, world.glb, points.ply, JSON artifacts, keyframes, report)."""
    run_dir = _run_dir(request, run_id)
    target = safe_child(run_dir, rel)
    if target.name in _NO_SERVE and target.parent == run_dir.resolve():
        raise NotFoundError(f"no file {rel!r}")
    return FileResponse(target, media_type=_MEDIA.get(target.suffix.lower()), headers={"Cache-Control": "no-cache"})


WAVEFORM_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv"}


@router.get("/runs/{run_id}/waveform/{rel:path}")
def run_waveform(run_id: str, rel: str, request: Request, bins: int = 800) -> dict:
    """The audio envelope of a clip of the run, for the waveform under the video (issue 10).

    ``peaks`` = ``bins`` pairs ``[min, max]`` of the mono 16 kHz samples in equal slices of the
    track (a few KB of JSON instead of the whole file decoded in the browser). A clip without an
    audio track gives ``has_audio: false`` and no peaks.
    """
    import numpy as np

    from worlddirector.analysis.audio import SR, load_audio

    if not 16 <= bins <= 4000:
        raise BadInputError("bins must be between 16 and 4000")
    target = safe_child(_run_dir(request, run_id), rel)
    if target.suffix.lower() not in WAVEFORM_SUFFIXES:
        raise BadInputError(f"{rel!r} is not a video file")
    samples = load_audio(target)
    if samples is None or not len(samples):
        return {"has_audio": False, "duration": 0.0, "sample_rate": SR, "peaks": []}
    n = min(bins, len(samples))
    starts = np.linspace(0, len(samples), n + 1).astype(int)[:-1]
    lo, hi = np.minimum.reduceat(samples, starts), np.maximum.reduceat(samples, starts)
    peaks = [[round(float(a), 3), round(float(b), 3)] for a, b in zip(lo, hi, strict=True)]
    return {"has_audio": True, "duration": round(len(samples) / SR, 4), "sample_rate": SR, "peaks": peaks}


def _new_clip_run(request: Request, source: str, prompt: str, provider: str, llm: str) -> tuple[str, Path]:
    _check_choices(provider, llm)
    run_id = _new_run_id(f"{source} {prompt}")
    run_dir = _run_dir(request, run_id, must_exist=False)
    run_dir.mkdir(parents=True)
    _write_json(run_dir / "ui.json", {"id": run_id, "prompt": prompt, "provider": provider, "llm": llm,
                                      "source": source, "created": time.time()})
    return run_id, run_dir


def _start_clip_job(request: Request, run_dir: Path, prompt: str, provider: str, llm: str, iterations: int | None):
    d = _defaults(request)
    spec = _spec(d, prompt=prompt, provider=provider, llm=llm, iterations=iterations or 1, target=d.target)
    _runner(request).start(run_dir, spec, None)


@router.post("/uploads", status_code=202)
async def upload_video(
    request: Request,
    file: UploadFile = File(..., description="a video file (mp4, mov, webm, ...)"),  # noqa: B008
    prompt: str = Form("", max_length=2000, description="what the video shows (used to revise it)"),
    llm: str = Form("offline", max_length=64),
    iterations: int | None = Form(None, ge=1, le=20),
) -> RunCreated:
    """Bring your own video: checked and normalised, then analysed, rebuilt and tested."""
    settings: Settings = request.app.state.settings
    limit = settings.upload_max_bytes
    name = Path(file.filename or "upload.mp4").name
    ext = Path(name).suffix.lower()
    if not re.match(r"^\.[a-z0-9]{1,8}$", ext):
        raise BadInputError(f"{name!r}: the file needs a video extension such as .mp4")
    prompt = " ".join(prompt.split()) or f"the uploaded video {name}"
    run_id, run_dir = _new_clip_run(request, "upload", prompt, "upload", llm)
    tmp = run_dir / f".incoming{ext}"
    try:
        size = 0
        with tmp.open("wb") as f:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"{name}: larger than the upload limit of {limit // (1024 * 1024)} MB")
                f.write(chunk)
        if size == 0:
            raise BadInputError(f"{name}: the file is empty")
        from starlette.concurrency import run_in_threadpool

        from worlddirector.providers.uploads import import_video

        await run_in_threadpool(_import_named, import_video, tmp, name, run_dir / "iter-01", settings, prompt)
        _start_clip_job(request, run_dir, prompt, "upload", llm, iterations)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return RunCreated(id=run_id, status="queued")


def _import_named(import_video, tmp: Path, name: str, out_dir: Path, settings: Settings, prompt: str):
    """Import under the person's own file name so generation.json records it, not our temp name."""
    with tempfile.TemporaryDirectory(dir=tmp.parent) as td:
        src = Path(td) / name
        os.replace(tmp, src)
        return import_video(src, out_dir, settings=settings, prompt=prompt)


@router.post("/samples", status_code=202)
def use_sample(body: SampleRun, request: Request) -> RunCreated:
    """The built-in sample clip (offline), analysed, rebuilt and tested like any other video."""
    from worlddirector.providers.samples import sample_clip

    run_id, run_dir = _new_clip_run(request, "sample", "sample video", "sample", body.llm)
    try:
        gen = sample_clip(run_dir / "iter-01")
        prompt = getattr(gen, "prompt", None) or "sample video"
        meta = _read_json(run_dir / "ui.json") or {}
        meta["prompt"] = prompt
        _write_json(run_dir / "ui.json", meta)
        _start_clip_job(request, run_dir, prompt, "sample", body.llm, body.iterations)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return RunCreated(id=run_id, status="queued")
