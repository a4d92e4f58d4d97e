"""Initial shared-world schema: worlds, scenes, provider_jobs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worlds",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("base_prompt", sa.Text, nullable=False),
        sa.Column("guidance", sa.Text, nullable=True),
        sa.Column("video_provider", sa.String(64), nullable=False),
        sa.Column("video_model", sa.String(128), nullable=True),
        sa.Column("llm", sa.String(64), nullable=False),
        sa.Column("planner_model", sa.String(128), nullable=True),
        sa.Column("summary_model", sa.String(128), nullable=True),
        sa.Column("video_size", sa.String(16), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("fps", sa.Integer, nullable=False),
        sa.Column("max_depth", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("quality_gate", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "scenes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("world_id", sa.String(64), sa.ForeignKey("worlds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("scenes.id"), nullable=True),
        sa.Column("choice_index", sa.Integer, nullable=True),
        sa.Column("choice_label", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("prompt", sa.Text, nullable=True),
        sa.Column("choices", sa.JSON, nullable=True),
        sa.Column("state_summary", sa.Text, nullable=True),
        sa.Column("media", sa.JSON, nullable=True),
        sa.Column("storage_bytes", sa.Integer, nullable=False),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("provider_job_id", sa.String(256), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimant", sa.String(64), nullable=True),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.Float, nullable=True),
        sa.Column("keyed", sa.Boolean, nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_message", sa.Text, nullable=True),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("progress_message", sa.Text, nullable=True),
        sa.Column("queued_at", sa.Float, nullable=True),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("render_seconds", sa.Float, nullable=True),
        sa.Column("continuity_score", sa.Float, nullable=True),
        sa.Column("quality", sa.JSON, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("world_id", "path", name="uq_scenes_world_path"),
    )
    op.create_index("ix_scenes_world_status", "scenes", ["world_id", "status"])
    op.create_index("ix_scenes_world_updated", "scenes", ["world_id", "updated_at"])
    op.create_table(
        "provider_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scene_id", sa.Integer, sa.ForeignKey("scenes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("provider_job_id", sa.String(256), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("cost_usd", sa.Float, nullable=False),
    )
    op.create_index("ix_provider_jobs_scene", "provider_jobs", ["scene_id"])


def downgrade() -> None:
    op.drop_table("provider_jobs")
    op.drop_table("scenes")
    op.drop_table("worlds")
