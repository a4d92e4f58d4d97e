"""Pydantic models at the world service's boundary (HTTP bodies and responses, CLI output).

JSON uses camelCase (``apiKey``, ``basePrompt``) as the seed's clients do; Python uses snake_case.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.alias_generators import to_camel

from worlddirector.config import parse_size


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


Status = Literal["pending", "queued", "generating", "ready", "failed"]


class ChoiceView(_Model):
    index: int
    label: str
    short: str
    path: str
    status: Status | None = Field(None, description="the child branch's status (null: not offered at this depth)")


class Failure(_Model):
    code: str
    message: str


class MediaView(_Model):
    video: str | None = None
    first_frame: str | None = None
    last_frame: str | None = None


class SceneView(_Model):
    world_id: str
    path: str
    depth: int
    status: Status
    prompt: str | None = None
    choice_label: str | None = None
    choices: list[ChoiceView] = Field(default_factory=list)
    state_summary: str | None = None
    media: MediaView = Field(default_factory=MediaView)
    progress: float = 0.0
    progress_message: str | None = None
    attempts: int = 0
    provider: str | None = None
    failure: Failure | None = None
    continuity_score: float | None = None
    render_seconds: float | None = None
    quality: dict | None = None
    is_ending: bool = False
    updated_at: float


class ClaimRequest(_Model):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    path: str = Field("", max_length=4096, description="canonical path: '' (opening scene), '0', '0/2', ...")
    api_key: SecretStr | None = Field(
        None, max_length=512, description="your own provider key: used for this job only, never stored"
    )


class RetryRequest(_Model):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    api_key: SecretStr | None = Field(None, max_length=512)


class ClaimResult(_Model):
    status: Literal["ready", "queued", "failed"]
    started: bool = Field(description="true when this request started the branch's generation")
    scene: SceneView


class WorldCreate(_Model):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str = Field("", max_length=200)
    base_prompt: str = Field(min_length=1, max_length=4000)
    guidance: str | None = Field(None, max_length=4000)
    video_provider: str | None = Field(None, max_length=64)
    video_model: str | None = Field(None, max_length=128)
    llm: str | None = Field(None, max_length=64)
    planner_model: str | None = Field(None, max_length=128)
    video_size: str | None = Field(None, max_length=16)
    seconds: float | None = Field(None, ge=1, le=60)
    fps: int | None = Field(None, ge=1, le=60)
    max_depth: int | None = Field(None, ge=1, le=64)
    max_attempts: int | None = Field(None, ge=1, le=20, description="attempts before an overrun branch stays failed")
    quality_gate: bool | None = None

    @field_validator("video_size")
    @classmethod
    def _size(cls, v: str | None) -> str | None:
        if v is not None:
            w, h = parse_size(v)
            if w * h > 1920 * 1080:
                raise ValueError("size above 1920x1080")
        return v

    @field_validator("base_prompt")
    @classmethod
    def _prompt(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("base prompt is empty")
        return v.strip()


class WorldView(_Model):
    id: str
    title: str
    base_prompt: str
    guidance: str | None
    video_provider: str
    video_model: str | None
    llm: str
    planner_model: str | None
    video_size: str
    seconds: float
    fps: int
    max_depth: int
    max_attempts: int
    quality_gate: bool
    created_at: float
    root_status: Status | None = None


class RenderStats(_Model):
    count: int = 0
    p50: float | None = None
    mean: float | None = None
    max: float | None = None


class MetricsView(_Model):
    world_id: str
    branches: dict[str, int]
    storage_bytes: int
    jobs: dict[str, int]
    success_rate: float | None = Field(description="finished jobs that produced a ready branch")
    render_seconds: RenderStats
    continuity: RenderStats


class TreeNode(_Model):
    path: str
    status: Status
    label: str | None = None
    short: str | None = None
    progress: float = 0.0
    children: list[TreeNode] = Field(default_factory=list)
