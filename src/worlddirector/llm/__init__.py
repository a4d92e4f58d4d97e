"""The language/vision model layer: planner, state summary, keyframe description, prompt revision.

``get_llm("offline")`` (the default) is deterministic and needs nothing; ``get_llm("openai")``
talks to the OpenAI Responses API or any compatible server (``OPENAI_BASE_URL``). A per-call
``api_key`` is used for that backend object only and never stored or logged.
"""

from __future__ import annotations

from worlddirector.llm.base import LLM
from worlddirector.llm.errors import LLMError
from worlddirector.llm.schemas import (
    Ancestor,
    Change,
    Choice,
    PlanContext,
    Relation,
    RevisionRequest,
    RevisionResult,
    SceneGraph,
    SceneObject,
    ScenePlan,
    StateSummary,
    SummaryContext,
    ViolationBrief,
)

LLM_NAMES = ("offline", "openai")


def get_llm(name: str = "offline", *, api_key: str | None = None, settings=None) -> LLM:
    """Build the named backend. Unknown names raise :class:`~worlddirector.errors.BadInputError`."""
    from worlddirector.errors import BadInputError

    key = (name or "offline").strip().lower()
    if key == "offline":
        from worlddirector.llm.offline import OfflineLLM

        return OfflineLLM()
    if key == "openai":
        from worlddirector.llm.openai_llm import OpenAILLM

        return OpenAILLM(api_key=api_key, settings=settings)
    raise BadInputError(f"unknown model backend {name!r}; choose one of: {', '.join(LLM_NAMES)}")


__all__ = [
    "LLM",
    "LLM_NAMES",
    "Ancestor",
    "Change",
    "Choice",
    "LLMError",
    "PlanContext",
    "Relation",
    "RevisionRequest",
    "RevisionResult",
    "SceneGraph",
    "SceneObject",
    "ScenePlan",
    "StateSummary",
    "SummaryContext",
    "ViolationBrief",
    "get_llm",
]
