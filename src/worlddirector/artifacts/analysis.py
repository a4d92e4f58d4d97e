"""``analysis.json``: what the analysis stage measured from a video's pixels.

Owned by ``worlddirector.analysis``; downstream stages (reconstruction, simulation, revision, UI)
rely on the fields below. Add fields freely; do not rename or remove these.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from worlddirector.artifacts.base import Artifact

METRIC_KEYS: tuple[str, ...] = (
    "temporal_flickering", "dynamic_degree", "motion_smoothness", "subject_consistency",
    "background_consistency", "identity_persistence", "path_realism", "imaging_quality", "overall",
)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class VideoInfo(_M):
    path: str
    width: int
    height: int
    fps: float
    n_frames: int
    duration: float
    has_audio: bool = False
    analysed_width: int | None = None
    analysed_height: int | None = None
    frame_step: int = 1
    notes: list[str] = []


class Keyframe(_M):
    frame: int
    time: float
    path: str = Field(description="relative to the analysis directory, e.g. keyframes/0012.jpg")
    reason: str = ""


class Shot(_M):
    start_frame: int
    end_frame: int


class TrackPoint(_M):
    frame: int
    box: tuple[float, float, float, float] = Field(description="x0, y0, x1, y1 in original video pixels")
    color: tuple[int, int, int]
    area: float


class Track(_M):
    id: str
    points: list[TrackPoint]
    label: str | None = None


class TrackEvent(_M):
    """One event. ``evidence`` is for people; the numbers a check needs are the typed fields
    below (the same values the evidence quotes), so rewording the evidence changes no finding.
    Files written before session 9 have none of them (``box`` None); readers may fall back to the
    evidence text for those."""

    type: Literal["appear", "vanish", "teleport", "resize"]
    track_id: str
    frame: int
    magnitude: float = 0.0
    evidence: str = ""
    box: tuple[float, float, float, float] | None = Field(
        default=None,
        description="x0, y0, x1, y1 in original video pixels (whole pixels): where the analysis saw the event "
        "(a teleport: where the object arrived). Every event from session 9 on has one",
    )
    from_box: tuple[float, float, float, float] | None = Field(
        default=None, description="a teleport's origin, x0, y0, x1, y1 in original video pixels (whole pixels)"
    )
    objectness_before: float | None = Field(
        default=None,
        description="objectness (% of the changed region's pixels novel against its surroundings, whole %) in the "
        "frame before the event; set with objectness_after when the analysis measured both",
    )
    objectness_after: float | None = Field(default=None, description="the same in the frame after the event")
    objectness_change: float | None = Field(
        default=None,
        description="objectness after minus before (whole %); the only objectness a lone change of several regions "
        "records (its own region's change)",
    )
    basis: Literal["lone_change", "refound_pattern", "track_and_objectness", "paired_pops", "flow_jump"] | None = Field(
        default=None,
        description="lone_change: the analysis' last-resort rule (a lone, large unexplained change with neither a "
        "track nor colour evidence); refound_pattern: a teleport whose picture patch was found again, shifted, "
        "across the pair after standing still on its other side (the pattern test of events.refound_jumps); "
        "track_and_objectness: an appear / vanish where a track begins / ends AND the changed region's objectness "
        "rises / falls by the objectness test's jump and stays so (objectness_before/after hold it); paired_pops: a "
        "teleport made of a vanish and an appear of one moment whose regions' objectness each fell / rose by that "
        "jump (objectness_before: at the old place before it, objectness_after: at the new place after it); "
        "flow_jump: a teleport in place, an object standing out at the changed region on both sides, about as "
        "clearly and in the same colour, where the flow made a one-off long jump; None: any other rule",
    )


class Analysis(Artifact):
    FILENAME = "analysis.json"
    schema_version: Literal[1] = 1
    video: VideoInfo
    metrics: dict[str, float | None] = Field(description="each in [0,1], higher is better; keys METRIC_KEYS")
    metric_details: dict[str, Any] = Field(default_factory=dict)
    shots: list[Shot] = []
    keyframes: list[Keyframe] = []
    camera_motion: dict[str, Any] = Field(default_factory=dict, description="label: static|pan|dolly|orbit|handheld, ...")
    tracks: list[Track] = []
    events: list[TrackEvent] = []
    flicker_frames: list[int] = Field(default_factory=list, description="frames with brightness jumps")
    scene_description: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
