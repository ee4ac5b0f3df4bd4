"""alert matches looked up by article and by story

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:25:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_matches_cluster")
        batch_op.create_index("ix_alert_matches_article", ["article_id"], unique=False)
        batch_op.create_index("ix_alert_matches_cluster_id", ["cluster_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_matches_cluster_id")
        batch_op.drop_index("ix_alert_matches_article")
        batch_op.create_index("ix_alert_matches_cluster", ["alert_id", "cluster_id"], unique=False)
