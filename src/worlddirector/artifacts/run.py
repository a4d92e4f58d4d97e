"""``run.json``: the lineage of one director run.

Owned by ``worlddirector.director``. It is rewritten (atomically) after every stage, so it always
says how far the run got; rerunning ``direct`` on the same directory reads it to resume from the
last finished stage. Every iteration keeps its prompt, metrics, violation counts by type, intent
similarity, per-stage timings and cost, so a run can be compared and charted without reopening
the stage artifacts.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact

STAGES: tuple[str, ...] = ("generate", "analyze", "reconstruct", "simulate", "revise")
StageName = Literal["generate", "analyze", "reconstruct", "simulate", "revise"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RunParams(_M):
    """What the run was asked to do. Generation parameters must match when a run is resumed."""

    iterations: int = Field(3, ge=1, le=50)
    target: float = Field(0.85, ge=0, le=1)
    provider: str = "procedural"
    llm: str = "offline"
    budget_usd: float | None = Field(None, ge=0)
    seed: int = 0
    size: tuple[int, int] = (640, 360)
    seconds: float = 8.0
    fps: int = 24


class StageRecord(_M):
    status: Literal["pending", "running", "finished", "failed", "skipped"] = "pending"
    seconds: float | None = None
    error: str | None = None
    code: str | None = Field(None, description="the error's code (e.g. moderation_rejected, timeout)")
    retryable: bool | None = Field(
        None, description="whether the failure may pass on its own (timeouts, rate limits)"
    )


class IterationRecord(_M):
    index: int = Field(ge=1)
    dir: str = Field(description="relative to the run directory, e.g. iter-01")
    prompt: str
    status: Literal["running", "finished", "failed"] = "running"
    stages: dict[str, StageRecord] = Field(default_factory=lambda: {s: StageRecord() for s in STAGES})
    metrics: dict[str, float | None] = Field(default_factory=dict, description="analysis metrics")
    overall: float | None = Field(
        None,
        description="the loop's quality score (compared with the target): "
        "0.5 * analysis_overall + 0.5 * physics, see director/scoring.py",
    )
    analysis_overall: float | None = Field(
        None, description="the analysis stage's pixel-level overall metric"
    )
    physics: float | None = Field(None, description="1 / (1 + capped severity sum) of the agents' findings")
    violations: int | None = None
    violations_by_type: dict[str, int] = Field(default_factory=dict)
    intent_similarity: float | None = None
    cost_usd: float = 0.0
    revised_prompt: str | None = None
    world_method: str | None = None
    error: str | None = None


class Run(Artifact):
    FILENAME = "run.json"
    schema_version: Literal[1] = 1
    id: str
    original_prompt: str
    params: RunParams
    status: Literal["running", "finished", "failed"] = "running"
    iterations: list[IterationRecord] = []
    best_iteration: int | None = None
    best_overall: float | None = None
    stop_reason: str | None = None
    error: str | None = None
    cost_usd: float = 0.0
    created_at: str
    updated_at: str
    extra: dict[str, Any] = Field(default_factory=dict)

    def iteration(self, index: int) -> IterationRecord | None:
        for it in self.iterations:
            if it.index == index:
                return it
        return None
