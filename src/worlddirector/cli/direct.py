"""``worlddirector direct``, ``worlddirector batch`` and ``worlddirector bench loop``."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from worlddirector.errors import BadInputError


def _size(text: str) -> tuple[int, int]:
    from worlddirector.config import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None


def _env() -> None:
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class _StageProgress:
    """Rich progress: one bar per stage of the current iteration, one summary line per iteration."""

    def __init__(self, console, quiet: bool):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(bar_width=28),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[msg]}"),
            console=console,
            disable=quiet,
            transient=False,
        )
        self.tasks: dict[tuple[int, str], int] = {}

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def __call__(self, ev: dict) -> None:
        kind = ev.get("type")
        if kind == "stage":
            key = (ev["iteration"], ev["stage"])
            if key not in self.tasks:
                self.tasks[key] = self.progress.add_task(
                    f"iter {ev['iteration']} · {ev['stage']}", total=1.0, msg=""
                )
            tid = self.tasks[key]
            msg = str(ev.get("message", ""))[:60]
            if ev["status"] == "finished":
                self.progress.update(tid, completed=1.0, msg=msg)
                self.progress.stop_task(tid)
            elif ev["status"] == "failed":
                self.progress.update(tid, msg=f"[red]failed[/red] {msg}")
                self.progress.stop_task(tid)
            else:
                self.progress.update(tid, completed=float(ev.get("progress", 0.0)), msg=msg)
        elif kind == "iteration" and ev.get("status") == "finished" and not self.quiet:
            by = ", ".join(f"{k} {v}" for k, v in (ev.get("violations_by_type") or {}).items()) or "none"
            ov = ev.get("overall")
            self.progress.console.print(
                f"[bold]iteration {ev['iteration']}[/bold]: overall {ov:.3f} · violations {ev.get('violations')} ({by})"
                if ov is not None
                else f"iteration {ev['iteration']} finished"
            )


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    @app.command("direct")
    def direct_cmd(
        prompt: str = typer.Argument(..., help="What the video should show."),
        out: Path = typer.Option(..., "--out", help="Run directory (rerun the same command to resume)."),
        iterations: int = typer.Option(
            3, "--iterations", min=1, max=50, help="At most this many iterations."
        ),
        target: float = typer.Option(
            0.85, "--target", help="Stop when the overall score reaches this (0..1]."
        ),
        provider: str = typer.Option(None, "--provider", help="Video provider (default WD_VIDEO_PROVIDER)."),
        llm: str = typer.Option(
            None, "--llm", help="Model layer for revision: offline or openai (default WD_LLM)."
        ),
        budget_usd: float = typer.Option(None, "--budget-usd", help="Stop before spending more than this."),
        seed: int = typer.Option(0, "--seed"),
        size: str = typer.Option("640x360", "--size"),
        seconds: float = typer.Option(8.0, "--seconds"),
        fps: int = typer.Option(24, "--fps"),
        api_key: str = typer.Option(
            None,
            "--api-key",
            envvar="WD_RUN_API_KEY",
            help="Your own provider/model key for this run only (never stored).",
        ),
        agents: int = typer.Option(8, "--agents", min=1, max=64),
        sim_seconds: float = typer.Option(30.0, "--sim-seconds", min=1.0, max=600.0),
        quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    ) -> None:
        """Prompt -> video -> analysis -> 3D world -> agent tests -> revised prompt, until good or out of budget."""
        _env()
        from rich.console import Console

        from worlddirector.config import get_settings
        from worlddirector.director import direct

        settings = get_settings()
        console = Console(stderr=False)
        with _StageProgress(console, quiet) as show:
            run = direct(
                prompt,
                out,
                iterations=iterations,
                target=target,
                provider=provider or settings.video_provider,
                llm=llm or settings.llm,
                budget_usd=budget_usd,
                seed=seed,
                size=_size(size),
                seconds=seconds,
                fps=fps,
                api_key=api_key,
                on_event=show,
                agents=agents,
                sim_seconds=sim_seconds,
            )
        _print_run(console, run, out)

    @app.command("batch")
    def batch_cmd(
        prompts_file: Path = typer.Argument(..., help="Text file: one prompt per line (# comments allowed)."),
        out: Path = typer.Option(..., "--out", help="Directory for all runs (one subdirectory per prompt)."),
        jobs: int = typer.Option(
            2, "--jobs", min=1, max=32, help="Runs at the same time (separate processes)."
        ),
        iterations: int = typer.Option(3, "--iterations", min=1, max=50),
        target: float = typer.Option(0.85, "--target"),
        provider: str = typer.Option(None, "--provider"),
        llm: str = typer.Option(None, "--llm"),
        budget_usd: float = typer.Option(None, "--budget-usd", help="Budget per run."),
        seed: int = typer.Option(0, "--seed"),
        size: str = typer.Option("640x360", "--size"),
        seconds: float = typer.Option(8.0, "--seconds"),
        fps: int = typer.Option(24, "--fps"),
        agents: int = typer.Option(8, "--agents", min=1, max=64),
        sim_seconds: float = typer.Option(30.0, "--sim-seconds", min=1.0, max=600.0),
    ) -> None:
        """Direct many prompts in parallel processes and print a summary table."""
        _env()
        from rich.console import Console
        from rich.progress import Progress

        from worlddirector.bench.common import table
        from worlddirector.director.batch import read_prompt_file, run_batch

        prompts = read_prompt_file(prompts_file)
        _size(size)
        args = [
            "--iterations",
            str(iterations),
            "--target",
            str(target),
            "--seed",
            str(seed),
            "--size",
            size,
            "--seconds",
            str(seconds),
            "--fps",
            str(fps),
            "--agents",
            str(agents),
            "--sim-seconds",
            str(sim_seconds),
        ]
        if provider:
            args += ["--provider", provider]
        if llm:
            args += ["--llm", llm]
        if budget_usd is not None:
            args += ["--budget-usd", str(budget_usd)]
        console = Console()
        with Progress(console=console) as prog:
            task = prog.add_task(f"{len(prompts)} runs, {jobs} at a time", total=len(prompts))
            rows = run_batch(
                prompts, out, jobs=jobs, direct_args=args, on_done=lambda r: prog.update(task, advance=1)
            )
        table(
            f"batch: {out}",
            ["run", "status", "stop", "iters", "overall 1→best", "violations 1→best", "intent", "time s"],
            [
                [
                    r["dir"],
                    r.get("status"),
                    r.get("stop_reason") or (r.get("error") or "")[:50],
                    r.get("iterations"),
                    f"{_f(r.get('overall_first'))} → {_f(r.get('overall_best'))}",
                    f"{_f(r.get('violations_first'))} → {_f(r.get('violations_best'))}",
                    _f(r.get("intent_best")),
                    r.get("seconds"),
                ]
                for r in rows
            ],
        )
        failed = [r for r in rows if r.get("status") != "finished"]
        console.print(f"summary written to {out / 'batch.json'}")
        if failed:
            typer.echo(f"error: {len(failed)} of {len(rows)} runs failed (see their direct.log)", err=True)
            raise typer.Exit(1)

    @bench_app.command("loop")
    def bench_loop(
        prompts: int = typer.Option(0, "--prompts", help="Use the first N prompts (0 = all)."),
        seeds: int = typer.Option(2, "--seeds", min=1, max=10),
        iterations: int = typer.Option(3, "--iterations", min=1, max=10),
        size: str = typer.Option("320x180", "--size", help="Clip size for the quality runs."),
        seconds: float = typer.Option(3.0, "--seconds", help="Clip length for the quality runs."),
        jobs: int = typer.Option(1, "--jobs", min=1, max=8, help="Runs at the same time (worker processes)."),
        timing: bool = typer.Option(
            True, "--timing/--no-timing", help="Also time one full 8 s 640x360 iteration."
        ),
        quality_runs: bool = typer.Option(
            True, "--quality/--no-quality", help="Run the quality runs (else timing only)."
        ),
        out: Path = typer.Option(None, "--out", help="Keep the runs here (default: a temporary directory)."),
        agents: int = typer.Option(8, "--agents"),
        sim_seconds: float = typer.Option(30.0, "--sim-seconds"),
    ) -> None:
        """Offline loop quality (violations, overall, intent) over the benchmark prompts, and per-stage time."""
        _env()
        from worlddirector.bench.loop import run_bench

        run_bench(
            n_prompts=prompts,
            seeds=seeds,
            iterations=iterations,
            size=_size(size),
            seconds=seconds,
            jobs=jobs,
            timing=timing,
            quality_runs=quality_runs,
            out=out,
            agents=agents,
            sim_seconds=sim_seconds,
        )


def _f(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _print_run(console, run, out: Path) -> None:
    from rich.table import Table

    t = Table(title=f"run {run.id}: {run.status} ({run.stop_reason})")
    for c in ("iter", "overall", "analysis", "physics", "violations", "intent", "time s", "prompt"):
        t.add_column(c)
    for it in run.iterations:
        secs = sum(s.seconds or 0.0 for s in it.stages.values())
        mark = " *" if it.index == run.best_iteration else ""
        t.add_row(
            f"{it.index}{mark}",
            _f(it.overall),
            _f(it.analysis_overall),
            _f(it.physics),
            _f(it.violations),
            _f(it.intent_similarity),
            f"{secs:.1f}",
            it.prompt[:70] + ("…" if len(it.prompt) > 70 else ""),
        )
    console.print(t)
    console.print(
        f"best iteration: {run.best_iteration} (overall {_f(run.best_overall)}) · report: {out / 'report.html'}"
    )
