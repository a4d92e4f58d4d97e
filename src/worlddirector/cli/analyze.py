"""``worlddirector analyze VIDEO --out DIR`` and ``worlddirector bench analysis``."""

from __future__ import annotations

from pathlib import Path

import typer

from worlddirector.errors import BadInputError


def analyze_cmd(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, webm, ...)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for analysis.json and keyframes/."),
    llm: str = typer.Option(
        "offline", "--llm", help="Model backend for a keyframe scene graph (offline: none)."
    ),
    api_key: str = typer.Option(
        None, "--api-key", help="Your own key for the --llm backend (used for this call only)."
    ),
) -> None:
    """Measure a video: shots, keyframes, camera motion, object tracks/events and quality metrics."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from worlddirector.analysis import analyze_video

    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out}: exists and is not a directory")
    model = None
    if llm and llm.strip().lower() != "offline":
        from worlddirector.llm import get_llm

        model = get_llm(llm, api_key=api_key)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("analyse", total=1.0)
        a = analyze_video(
            video, out, llm=model, on_progress=lambda f, m: bar.update(task, completed=f, description=m)
        )
    v = a.video
    typer.echo(
        f"{Path(v.path).name}: {v.width}x{v.height} {v.fps:g} fps, {v.n_frames} frames, "
        f"analysed at {v.analysed_width}x{v.analysed_height} step {v.frame_step}"
    )
    for note in v.notes:
        typer.echo(f"  note: {note}")
    typer.echo(
        "metrics: " + ", ".join(f"{k}={'-' if val is None else f'{val:.3f}'}" for k, val in a.metrics.items())
    )
    typer.echo(
        f"camera: {a.camera_motion.get('label')} ({a.camera_motion.get('detail', '')}); "
        f"shots {len(a.shots)}; "
        f"tracks {len(a.tracks)}; events {len(a.events)}; flicker frames {len(a.flicker_frames)}; "
        f"keyframes {len(a.keyframes)}"
    )
    for e in a.events[:20]:
        typer.echo(f"  {e.type:8s} frame {e.frame:5d} {e.track_id}: {e.evidence}")
    if a.scene_description.get("text"):
        typer.echo(f"scene: {a.scene_description['text']}")
    typer.echo(f"wrote {out / 'analysis.json'} in {a.timings.get('total', 0):.2f} s")


def bench_cmd(
    seeds: int = typer.Option(20, "--seeds", min=1, help="Seeds per defect type (and clean)."),
    seed_start: int = typer.Option(
        0, "--seed-start", min=0, help="First seed (tune on one range, report on another)."
    ),
    seconds: float = typer.Option(4.0, "--seconds", min=1.0, help="Clip length for the accuracy part."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Repeats for the speed measurement."),
    work: Path = typer.Option(
        None, "--work", help="Cache clips here (default: a temp dir that is kept between runs)."
    ),
    reuse: bool = typer.Option(
        False, "--reuse", help="Reuse cached analyses of cached clips (only after no code change)."
    ),
) -> None:
    """AUROC of each metric per defect type, event precision/recall by frame, and speed vs decode."""
    from worlddirector.bench.analysis import run_bench

    ok = run_bench(
        seeds=seeds, seconds=seconds, repeats=repeats, work=work, reanalyse=not reuse, seed_start=seed_start
    )
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("analyze")(analyze_cmd)
    bench_app.command("analysis")(bench_cmd)
