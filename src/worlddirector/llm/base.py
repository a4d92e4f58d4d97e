"""The interface every language/vision backend implements.

A backend is four typed functions. Stages call them through :func:`worlddirector.llm.get_llm`, so
the offline rules and a remote model are interchangeable and both return the same pydantic models.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from worlddirector.llm.schemas import (
    PlanContext,
    RevisionRequest,
    RevisionResult,
    SceneGraph,
    ScenePlan,
    StateSummary,
    SummaryContext,
)


class LLM(ABC):
    """A planner, summariser, keyframe describer and prompt reviser behind one object."""

    name: str = ""
    #: True when outputs come from local rules (deterministic, free), never from a model.
    offline: bool = False

    @abstractmethod
    def plan_scene(self, ctx: PlanContext) -> ScenePlan:
        """Write a scene's video prompt (one 8 s beat), its three next choices and the new state summary."""

    @abstractmethod
    def summarize_state(self, ctx: SummaryContext) -> StateSummary:
        """Fold a finished scene into the running world state."""

    @abstractmethod
    def describe_keyframes(self, images: list[Path], hint: str = "") -> SceneGraph:
        """Describe what keyframe images show as a scene graph (setting, objects, relations)."""

    @abstractmethod
    def revise_prompt(self, req: RevisionRequest) -> RevisionResult:
        """Rewrite a prompt to answer findings while keeping the original intent."""
