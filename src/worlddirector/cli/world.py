"""``worlddirector world ...``: manage shared worlds, pre-render a tree, run Celery workers.

``prerender`` is the seed's preset tool: it claims the opening scene, then every branch breadth
first down to ``--depth``, through the same claim path the server uses (so it is safe to run
while the server is up: a branch someone else is already making is waited for, never made twice).
"""

from __future__ import annotations

import json
import time

import typer

from worlddirector.errors import BadInputError

world_app = typer.Typer(help="The shared branching world: create, inspect, pre-render, run workers.",
                        no_args_is_help=True)


def _service(jobs: bool, watchdog: bool = False):
    """The operator's own service: claim rate limits (meant for the public) do not apply."""
    from worlddirector.world.service import WorldService
    from worlddirector.world.settings import WorldSettings

    ws = WorldSettings(claim_rate_per_ip=10**9, claim_rate_per_contributor=10**9)
    return WorldService(world_settings=ws).start(jobs=jobs, watchdog=watchdog)


@world_app.command("list")
def list_cmd() -> None:
    """List worlds with their provider and opening-scene status."""
    svc = _service(jobs=False)
    try:
        for w in svc.list_worlds():
            typer.echo(f"{w.id}\t{w.video_provider}\t{w.llm}\t{w.video_size}\t{w.root_status}\t{w.title}")
    finally:
        svc.close()


@world_app.command("create")
def create_cmd(
    base_prompt: str = typer.Argument(..., help="The opening scene's prompt."),
    world_id: str = typer.Option(None, "--id", help="World id (lower-case letters, digits, - and _)."),
    title: str = typer.Option("", "--title"),
    provider: str = typer.Option(None, "--provider", help="Video provider (default WD_VIDEO_PROVIDER)."),
    llm: str = typer.Option(None, "--llm", help="Model layer backend (default WD_LLM)."),
    size: str = typer.Option(None, "--size", help="Video size, e.g. 640x360 (default VIDEO_SIZE)."),
    seconds: float = typer.Option(None, "--seconds", help="Clip length in seconds (default WD_SCENE_SECONDS)."),
    max_depth: int = typer.Option(None, "--max-depth"),
) -> None:
    """Create a world."""
    from pydantic import ValidationError

    from worlddirector.world.schemas import WorldCreate

    try:
        spec = WorldCreate(id=world_id, title=title, base_prompt=base_prompt, video_provider=provider, llm=llm,
                           video_size=size, seconds=seconds, max_depth=max_depth)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise BadInputError(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}") from None
    svc = _service(jobs=False)
    try:
        w = svc.create_world(spec)
        typer.echo(f"created world {w.id}")
    finally:
        svc.close()


@world_app.command("show")
def show_cmd(
    world_id: str = typer.Option(None, "--world", help="World id (default WORLD_ID)."),
    path: str = typer.Option("", "--path", help="Scene path ('' for the opening scene)."),
    metrics: bool = typer.Option(False, "--metrics", help="Print the world's metrics instead."),
) -> None:
    """Print a scene (or the world's metrics) as JSON."""
    svc = _service(jobs=False)
    try:
        wid = world_id or svc.settings.world_id
        out = svc.metrics(wid) if metrics else svc.get_scene(wid, path)
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=1))
    finally:
        svc.close()


