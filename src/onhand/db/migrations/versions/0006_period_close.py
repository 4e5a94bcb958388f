"""Owners close accounting periods: no movement may be dated before the first open moment.

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


def downgrade() -> None:
    with op.batch_alter_table("owners") as batch:
        batch.drop_column("closed_before")
        batch.drop_column("closed_through")
