"""``worlddirector simulate DIR`` and ``worlddirector bench simulation``."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate_cmd(
    run_dir: Path = typer.Argument(..., help="Run directory with world.json (and analysis.json for continuity checks)."),
    agents: int = typer.Option(8, "--agents", help="Number of agents walking the world (0-64)."),
    seconds: float = typer.Option(30.0, "--seconds", help="Simulated seconds of agent walking."),
    seed: int = typer.Option(0, "--seed", help="Seed for spawn and goal order (same inputs + seed = same report)."),
) -> None:
    """Walk agents through the world under MuJoCo physics and report what is wrong, where and when."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from worlddirector.simulation import simulate

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("simulate", total=1.0)
        report = simulate(run_dir, agents=agents, seconds=seconds, seed=seed,
                          on_progress=lambda f, m: bar.update(task, completed=f, description=m))
    console = Console()
    if report.violations:
        t = Table(title=f"{len(report.violations)} violation(s)")
        for c in ("id", "type", "severity", "position", "time s", "object", "evidence"):
            t.add_column(c)
        for v in report.violations:
            t.add_row(v.id, v.type, f"{v.severity:.2f}", "(" + ", ".join(f"{x:.2f}" for x in v.position) + ")",
                      f"{v.time:.2f}", v.object_id or "", v.evidence)
        console.print(t)
    else:
        console.print("no violations found")
    s = report.stats
    reach = f"{report.reachable_fraction:.0%}" if report.reachable_fraction is not None else "n/a"
    console.print(
        f"{report.n_agents} agents, {report.sim_seconds:.0f} s simulated at {s.get('realtime_factor')}x real time; "
        f"reachable floor {reach}, coverage {s.get('coverage', 0):.0%}, goals {s.get('goals_reached')}/{s.get('goals_attempted')}"
    )
    for note in s.get("skipped_checks", []):
        console.print(f"[yellow]skipped[/yellow] {note}")
    typer.echo(f"wrote {Path(run_dir) / 'agent_report.json'}")


def bench_cmd(
    limit: int = typer.Option(0, "--limit", min=0, help="Use only the first N clips (0: all)."),
    work: Path = typer.Option(None, "--work", help="Keep clips, worlds and reports here (default: a temp dir)."),
    seconds: float = typer.Option(8.0, "--clip-seconds", help="Length of each generated clip."),
    reuse: bool = typer.Option(True, "--reuse/--no-reuse", help="Reuse stages already present in --work."),
    prompts: str = typer.Option("simulation_prompts.txt", "--prompts",
                                help="Clip list in benchmarks/: simulation_prompts.txt (held out) or "
                                     "simulation_prompts_dev.txt (the split the checks were tuned on)."),
    seed_offset: int = typer.Option(0, "--seed-offset", help="Add this to every clip's seed (another clip set)."),
) -> None:
    """Clip-level precision/recall per violation type vs ground truth, false findings on clean clips, speed."""
    from worlddirector.bench.simulation import run_bench

    ok = run_bench(limit=limit, work=work, clip_seconds=seconds, reuse=reuse, prompts=prompts, seed_offset=seed_offset)
    if not ok:
        raise typer.Exit(1)


def bench_av_cmd(
    seeds: int = typer.Option(12, "--seeds", min=1, help="Seeds per prompt set (each: a clean and a desynced clip)."),
    seconds: float = typer.Option(4.0, "--clip-seconds", help="Length of each generated clip."),
    work: Path = typer.Option(None, "--work", help="Clip cache (default: the analysis bench's)."),
    seed_start: int = typer.Option(0, "--seed-start", min=0, help="First seed (tune on one range, report on another)."),
    reanalyse: bool = typer.Option(False, "--reanalyse", help="Analyse cached clips again (after analysis changes)."),
) -> None:
    """The av_desync check vs ground truth: desynced clips flagged, false alarms on clean clips, offset error."""
    from worlddirector.bench.av_desync import run

    run(seeds, seconds, work, seed_start, reanalyse)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    bench_app.command("simulation")(bench_cmd)
    bench_app.command("av-sync")(bench_av_cmd)
