"""Owners close accounting periods (no movement may be dated before the first open moment),
and journals of periods are exported once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from onhand.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("owners") as batch:
        batch.add_column(sa.Column("closed_through", sa.Date, nullable=True))
        batch.add_column(sa.Column("closed_before", UTCDateTime, nullable=True))
    op.create_table(
        "journal_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer,
                  sa.ForeignKey("owners.id", name="fk_journal_exports_owner_id_owners"),
                  nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("exported_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_journal_exports_owner_id", "journal_exports", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_journal_exports_owner_id", "journal_exports")
    op.drop_table("journal_exports")
    with op.batch_alter_table("owners") as batch:
        batch.drop_column("closed_before")
        batch.drop_column("closed_through")