@world_app.command("prerender")
def prerender_cmd(
    depth: int = typer.Option(1, "--depth", min=0, max=6, help="Levels below the opening scene (0 = only it)."),
    world_id: str = typer.Option(None, "--world", help="World id (default WORLD_ID)."),
    timeout: float = typer.Option(None, "--timeout", help="Give up after this many seconds (default: none)."),
) -> None:
    """Pre-generate the opening scene and every branch down to --depth, with progress."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    svc = _service(jobs=True, watchdog=True)
    try:
        wid = world_id or svc.settings.world_id
        w = svc.get_world(wid)
        depth = min(depth, w.max_depth)
        total = sum(3**d for d in range(depth + 1))
        deadline = time.monotonic() + timeout if timeout else None
        frontier, done, failed = [""], 0, []
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task(f"world {wid}", total=total)
            for level in range(depth + 1):
                waiting = []
                for p in frontier:
                    res = svc.claim(wid, p, None, "prerender")
                    waiting.append(p)
                    if res.status == "failed":
                        res = svc.retry(wid, p, None, "prerender")
                nxt = []
                while waiting:
                    still = []
                    for p in waiting:
                        sc = svc.get_scene(wid, p)
                        if sc.status == "ready":
                            done += 1
                            bar.advance(task)
                            if level < depth:
                                nxt += [c.path for c in sc.choices]
                        elif sc.status == "failed":
                            failed.append((p, sc.failure.message if sc.failure else "failed"))
                            bar.advance(task, 1 + sum(3**d for d in range(1, depth - level + 1)))
                        else:
                            still.append(p)
                            prog = f" {p or 'opening'}: {sc.progress_message or sc.status} {sc.progress:.0%}"
                            bar.update(task, description=f"world {wid} level {level}{prog}")
                    waiting = still
                    if deadline and time.monotonic() > deadline:
                        raise BadInputError(f"prerender timed out with {len(waiting)} branches unfinished")
                    if waiting:
                        time.sleep(0.3)
                frontier = nxt
        typer.echo(f"{done} branches ready, {len(failed)} failed")
        for p, msg in failed:
            typer.echo(f"  failed {p or '(opening)'}: {msg}")
        if failed:
            raise typer.Exit(1)
    finally:
        svc.close()


@world_app.command("worker")
def worker_cmd(
    concurrency: int = typer.Option(None, "--concurrency", "-c", help="Jobs at once (default WD_JOB_CONCURRENCY)."),
    loglevel: str = typer.Option("INFO", "--loglevel"),
) -> None:
    """Run a Celery worker for scene jobs (needs Redis at WD_REDIS_URL)."""
    from worlddirector.config import get_settings
    from worlddirector.world.celery_app import make_celery, worker_service

    settings = get_settings()
    worker_service()  # migrate and fail fast on a bad DATABASE_URL before taking tasks
    app = make_celery(settings.redis_url)
    app.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency or settings.job_concurrency}",
                     f"--loglevel={loglevel}", "--without-gossip", "--without-mingle", "--without-heartbeat"])


@world_app.command("watchdog")
def watchdog_cmd(once: bool = typer.Option(True, "--once/--loop", help="One scan, or keep scanning.")) -> None:
    """Recycle branches whose worker died or whose job overran (the server runs this too)."""
    from worlddirector.world.watchdog import sweep

    svc = _service(jobs=True, watchdog=False)
    try:
        while True:
            for wid, p, act in sweep(svc):
                typer.echo(f"{wid}\t{p or '(opening)'}\t{act}")
            if once:
                break
            time.sleep(svc.settings.watchdog_interval_seconds)
    finally:
        svc.close(wait_for_jobs=True)  # jobs it took over finish here


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.add_typer(world_app, name="world")

    @bench_app.command("world")
    def bench_world(
        bursts: int = typer.Option(20, "--bursts", help="Claim bursts per database."),
        claims: int = typer.Option(200, "--claims", help="Concurrent claims per burst."),
        clients: int = typer.Option(200, "--clients", help="Concurrent clients for the latency test."),
        seconds: float = typer.Option(10.0, "--seconds", help="Length of each load test."),
        postgres: str = typer.Option(None, "--postgres", help="PostgreSQL URL (default: the local test server)."),
    ) -> None:
        """Exactly-once claims under bursts, and GET/claim latency under load, on SQLite and PostgreSQL."""
        from worlddirector.bench.world import run

        run(bursts=bursts, claims=claims, clients=clients, seconds=seconds, postgres_url=postgres)
