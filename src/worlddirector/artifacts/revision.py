"""``revision.json``: how one iteration's prompt was revised from its findings, and why.

Owned by ``worlddirector.revision``. Every change names the violation ids (or the weak metric)
it answers, so a person can trace each added clause back to evidence. ``constraints`` is the
full set of clauses the prompt now carries: the next revision starts from it, which is what keeps
edits deduplicated and lets a repeated problem escalate to stronger wording instead of piling up
near-duplicates.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Constraint(_M):
    """One clause the revised prompt carries (keyed so it is never added twice)."""

    key: str = Field(description="what the clause controls, e.g. 'support', 'lighting'")
    phrase: str
    level: int = Field(
        1, ge=1, description="1 = first wording; higher = escalated after the problem persisted"
    )


class PromptChange(_M):
    """One edit to the prompt with its reason and the evidence it answers."""

    action: Literal["add", "strengthen", "remove", "drop"] = Field(
        description="add a clause, strengthen an existing one, remove a prompt phrase that invites the "
        "problem, or drop a clause to keep the prompt short"
    )
    key: str
    edit: str = Field(description="the clause added (or the phrase removed)")
    reason: str
    violation_ids: list[str] = []
    metrics: list[str] = Field(default_factory=list, description="weak metrics this change answers")


class DiffOp(_M):
    op: Literal["equal", "insert", "delete"]
    text: str


class Revision(Artifact):
    FILENAME = "revision.json"
    schema_version: Literal[1] = 1
    iteration: int
    reviser: str = Field(description="'rules' (offline) or 'llm:<backend>'")
    original_prompt: str
    prompt: str = Field(description="the prompt this iteration was generated from")
    revised_prompt: str = Field(description="the prompt for the next iteration")
    changes: list[PromptChange]
    constraints: list[Constraint]
    removed_phrases: list[str] = Field(
        default_factory=list, description="words taken out of the original prompt"
    )
    diff: list[DiffOp]
    intent_similarity: float = Field(description="cosine similarity of revised_prompt to original_prompt")
    notes: list[str] = []
    timings: dict[str, float] = Field(default_factory=dict)
