"""The offline backend: deterministic rules and templates, no network, no keys, no cost."""

from __future__ import annotations

from pathlib import Path

from worlddirector.llm.base import LLM
from worlddirector.llm.schemas import (
    PlanContext,
    RevisionRequest,
    RevisionResult,
    SceneGraph,
    ScenePlan,
    StateSummary,
    SummaryContext,
)


class OfflineLLM(LLM):
    name = "offline"
    offline = True

    def plan_scene(self, ctx: PlanContext) -> ScenePlan:
        from worlddirector.llm.offline.planner import OfflinePlanner

        return OfflinePlanner().plan(ctx)

    def summarize_state(self, ctx: SummaryContext) -> StateSummary:
        from worlddirector.llm.offline.summary import summarize

        return summarize(ctx)

    def describe_keyframes(self, images: list[Path], hint: str = "") -> SceneGraph:
        from worlddirector.llm.offline.vision import describe

        return describe([Path(p) for p in images], hint)

    def revise_prompt(self, req: RevisionRequest) -> RevisionResult:
        from worlddirector.llm.offline.revise import revise

        return revise(req)


__all__ = ["OfflineLLM"]
