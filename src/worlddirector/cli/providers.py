"""``worlddirector providers``: which video providers and model backends can run here, and why not.

Also ``providers estimate`` (what a clip would cost) and ``providers cancel`` (stop a paid job).
"""

from __future__ import annotations

import json

import typer

providers_app = typer.Typer(help="List video providers and model backends (configured or not, and why).",
                            invoke_without_command=True, no_args_is_help=False)


def provider_status(settings=None) -> list[dict]:
    """One row per registered provider: name, ready, why, synthetic, model."""
    from worlddirector.config import get_settings
    from worlddirector.providers.registry import get_provider, provider_names

    s = settings or get_settings()
    rows = []
    for name in provider_names():
        try:
            p = get_provider(name, settings=s)
            ok, why = p.configured()
            model = p.model_name(_probe_request()) if hasattr(p, "model_name") else None
            rows.append({"name": name, "ready": bool(ok), "why": why, "synthetic": bool(p.synthetic), "model": model,
                         "default": name == s.video_provider})
        except Exception as exc:  # noqa: BLE001 - a provider whose module cannot load is reported, not fatal
            rows.append({"name": name, "ready": False, "why": f"cannot load: {type(exc).__name__}: {exc}",
                         "synthetic": False, "model": None, "default": name == s.video_provider})
    return rows


def llm_status(settings=None) -> list[dict]:
    from worlddirector.config import get_settings

    s = settings or get_settings()
    rows = [{"name": "offline", "ready": True, "why": "deterministic rules and templates (no key, no network)",
             "model": None, "default": s.llm == "offline"}]
    if s.openai_api_key is not None or s.openai_base_url:
        why = f"model {s.openai_llm_model} at {s.openai_base_url or 'api.openai.com'}"
        rows.append({"name": "openai", "ready": True, "why": why, "model": s.openai_llm_model,
                     "default": s.llm == "openai"})
    else:
        rows.append({"name": "openai", "ready": False, "model": s.openai_llm_model, "default": s.llm == "openai",
                     "why": "OPENAI_API_KEY is not set (nor OPENAI_BASE_URL for a compatible server); "
                            "a caller's key can still be passed per request"})
    return rows


def _probe_request():
    from worlddirector.providers.base import VideoRequest

    return VideoRequest(prompt="probe")


@providers_app.callback()
def list_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Each video provider and model backend: configured or not, and why."""
    if ctx.invoked_subcommand is not None:
        return
    rows, llms = provider_status(), llm_status()
    if as_json:
        typer.echo(json.dumps({"providers": rows, "llm": llms}, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="Video providers (--provider)")
    for col in ("name", "ready", "output", "details"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["name"] + (" (default)" if r["default"] else ""), "yes" if r["ready"] else "no",
                  "synthetic" if r["synthetic"] else "real model", r["why"])
    console.print(t)
    t2 = Table(title="Model backends (--llm)")
    for col in ("name", "ready", "details"):
        t2.add_column(col)
    for r in llms:
        t2.add_row(r["name"] + (" (default)" if r["default"] else ""), "yes" if r["ready"] else "no", r["why"])
    console.print(t2)


@providers_app.command("estimate")
def estimate_cmd(
    provider: str = typer.Argument(..., help="Provider name (see `worlddirector providers`)."),
    seconds: float = typer.Option(8.0, "--seconds", min=1, max=60),
    size: str = typer.Option("1280x720", "--size", help="WIDTHxHEIGHT"),
    model: str = typer.Option(None, "--model", help="Override the provider's model."),
) -> None:
    """Estimated cost of one clip (list prices; the provider's bill is what counts)."""
    from worlddirector.config import get_settings, parse_size
    from worlddirector.errors import BadInputError
    from worlddirector.providers.base import VideoRequest
    from worlddirector.providers.registry import get_provider

    try:
        wh = parse_size(size)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    p = get_provider(provider, settings=get_settings())
    req = VideoRequest(prompt="estimate", seconds=seconds, size=wh, model=model)
    name = p.model_name(req) if hasattr(p, "model_name") else provider
    typer.echo(f"{provider} ({name}): about ${p.estimate_cost(req):.2f} for {seconds:g} s")


@providers_app.command("cancel")
def cancel_cmd(
    provider: str = typer.Argument(..., help="Provider name."),
    job_id: str = typer.Argument(..., help="The provider's job id (job.json in the clip directory)."),
) -> None:
    """Ask a provider to stop a job (uses the operator's key from settings)."""
    from worlddirector.config import get_settings
    from worlddirector.errors import BadInputError
    from worlddirector.providers.registry import get_provider

    p = get_provider(provider, settings=get_settings())
    if not hasattr(p, "cancel"):
        raise BadInputError(f"provider {provider} runs locally; there is no job to cancel")
    ok = p.cancel(job_id)
    typer.echo(f"{provider} job {job_id}: {'cancellation requested' if ok else 'the provider did not accept a cancel'}")
    if not ok:
        raise typer.Exit(1)


def bench_llm_cmd(depth: int = typer.Option(3, "--depth", min=1, max=5, help="Choice-tree depth per world.")) -> None:
    """Offline model layer: planner variety and coherence over choice trees, and per-call speed."""
    from worlddirector.bench.llm import run

    run(depth=depth)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.add_typer(providers_app, name="providers")
    bench_app.command("llm")(bench_llm_cmd)
