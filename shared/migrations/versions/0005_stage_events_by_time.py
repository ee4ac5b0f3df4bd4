"""stage events looked up by time (throughput over the last minutes)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.create_index("ix_stage_events_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_events_at")
