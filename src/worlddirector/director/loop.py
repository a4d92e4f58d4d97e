"""The director loop: prompt -> clip -> analysis -> world -> agent findings -> revised prompt, repeated.

``direct(...)`` runs iterations into ``out_dir/iter-NN/`` and keeps ``out_dir/run.json`` current
after every stage, so:

* a crash or a provider failure loses nothing finished: the failure is recorded with its reason,
  ``report.html`` is written for what exists, and :class:`RunFailed` carries the reason;
* calling ``direct`` again on the same directory resumes at the first unfinished stage (a stage is
  finished when ``run.json`` says so and its artifact is on disk);
* a stopped run can be extended by calling again with more ``iterations``.

Stopping rules, checked after each iteration is scored (see ``director/scoring.py``):

1. ``target_reached``: the iteration's overall score is at least ``target`` (no revision needed);
2. ``quality_regressed_twice``: the last two iterations both scored below the best before them;
3. ``iterations_exhausted``: ``iterations`` iterations are done;
4. ``fixed_source``: the clip was uploaded or a sample, so no new clip can be made from a revision;
5. ``nothing_to_revise``: the revision left the prompt as it was (no finding it can still answer);
6. ``budget_exhausted``: the money spent plus the provider's estimate for the next clip would pass
   ``budget_usd``.

The best iteration (highest overall score, earliest on ties) is recorded as ``best_iteration``.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import re
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from worlddirector.artifacts.agent_report import AgentReport
from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.clip import Generation
from worlddirector.artifacts.revision import Revision
from worlddirector.artifacts.run import IterationRecord, Run, RunParams, StageRecord
from worlddirector.artifacts.world import World
from worlddirector.director import stages as st
from worlddirector.director.scoring import overall_score, violation_counts
from worlddirector.errors import BadInputError, StageError, WDError
from worlddirector.logging import get_logger

log = get_logger(__name__)

EventFn = Callable[[dict[str, Any]], None]
REGRESSION_LIMIT = 2
EPS = 1e-6

ARTIFACT_OF = {
    "generate": Generation.FILENAME,
    "analyze": Analysis.FILENAME,
    "reconstruct": World.FILENAME,
    "simulate": AgentReport.FILENAME,
    "revise": Revision.FILENAME,
}


class RunFailed(StageError):
    """A stage failed: the run stopped with the reason; finished iterations are kept and resumable."""

    code = "run_failed"
    http_status = 502

    def __init__(self, message: str, run: Run):
        super().__init__(message)
        self.run = run


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _norm_prompt(p: str) -> str:
    return " ".join(p.split())


def _run_id(out_dir: Path) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", out_dir.resolve().name.lower()).strip("-") or "run"


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"--out {out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"--out {out_dir}: cannot create the directory ({exc.strerror or exc})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise BadInputError(f"--out {out_dir}: the directory is not writable")
    probe = out_dir / f".wd-write-test-{os.getpid()}"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BadInputError(
            f"--out {out_dir}: the directory is not writable ({exc.strerror or exc})"
        ) from None


def _open_run(out_dir: Path, prompt: str, params: RunParams) -> Run:
    path = out_dir / Run.FILENAME
    if not path.exists():
        now = _now()
        return Run(id=_run_id(out_dir), original_prompt=prompt, params=params, created_at=now, updated_at=now)
    run = Run.load(path)
    if _norm_prompt(run.original_prompt) != _norm_prompt(prompt):
        raise BadInputError(
            f"{out_dir} holds a run for a different prompt ({run.original_prompt[:60]!r}); "
            "use a new --out to start another run"
        )
    old = run.params
    for name in ("provider", "seed", "seconds", "fps"):
        if getattr(old, name) != getattr(params, name):
            raise BadInputError(
                f"{out_dir}: cannot resume with {name}={getattr(params, name)!r}; the run was started with "
                f"{getattr(old, name)!r} (use a new --out for different generation settings)"
            )
    if tuple(old.size) != tuple(params.size):
        raise BadInputError(
            f"{out_dir}: cannot resume with size {params.size}; the run was started with {old.size}"
        )
    # iterations, target, budget and model layer may change between calls (extend a finished run)
    run.params = params
    run.status, run.stop_reason, run.error = "running", None, None
    return run


def _stage_done(rec: IterationRecord, d: Path, stage: str) -> bool:
    return rec.stages[stage].status == "finished" and (d / ARTIFACT_OF[stage]).exists()


def _update_best(run: Run) -> None:
    best, best_s = None, None
    for it in run.iterations:
        if it.overall is not None and (best_s is None or it.overall > best_s + EPS):
            best, best_s = it.index, it.overall
    run.best_iteration, run.best_overall = best, (round(best_s, 4) if best_s is not None else None)


def _regressions(run: Run) -> int:
    """How many of the latest iterations in a row scored below the best before them."""
    scores = [it.overall for it in sorted(run.iterations, key=lambda i: i.index) if it.overall is not None]
    n = 0
    for k in range(len(scores) - 1, 0, -1):
        if scores[k] < max(scores[:k]) - EPS:
            n += 1
        else:
            break
    return n


def direct(
    prompt: str,
    out_dir: Path,
    *,
    iterations: int = 3,
    target: float = 0.85,
    provider: str = "procedural",
    llm: str = "offline",
    budget_usd: float | None = None,
    seed: int = 0,
    size: tuple[int, int] = (640, 360),
    seconds: float = 8.0,
    fps: int = 24,
    api_key: str | None = None,
    on_event: EventFn | None = None,
    agents: int = 8,
    sim_seconds: float = 30.0,
    report: bool = True,
) -> Run:
    """Run (or resume) the loop from ``prompt`` into ``out_dir``; return the final :class:`Run`.

    Raises :class:`BadInputError` for bad arguments (nothing is written) and :class:`RunFailed`
    when a stage fails (``run.json`` and ``report.html`` record what was finished).
    """
    prompt = _norm_prompt(prompt or "")
    if not prompt:
        raise BadInputError("the prompt is empty")
    if not 1 <= iterations <= 50:
        raise BadInputError(f"iterations must be between 1 and 50, got {iterations}")
    if not 0 < target <= 1:
        raise BadInputError(f"target must be in (0, 1], got {target}")
    if not 1 <= seconds <= 60:
        raise BadInputError(f"seconds must be between 1 and 60, got {seconds:g}")
    if not 1 <= fps <= 60:
        raise BadInputError(f"fps must be between 1 and 60, got {fps}")
    w, h = (int(v) for v in size)
    if not (16 <= w <= 1920 and 16 <= h <= 1920 and w * h <= 1920 * 1080) or w % 2 or h % 2:
        raise BadInputError(f"size {w}x{h}: width and height must be even and at most 1920x1080")
    if budget_usd is not None and budget_usd < 0:
        raise BadInputError(f"budget must be at least 0, got {budget_usd}")
    from worlddirector.llm import LLM_NAMES

    if (llm or "offline").lower() not in LLM_NAMES:
        raise BadInputError(f"unknown model backend {llm!r}; choose one of: {', '.join(LLM_NAMES)}")
    if provider not in st.FIXED_SOURCES:
        from worlddirector.providers.registry import provider_names

        if provider not in provider_names():
            raise BadInputError(
                f"unknown provider {provider!r}; choose one of: {', '.join(provider_names())}"
            )
    out_dir = Path(out_dir)
    params = RunParams(
        iterations=iterations,
        target=target,
        provider=provider,
        llm=llm,
        budget_usd=budget_usd,
        seed=seed,
        size=tuple(size),
        seconds=seconds,
        fps=fps,
    )
    _check_out_dir(out_dir)
    with _exclusive(out_dir):
        run = _open_run(out_dir, prompt, params)
        emit = on_event or (lambda _e: None)
        return _Loop(
            run, out_dir, emit, api_key=api_key, agents=agents, sim_seconds=sim_seconds, report=report
        ).run()


@contextmanager
def _exclusive(out_dir: Path):
    """One director per run directory at a time (two would interleave stages and run.json writes)."""
    fh = open(out_dir / ".direct.lock", "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BadInputError(f"{out_dir}: another director is already running in this directory") from None
        yield
    finally:
        fh.close()


class _Loop:
    def __init__(
        self,
        run: Run,
        out_dir: Path,
        emit: EventFn,
        *,
        api_key: str | None,
        agents: int,
        sim_seconds: float,
        report: bool,
    ):
        self.run_ = run
        self.out = out_dir
        self.emit = emit
        self.api_key = api_key
        self.agents = agents
        self.sim_seconds = sim_seconds
        self.write_report = report

    # ---- bookkeeping -----------------------------------------------------------------------

    def save(self) -> None:
        self.run_.updated_at = _now()
        self.run_.cost_usd = round(sum(it.cost_usd for it in self.run_.iterations), 6)
        _update_best(self.run_)
        self.run_.save(self.out)

    def finish(self, status: str, stop_reason: str, error: str | None = None) -> Run:
        run = self.run_
        run.status, run.stop_reason, run.error = status, stop_reason, error
        self.save()
        if self.write_report:
            try:
                from worlddirector.director.report import write_report

                write_report(self.out, run)
            except Exception as exc:  # the report must never hide the run's own outcome
                log.warning("report_failed", error=str(exc))
                (self.out / "report-error.log").write_text(traceback.format_exc())
        self.emit(
            {
                "type": "run",
                "status": status,
                "stop_reason": stop_reason,
                "best_iteration": run.best_iteration,
                "best_overall": run.best_overall,
                "message": error or stop_reason,
            }
        )
        return run

    # ---- the loop --------------------------------------------------------------------------

    def run(self) -> Run:
        run = self.run_
        self.save()
        i = 1
        while True:
            rec = run.iteration(i)
            if rec is None:
                if i == 1:
                    iter_prompt = run.original_prompt
                else:
                    prev = run.iteration(i - 1)
                    iter_prompt = prev.revised_prompt if prev and prev.revised_prompt else run.original_prompt
                rec = IterationRecord(index=i, dir=f"iter-{i:02d}", prompt=iter_prompt)
                run.iterations.append(rec)
                self.save()
            d = self.out / rec.dir
            d.mkdir(parents=True, exist_ok=True)
            self.emit({"type": "iteration", "iteration": i, "status": "started", "prompt": rec.prompt})
            self.run_iteration(rec, d)
            reason = self.stop_reason_after(rec)
            if reason == "target_reached":
                rec.stages["revise"].status = "skipped"
            elif not _stage_done(rec, d, "revise"):
                self.stage(rec, d, "revise", lambda prog: self.do_revise(rec, d))
            rec.status = "finished"
            self.save()
            self.emit(
                {
                    "type": "iteration",
                    "iteration": i,
                    "status": "finished",
                    "overall": rec.overall,
                    "violations": rec.violations,
                    "violations_by_type": rec.violations_by_type,
                    "intent_similarity": rec.intent_similarity,
                    "revised_prompt": rec.revised_prompt,
                }
            )
            if reason is None:
                reason = self.unchanged_stop(rec) or self.budget_stop(rec)
            if reason is not None:
                return self.finish("finished", reason)
            i += 1

    def stop_reason_after(self, rec: IterationRecord) -> str | None:
        run, p = self.run_, self.run_.params
        if rec.overall is not None and rec.overall >= p.target - EPS:
            return "target_reached"
        if _regressions(run) >= REGRESSION_LIMIT:
            return "quality_regressed_twice"
        if rec.index >= p.iterations:
            return "iterations_exhausted"
        if p.provider in st.FIXED_SOURCES:
            return "fixed_source"
        return None

    @staticmethod
    def unchanged_stop(rec: IterationRecord) -> str | None:
        """The prompt is the loop's only lever: a revision that changes nothing cannot do better."""
        if rec.revised_prompt is not None and _norm_prompt(rec.revised_prompt) == _norm_prompt(rec.prompt):
            return "nothing_to_revise"
        return None

    def budget_stop(self, rec: IterationRecord) -> str | None:
        p = self.run_.params
        if p.budget_usd is None:
            return None
        spent = sum(it.cost_usd for it in self.run_.iterations)
        try:
            nxt = st.estimate_cost(
                prompt=rec.revised_prompt or rec.prompt,
                provider=p.provider,
                seed=p.seed,
                size=p.size,
                seconds=p.seconds,
                fps=p.fps,
            )
        except WDError as exc:
            raise self.fail(rec, "generate", exc) from None
        if spent + nxt > p.budget_usd + EPS:
            return "budget_exhausted"
        return None

    def stage(
        self, rec: IterationRecord, d: Path, name: str, fn: Callable[[Callable[[float, str], None]], Any]
    ):
        i = rec.index
        rec.stages[name] = StageRecord(status="running")
        self.save()
        self.emit(
            {
                "type": "stage",
                "iteration": i,
                "stage": name,
                "status": "started",
                "progress": 0.0,
                "message": f"{name} started",
            }
        )

        def prog(fraction: float, message: str = "") -> None:
            self.emit(
                {
                    "type": "stage",
                    "iteration": i,
                    "stage": name,
                    "status": "progress",
                    "progress": max(0.0, min(1.0, float(fraction))),
                    "message": message,
                }
            )

        t0 = time.perf_counter()
        try:
            out = fn(prog)
        except Exception as exc:
            rec.stages[name].seconds = round(time.perf_counter() - t0, 3)
            raise self.fail(rec, name, exc) from None
        rec.stages[name] = StageRecord(status="finished", seconds=round(time.perf_counter() - t0, 3))
        self.save()
        self.emit(
            {
                "type": "stage",
                "iteration": i,
                "stage": name,
                "status": "finished",
                "progress": 1.0,
                "message": f"{name} finished in {rec.stages[name].seconds:.1f} s",
            }
        )
        return out

    def fail(self, rec: IterationRecord, stage: str, exc: BaseException) -> RunFailed:
        d = self.out / rec.dir
        if isinstance(exc, WDError):
            why = str(exc)
        else:  # a bug in a stage: keep the trace for whoever fixes it, show one line
            (d / "error.log").write_text("".join(traceback.format_exception(exc)))
            why = f"internal error ({type(exc).__name__}: {exc}); trace in {rec.dir}/error.log"
        rec.stages[stage].status = "failed"
        rec.stages[stage].error = why
        rec.stages[stage].code = getattr(exc, "code", type(exc).__name__)
        rec.stages[stage].retryable = bool(getattr(exc, "retryable", False))
        rec.status, rec.error = "failed", why
        self.emit(
            {
                "type": "stage",
                "iteration": rec.index,
                "stage": stage,
                "status": "failed",
                "progress": 0.0,
                "message": why,
            }
        )
        msg = (
            f"iteration {rec.index} {stage} failed: {why} (finished iterations are kept in {self.out}; "
            "run the same command again to resume)"
        )
        run = self.finish("failed", f"{stage}_failed", error=msg)
        return RunFailed(msg, run)

    def run_iteration(self, rec: IterationRecord, d: Path) -> None:
        p = self.run_.params
        rec.status, rec.error = "running", None
        # generate (or adopt a clip that is already there: an upload, a sample, or a finished generate)
        if not _stage_done(rec, d, "generate"):
            if st.has_clip(d) and (
                p.provider in st.FIXED_SOURCES or rec.stages["generate"].status != "failed"
            ):
                rec.stages["generate"] = StageRecord(status="finished", seconds=0.0)
                self.emit(
                    {
                        "type": "stage",
                        "iteration": rec.index,
                        "stage": "generate",
                        "status": "finished",
                        "progress": 1.0,
                        "message": "using the clip already in " + rec.dir,
                    }
                )
            elif p.provider in st.FIXED_SOURCES:
                raise self.fail(
                    rec,
                    "generate",
                    BadInputError(
                        f"provider {p.provider!r} means a given clip, but {rec.dir} has no video.mp4/generation.json"
                    ),
                )
            else:
                prior = rec.stages["generate"]
                # a job submitted before a crash, or before a failure that may pass (timeout, outage), is
                # still running and paid for: poll it instead of paying again. After a terminal failure
                # (moderation, bad request, ...) a new job is submitted.
                resume = (
                    st.submitted_job(d, p.provider)
                    if (prior.status == "running" or (prior.status == "failed" and prior.retryable))
                    else None
                )
                force = any(d.iterdir())
                remaining = None
                if p.budget_usd is not None:
                    spent = sum(it.cost_usd for it in self.run_.iterations if it.index != rec.index)
                    remaining = max(0.0, p.budget_usd - spent)
                self.stage(
                    rec,
                    d,
                    "generate",
                    lambda prog: st.run_generate(
                        d,
                        prompt=rec.prompt,
                        provider=p.provider,
                        seed=p.seed,
                        size=p.size,
                        seconds=p.seconds,
                        fps=p.fps,
                        api_key=self.api_key,
                        force=force,
                        on_progress=prog,
                        budget_usd=remaining,
                        spend_ledger=self.out / "spend.json",
                        resume_job_id=resume,
                    ),
                )
        gen = Generation.load(d)
        rec.cost_usd = float(gen.cost_usd or 0.0)
        if not _stage_done(rec, d, "analyze"):
            self.stage(
                rec,
                d,
                "analyze",
                lambda prog: st.run_analyze(d, llm=p.llm, api_key=self.api_key, on_progress=prog),
            )
        analysis = Analysis.load(d)
        rec.metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in analysis.metrics.items()}
        if not _stage_done(rec, d, "reconstruct"):
            self.stage(
                rec,
                d,
                "reconstruct",
                lambda prog: st.run_reconstruct(d, analysis=analysis, generation=gen, on_progress=prog),
            )
        world = World.load(d)
        rec.world_method = world.method
        if not _stage_done(rec, d, "simulate"):
            self.stage(
                rec,
                d,
                "simulate",
                lambda prog: st.run_simulate(
                    d, seed=p.seed, agents=self.agents, sim_seconds=self.sim_seconds, on_progress=prog
                ),
            )
        report = AgentReport.load(d)
        overall, a_overall, phys = overall_score(analysis, report)
        rec.overall, rec.analysis_overall, rec.physics = round(overall, 4), a_overall, round(phys, 4)
        rec.violations = len(report.violations)
        rec.violations_by_type = violation_counts(report)
        if rec.intent_similarity is None:
            from worlddirector.revision import intent_similarity

            rec.intent_similarity = round(intent_similarity(self.run_.original_prompt, rec.prompt), 4)
        if _stage_done(rec, d, "revise"):
            rec.revised_prompt = Revision.load(d).revised_prompt
        self.save()

    def do_revise(self, rec: IterationRecord, d: Path) -> Revision:
        from worlddirector.revision import revise_dir

        prev = self.run_.iteration(rec.index - 1)
        previous = None
        if prev is not None and (self.out / prev.dir / Revision.FILENAME).exists():
            previous = Revision.load(self.out / prev.dir)
        rev = revise_dir(
            d,
            rec.prompt,
            original_prompt=self.run_.original_prompt,
            iteration=rec.index,
            previous=previous,
            llm=self.run_.params.llm,
            api_key=self.api_key,
        )
        rec.revised_prompt = rev.revised_prompt
        return rev
