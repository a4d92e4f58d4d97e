"""``worlddirector reconstruct VIDEO --out DIR`` and ``worlddirector bench reconstruction``."""

from __future__ import annotations

from pathlib import Path

import typer

from worlddirector.errors import BadInputError


def reconstruct_cmd(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, webm, ...)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for world.json, world.glb and points.ply."),
    analysis: Path = typer.Option(None, "--analysis", help="analysis.json to lift tracks from (default: DIR/analysis.json)."),
    generation: Path = typer.Option(None, "--generation", help="generation.json with known intrinsics (default: DIR/generation.json)."),
    camera_height: float = typer.Option(1.6, "--camera-height", help="Scale prior: camera height above the floor, metres."),
    keyframes: int = typer.Option(24, "--keyframes", min=3, max=80, help="Target number of SfM keyframes."),
) -> None:
    """Rebuild a video as a 3D world (multi-view SfM, or an honestly labelled single-view world)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from worlddirector.artifacts.analysis import Analysis
    from worlddirector.artifacts.clip import Generation
    from worlddirector.reconstruction import reconstruct

    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out}: exists and is not a directory")
    an = Analysis.load(analysis) if analysis else None
    gen = Generation.load(generation) if generation else None
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("reconstruct", total=1.0)
        world = reconstruct(
            video, out, analysis=an, generation=gen, camera_height=camera_height, keyframes=keyframes,
            on_progress=lambda f, m: bar.update(task, completed=f, description=m),
        )
    typer.echo(f"{world.method}: {world.reason}")
    typer.echo(
        f"cameras {len(world.cameras)}, points {world.n_points}, walls {len(world.walls)}, "
        f"obstacles {len(world.obstacles)}, moving objects {len(world.moving_objects)}, "
        f"{world.timings.get('total', 0):.1f} s"
    )
    typer.echo(f"wrote {out / 'world.json'}, {out / 'world.glb'}, {out / 'points.ply'}")


def bench_cmd(
    seeds: int = typer.Option(2, "--seeds", min=1, help="Seeds per prompt."),
    seed_start: int = typer.Option(0, "--seed-start", min=0,
                                   help="First seed: tune on one seed range, report another."),
    limit: int = typer.Option(0, "--limit", min=0, help="Use only the first N prompts (0: all)."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Repeats for the wall-time measurement."),
    work: Path = typer.Option(None, "--work", help="Keep clips and worlds here (default: a temp dir)."),
) -> None:
    """Accuracy vs ground truth (ATE, floor normal, obstacle recall/centre error) and wall time."""
    from worlddirector.bench.reconstruction import run_bench

    ok = run_bench(seeds=seeds, limit=limit, repeats=repeats, work=work, seed_start=seed_start)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("reconstruct")(reconstruct_cmd)
    bench_app.command("reconstruction")(bench_cmd)
