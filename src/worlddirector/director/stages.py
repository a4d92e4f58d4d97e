"""The five stages of one iteration, each behind one call with the same shape.

Each function runs one stage into an iteration directory and returns its artifact. Stage packages
are imported inside the functions so the director only needs the parts it actually runs (an
uploaded clip never imports the generator).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from worlddirector.artifacts.agent_report import AgentReport
from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.clip import Generation
from worlddirector.artifacts.world import World

ProgressFn = Callable[[float, str], None]

# providers whose clip is given, not generated: iteration 1 adopts it, no later iteration can exist
FIXED_SOURCES = ("upload", "sample")


def has_clip(d: Path) -> bool:
    return (d / Generation.FILENAME).exists() and (d / "video.mp4").exists()


def submitted_job(d: Path, provider: str) -> str | None:
    """The provider job id a remote provider recorded (``job.json``) before the stage stopped."""
    import json

    try:
        data = json.loads((d / "job.json").read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("provider") == provider and isinstance(data.get("job_id"), str):
        return data["job_id"]
    return None


def run_generate(
    d: Path,
    *,
    prompt: str,
    provider: str,
    seed: int,
    size: tuple[int, int],
    seconds: float,
    fps: int,
    api_key: str | None,
    force: bool,
    on_progress: ProgressFn,
    budget_usd: float | None = None,
    spend_ledger: Path | None = None,
    resume_job_id: str | None = None,
) -> Generation:
    """Generate the iteration's clip. ``resume_job_id`` polls a job already paid for instead of
    submitting again; ``spend_ledger`` (the run's ``spend.json``) makes the provider's cap cover the run."""
    from worlddirector.providers.base import VideoRequest
    from worlddirector.providers.generate import generate

    req = VideoRequest(
        prompt=prompt,
        seconds=seconds,
        size=tuple(size),
        fps=fps,
        seed=seed,
        api_key=api_key,
        budget_usd=budget_usd,
        spend_ledger=spend_ledger,
        resume_job_id=resume_job_id,
    )
    return generate(req, d, provider=provider, force=force, on_progress=on_progress)


def estimate_cost(
    *, prompt: str, provider: str, seed: int, size: tuple[int, int], seconds: float, fps: int
) -> float:
    """The provider's own estimate for one more clip (0 for offline providers)."""
    if provider in FIXED_SOURCES:
        return 0.0
    from worlddirector.providers.base import VideoRequest
    from worlddirector.providers.registry import get_provider

    req = VideoRequest(prompt=prompt, seconds=seconds, size=tuple(size), fps=fps, seed=seed)
    return float(get_provider(provider).estimate_cost(req))


def run_analyze(d: Path, *, llm: str, api_key: str | None, on_progress: ProgressFn) -> Analysis:
    from worlddirector.analysis import analyze_video

    model = None
    if (llm or "offline").lower() != "offline":
        from worlddirector.llm import get_llm

        model = get_llm(llm, api_key=api_key)
    return analyze_video(d / "video.mp4", d, llm=model, on_progress=on_progress)


def run_reconstruct(
    d: Path, *, analysis: Analysis, generation: Generation | None, on_progress: ProgressFn
) -> World:
    from worlddirector.reconstruction import reconstruct

    return reconstruct(d / "video.mp4", d, analysis=analysis, generation=generation, on_progress=on_progress)


def run_simulate(
    d: Path, *, seed: int, agents: int, sim_seconds: float, on_progress: ProgressFn
) -> AgentReport:
    from worlddirector.simulation import simulate

    return simulate(d, agents=agents, seconds=sim_seconds, seed=seed, on_progress=on_progress)
