"""Sign-in sessions, and the conversation each answer belongs to (the conversation log).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answers", sa.Column("conversation_id", sa.String(36), nullable=True))
    op.create_index("ix_answers_conversation_id", "answers", ["conversation_id"])
    op.create_index("ix_answers_created", "answers", ["created"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_user_name", "sessions", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user_name", "sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("answers") as batch:
        batch.drop_index("ix_answers_created")
        batch.drop_index("ix_answers_conversation_id")
        batch.drop_column("conversation_id")
