"""``worlddirector generate`` and ``worlddirector bench generate``."""

from __future__ import annotations

from pathlib import Path

import typer

from worlddirector.errors import BadInputError


def _parse_size(text: str) -> tuple[int, int]:
    from worlddirector.config import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        prompt: str = typer.Argument(..., help="What the clip should show."),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory (must be empty or new)."),
        seed: int = typer.Option(0, "--seed", help="Seed for everything the prompt leaves open."),
        seconds: float = typer.Option(8.0, "--seconds", help="Clip length, 1-60 s."),
        size: str = typer.Option("640x360", "--size", help="WIDTHxHEIGHT, at most 1920x1080."),
        fps: int = typer.Option(24, "--fps", help="Frames per second, 1-60."),
        provider: str = typer.Option("procedural", "--provider", help="Video provider (see `worlddirector providers`)."),
        defects: str = typer.Option("auto", "--defects", help="auto | none | comma list (floating,pop_out,...)."),
        audio: str = typer.Option("on", "--audio", help="on | off: write a soundtrack."),
        continue_from: Path = typer.Option(None, "--continue-from", help="A previous procedural clip dir to continue."),
        force: bool = typer.Option(False, "--force", help="Overwrite a non-empty --out."),
    ) -> None:
        """Generate a clip: video.mp4, generation.json (and ground_truth.json for procedural)."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from worlddirector.providers.base import VideoRequest
        from worlddirector.providers.generate import generate
        from worlddirector.providers.procedural.defects import parse_defects_arg

        w, h = _parse_size(size)
        if audio.lower() not in ("on", "off"):
            raise BadInputError(f"--audio must be on or off, got {audio!r}")
        if seed < 0:
            raise BadInputError(f"--seed must be >= 0, got {seed}")
        dsel = parse_defects_arg(defects)
        if not prompt.strip():
            raise BadInputError("prompt is empty")
        if w > 1920 or h > 1080:
            raise BadInputError(f"size {w}x{h} is above the maximum 1920x1080")
        if not 1 <= seconds <= 60:
            raise BadInputError(f"seconds must be between 1 and 60, got {seconds}")
        if not 1 <= fps <= 60:
            raise BadInputError(f"fps must be between 1 and 60, got {fps}")
        req = VideoRequest(prompt=prompt, seconds=seconds, size=(w, h), fps=fps, seed=seed, defects=dsel,
                           audio=audio.lower() == "on", continue_from=continue_from)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("generating", total=1.0)
            gen = generate(req, out, provider=provider, force=force,
                           on_progress=lambda f, m: bar.update(task, completed=f, description=m))
        parsed = gen.parsed or {}
        typer.echo(f"wrote {out / gen.video} ({gen.provider}; {parsed.get('setting', '?')}, camera {parsed.get('camera', '?')}, "
                   f"{len(parsed.get('objects', []))} objects, defects: {', '.join(parsed.get('defects_injected', [])) or 'none'})")
        if gen.unparsed:
            typer.echo(f"not understood: {', '.join(gen.unparsed)}")

    @bench_app.command("generate")
    def bench_generate_cmd(
        repeats: int = typer.Option(3, "--repeats", help="Repeats per clip (median is reported)."),
        seconds: float = typer.Option(8.0, "--seconds"),
        size: str = typer.Option("640x360", "--size"),
        fps: int = typer.Option(24, "--fps"),
    ) -> None:
        """Time the procedural generator (render / encode split) against the 5 s target."""
        from worlddirector.bench.generate import run_bench

        if repeats < 1:
            raise BadInputError(f"--repeats must be at least 1, got {repeats}")
        run_bench(repeats=repeats, seconds=seconds, size=_parse_size(size), fps=fps)
