"""``generation.json``: how a clip was made, by whom, and what of the prompt was understood."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from worlddirector.artifacts.base import Artifact
from worlddirector.artifacts.ground_truth import Intrinsics


class Generation(Artifact):
    FILENAME = "generation.json"
    schema_version: Literal[1] = 1
    prompt: str
    provider: str
    model: str | None = None
    synthetic: bool = Field(description="True for offline/procedural output: never a real model's video")
    parameters: dict[str, Any] = Field(description="seed, seconds, size, fps, defects, ... as requested")
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per step")
    parsed: dict[str, Any] = Field(default_factory=dict, description="what the provider understood")
    unparsed: list[str] = Field(default_factory=list, description="prompt words the provider could not place")
    video: str = "video.mp4"
    intrinsics: Intrinsics | None = Field(None, description="camera intrinsics when the provider knows them")
    job_id: str | None = None
    cost_usd: float = 0.0
    source: str | None = Field(None, description="for uploads: the original file name (kept beside as original.*)")
