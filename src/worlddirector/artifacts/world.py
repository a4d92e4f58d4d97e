"""``world.json``: the 3D world rebuilt from a video (conventions as in ``ground_truth.py``: Z up,
metres, floor ``z = 0`` after alignment, cameras ``cam_from_world`` in OpenCV convention).

Owned by ``worlddirector.reconstruction``; simulation and the UI rely on these fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact, Vec3


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Floor(_M):
    normal: Vec3 = (0.0, 0.0, 1.0)
    extent_min: tuple[float, float]
    extent_max: tuple[float, float]
    confidence: float


class Wall(_M):
    id: str
    p0: tuple[float, float] = Field(description="wall base segment start (x, y) on the floor")
    p1: tuple[float, float]
    height: float
    confidence: float


class Obstacle(_M):
    id: str
    center: Vec3
    size: Vec3
    yaw: float = 0.0
    confidence: float
    label: str | None = None
    n_points: int = 0
    kind: Literal["box", "billboard"] = Field(
        "box", description="box: fitted to reconstructed points; billboard: single-view guess (upright, thin)"
    )
    color: tuple[int, int, int] | None = None
    completed: bool = Field(
        False, description="part of the footprint is a guess (unseen back grown away from the cameras, or a square "
        "assumed from an edge-on face): overlaps on that side are not evidence"
    )
    support: Literal["floor_contact", "floor_assumed", "free_below"] | None = Field(
        None, description="what holds the box up: floor_contact (its lowest points reach the floor), floor_assumed "
        "(lowest points higher, but no free space seen below them: the hidden base was extended to the floor), "
        "free_below (the cameras see the floor through the gap under it: the gap is kept); None: not assessed"
    )
    observed_bottom: float | None = Field(
        None, description="height of the box's lowest reconstructed points above the floor (m), before any snapping"
    )


class TrajectoryPoint(_M):
    frame: int
    time: float
    position: Vec3


class MovingObject(_M):
    id: str
    track_id: str
    size: Vec3
    trajectory: list[TrajectoryPoint]
    label: str | None = None
    color: tuple[int, int, int] | None = None
    lifted_by: str = Field("floor_contact", description="how 2D track boxes became 3D positions")


class RegisteredCamera(_M):
    frame: int
    cam_from_world: list[list[float]]


class World(Artifact):
    FILENAME = "world.json"
    schema_version: Literal[1] = 1
    method: Literal["multiview", "single_view"]
    reason: str = Field(description="why this method; for single_view, why multi-view geometry was not possible")
    scale_source: str
    intrinsics: dict[str, float]
    cameras: list[RegisteredCamera] = []
    floor: Floor
    walls: list[Wall] = []
    obstacles: list[Obstacle] = []
    moving_objects: list[MovingObject] = []
    n_points: int = 0
    files: dict[str, str] = Field(default_factory=lambda: {"glb": "world.glb", "points": "points.ply"})
    stats: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
