"""Scene change log: one row per write to a scene, read by the world's event stream.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scene_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("world_id", sa.String(64), sa.ForeignKey("worlds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("scene_id", sa.Integer, sa.ForeignKey("scenes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("progress_message", sa.Text, nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_scene_events_world_id", "scene_events", ["world_id", "id"])
    op.create_index("ix_scene_events_created", "scene_events", ["created_at"])


def downgrade() -> None:
    op.drop_table("scene_events")
