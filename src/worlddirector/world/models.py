"""Database rows of the shared world: worlds, scenes (one per canonical path) and the job ledger.

The database is the source of truth. Times are float UNIX seconds so SQLite and PostgreSQL compare
them the same way. ``scenes`` is unique on ``(world_id, path)``; the claim itself is a conditional
UPDATE on ``status`` (see :mod:`worlddirector.world.states`), so no two processes can both own a
branch. ``scene_events`` is the change log the event stream reads: one row per write to a scene
(status, progress), in commit order per scene, so a follower misses no step however fast a branch
moves. ``provider_jobs`` is an append-only ledger with one row per job submitted to a provider:
it is how tests and the bench count paid jobs, and how a restart finds a job to resume.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class WorldRecord(Base):
    __tablename__ = "worlds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    base_prompt: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str | None] = mapped_column(Text, nullable=True)
    video_provider: Mapped[str] = mapped_column(String(64))
    video_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    llm: Mapped[str] = mapped_column(String(64))
    planner_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    summary_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    video_size: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Float, default=8.0)
    fps: Mapped[int] = mapped_column(Integer, default=24)
    max_depth: Mapped[int] = mapped_column(Integer, default=12)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    quality_gate: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class SceneRecord(Base):
    __tablename__ = "scenes"
    __table_args__ = (
        UniqueConstraint("world_id", "path", name="uq_scenes_world_path"),
        Index("ix_scenes_world_status", "world_id", "status"),
        Index("ix_scenes_world_updated", "world_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    world_id: Mapped[str] = mapped_column(String(64), ForeignKey("worlds.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(256))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("scenes.id"), nullable=True)
    choice_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    choice_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    state_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    media: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    storage_bytes: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_job_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    keyed: Mapped[bool] = mapped_column(Boolean, default=False)
    failure_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    queued_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    render_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    continuity_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class JobRecord(Base):
    """One row per job started at a video provider (the paid-job ledger)."""

    __tablename__ = "provider_jobs"
    __table_args__ = (Index("ix_provider_jobs_scene", "scene_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scene_id: Mapped[int] = mapped_column(Integer, ForeignKey("scenes.id", ondelete="CASCADE"))
    claim_token: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(64))
    provider_job_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="started")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)


class SceneEventRecord(Base):
    """One row per write to a scene: what a follower of the world's event stream is told.

    Rows are written in the same transaction as the scene change (:func:`worlddirector.world.states.record`)
    and pruned by the watchdog after ``WD_EVENT_RETENTION_SECONDS``.
    """

    __tablename__ = "scene_events"
    __table_args__ = (Index("ix_scene_events_world_id", "world_id", "id"), Index("ix_scene_events_created", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    world_id: Mapped[str] = mapped_column(String(64), ForeignKey("worlds.id", ondelete="CASCADE"))
    scene_id: Mapped[int] = mapped_column(Integer, ForeignKey("scenes.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
