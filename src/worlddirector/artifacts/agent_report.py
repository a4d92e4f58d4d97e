"""``agent_report.json``: what agents and physics found in a world, with place, time and evidence.

Owned by ``worlddirector.simulation``. Positions are in the world frame (Z up, metres).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact, Vec3

ViolationType = Literal[
    "interpenetration", "floating", "unstable_object", "unreachable_area", "agent_stuck", "tunneling",
    "pop_in", "pop_out", "teleport", "size_drift", "flicker", "implausible_motion", "av_desync",
]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Violation(_M):
    id: str
    type: ViolationType
    severity: float = Field(ge=0, le=1)
    position: Vec3
    time: float
    frames: list[int] = []
    object_id: str | None = None
    evidence: str


class Replay(_M):
    hz: float = 30.0
    agents: dict[str, list[Vec3]] = Field(default_factory=dict, description="agent id -> positions per tick")
    objects: dict[str, list[Vec3]] = Field(default_factory=dict, description="object id -> positions per tick")
    settle: dict[str, list[Vec3]] = Field(
        default_factory=dict,
        description="obstacle id -> centre per tick (same hz) while released under gravity in the settle test",
    )
    present: dict[str, list[tuple[int, int]]] = Field(
        default_factory=dict,
        description="object id -> inclusive tick ranges when the tracked object is in the scene (the clip loops)",
    )
    starts: dict[str, tuple[float, float]] = Field(default_factory=dict, description="agent id -> spawn (x, y)")


class AgentReport(Artifact):
    FILENAME = "agent_report.json"
    schema_version: Literal[1] = 1
    seed: int
    n_agents: int
    sim_seconds: float
    violations: list[Violation]
    reachable_fraction: float | None = None
    replay: Replay
    stats: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    # the 30 Hz replay of a busy world is hundreds of thousands of numbers: one per line would
    # more than double the file
    JSON_INDENT: ClassVar[int | None] = None
