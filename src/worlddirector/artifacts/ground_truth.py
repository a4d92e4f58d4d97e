"""What the offline generator drew, and which generative failures it emulated.

Only evaluation (tests and ``worlddirector bench``) reads this file; the pipeline never does.

Conventions (shared with ``world.json``):

* World frame: right-handed, metres, **Z up**, the floor is the plane ``z = 0``.
* Camera: OpenCV convention (x right, y down, z forward). ``cam_from_world`` is a 3x4 ``[R|t]``
  such that a world point ``X`` projects to pixel ``K @ (R @ X + t)`` (dehomogenised). This is the
  convention of COLMAP/pycolmap, so reconstruction can be compared without flips.
* Object ``position`` is the centre of the object's bounding box; ``size`` is the full
  bounding-box extent (x, y, z) at scale 1 and yaw 0; the box is ``size * scale``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact, Vec3

DefectType = Literal[
    "floating", "interpenetration", "pop_in", "pop_out", "flicker", "teleport", "size_drift",
    "av_desync", "silent",
]
DEFECT_TYPES: tuple[str, ...] = (
    "floating", "interpenetration", "pop_in", "pop_out", "flicker", "teleport", "size_drift",
)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Intrinsics(_M):
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int


class CameraTrack(_M):
    intrinsics: Intrinsics
    move: str = Field(description="static | dolly | orbit | pan | tracking | handheld")
    cam_from_world: list[list[list[float]]] = Field(description="per frame 3x4 [R|t], OpenCV convention")
    height_m: float = Field(description="nominal camera height above the floor (the reconstruction's scale prior)")


class ObjectTrack(_M):
    id: str
    kind: str
    color_name: str
    rgb: tuple[int, int, int]
    size: Vec3
    static: bool = Field(description="never moves on its own (obstacle) when no defect acts on it")
    motion: str | None = Field(None, description="walk | run | roll | fly | drive | fall | bounce | launch")
    position: list[Vec3] = Field(description="per frame bounding-box centre, world frame")
    yaw: list[float] = Field(description="per frame rotation about +Z, radians")
    scale: list[float] = Field(description="per frame uniform scale factor (1.0 unless size_drift)")
    visible: list[bool] = Field(description="per frame: drawn at all (False during pop_in before / pop_out after)")
    bbox2d: list[tuple[float, float, float, float] | None] = Field(
        description="per frame projected box [x0, y0, x1, y1] in pixels, None when not drawn or off screen"
    )


class Defect(_M):
    type: DefectType
    object_id: str | None
    frames: tuple[int, int] = Field(description="first and last affected frame, inclusive")
    magnitude: float
    note: str = ""


class AudioEvent(_M):
    kind: str
    time: float
    object_id: str | None = None


class Room(_M):
    """Static layout: the floor rectangle and, for enclosed settings, walls on its sides."""

    floor_min: tuple[float, float]
    floor_max: tuple[float, float]
    walls: bool
    wall_height: float = 0.0


class GroundTruth(Artifact):
    FILENAME = "ground_truth.json"
    schema_version: Literal[1] = 1
    prompt: str
    seed: int
    fps: int
    width: int
    height: int
    n_frames: int
    setting: str
    light: str
    room: Room
    camera: CameraTrack
    objects: list[ObjectTrack]
    defects: list[Defect]
    audio_events: list[AudioEvent] = []
