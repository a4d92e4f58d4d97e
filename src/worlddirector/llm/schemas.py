"""Typed inputs and outputs of the language/vision model layer.

Every backend (offline rules, the OpenAI Responses API, any OpenAI-compatible server) reads the
``*Context`` / ``*Request`` models and must return the output models below. Remote outputs are
validated against exactly these models (the JSON schema sent to the model is derived from them), so
a malformed answer is caught here instead of leaking placeholder text downstream.

Output models forbid extra keys and carry no defaults, which is what OpenAI's *strict* structured
outputs need (every property required, ``additionalProperties: false``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Out(BaseModel):
    """Base of every model output: strict (no extra keys, no defaults)."""

    model_config = ConfigDict(extra="forbid")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _nonblank(v: str) -> str:
    v = " ".join(v.split())
    if not v:
        raise ValueError("must not be empty")
    return v


# ---- planner ---------------------------------------------------------------------------------


class Choice(_Out):
    """One branch offered to the viewer after a scene."""

    label: str = Field(description="one sentence: what the protagonist does next")
    short: str = Field(description="2-5 words for a button")

    _clean = field_validator("label", "short")(_nonblank)

    @field_validator("short")
    @classmethod
    def _short_is_short(cls, v: str) -> str:
        if len(v.split()) > 6 or len(v) > 48:
            raise ValueError("short label must be at most 6 words / 48 characters")
        return v


class Ancestor(_In):
    """One scene on the path from the root to the scene being planned (oldest first)."""

    prompt: str
    choice: str | None = Field(None, description="the choice label that led to this scene (None for the root)")
    state_summary: str = ""


class PlanContext(_In):
    """What the planner knows when it writes a scene.

    ``choice`` is the label the viewer picked to reach this scene (None for the root scene);
    ``state_summary`` is the running summary of the parent scene (the facts the story must keep).
    """

    base_prompt: str
    guidance: str | None = None
    path: str = Field("", description="canonical scene path, e.g. '' (root) or '0/2'")
    choice: str | None = None
    state_summary: str = ""
    ancestors: list[Ancestor] = Field(default_factory=list)
    seconds: float = 8.0

    _clean = field_validator("base_prompt")(_nonblank)

    @property
    def depth(self) -> int:
        return 0 if not self.path else self.path.count("/") + 1


class ScenePlan(_Out):
    """The planner's output: the prompt for this scene's clip, the next three choices, the new summary."""

    scene_prompt: str = Field(description="the video prompt: one 8-second action beat, setup -> escalation -> outcome")
    choices: list[Choice] = Field(min_length=3, max_length=3, description="exactly three distinct next choices")
    state_summary: str = Field(description="running world state after this scene: facts later scenes must keep")

    _clean = field_validator("scene_prompt", "state_summary")(_nonblank)

    @field_validator("choices")
    @classmethod
    def _distinct(cls, v: list[Choice]) -> list[Choice]:
        if len({c.label.lower() for c in v}) != len(v) or len({c.short.lower() for c in v}) != len(v):
            raise ValueError("choices must be distinct")
        return v


# ---- state summary ---------------------------------------------------------------------------


class SummaryContext(_In):
    """A scene that just happened, and the summary of the story before it."""

    base_prompt: str = ""
    previous_summary: str = ""
    scene_prompt: str
    choice: str | None = None

    _clean = field_validator("scene_prompt")(_nonblank)


class StateSummary(_Out):
    summary: str = Field(description="a short paragraph: where the protagonist is, what they carry, what threatens")
    facts: list[str] = Field(description="short standalone facts later scenes must not contradict")

    _clean = field_validator("summary")(_nonblank)


# ---- vision: keyframes -> scene graph --------------------------------------------------------


class SceneObject(_Out):
    label: str = Field(description="what the object is (or a colour-shape label when unknown)")
    color: str = Field(description="dominant colour name")
    position_hint: str = Field(description="where in frame, e.g. 'left, on the ground'")
    size_hint: Literal["small", "medium", "large"]
    motion: str = Field(description="'static' or how it moves across the keyframes")


class Relation(_Out):
    subject: str
    relation: str = Field(description="e.g. left_of, right_of, above, on, near")
    object: str


class SceneGraph(_Out):
    setting: str = Field(description="indoor/outdoor and kind of place")
    lighting: str = Field(description="e.g. bright daylight, dim, night")
    dominant_colors: list[str]
    objects: list[SceneObject]
    relations: list[Relation]
    description: str = Field(description="one or two sentences a person would write")


# ---- prompt revision -------------------------------------------------------------------------


class Change(_Out):
    """One edit to a prompt and why (the violation ids it answers)."""

    edit: str = Field(description="the clause added to (or changed in) the prompt")
    reason: str
    violation_ids: list[str]

    _clean = field_validator("edit")(_nonblank)


class ViolationBrief(_In):
    """What the reviser needs to know about one finding (a subset of the agent report's violation)."""

    id: str
    type: str
    severity: float = 0.5
    evidence: str = ""
    object_id: str | None = None


class RevisionRequest(_In):
    """Revise ``prompt`` (the current iteration's) while keeping ``original_prompt``'s intent.

    ``edits`` are edits a rule-based reviser already chose; the offline backend applies them, an
    LLM backend may rephrase and merge them. ``violations`` and ``metrics`` are the evidence.
    """

    original_prompt: str
    prompt: str
    edits: list[Change] = Field(default_factory=list)
    violations: list[ViolationBrief] = Field(default_factory=list)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    max_words: int = Field(140, ge=20, le=1000)

    _clean = field_validator("original_prompt", "prompt")(_nonblank)


class RevisionResult(_Out):
    revised_prompt: str
    changes: list[Change]

    _clean = field_validator("revised_prompt")(_nonblank)
