"""Owners carry a currency (ISO 4217) and a time zone (IANA): the ground of valuation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("owners") as batch:
        batch.add_column(sa.Column("currency", sa.String(3), nullable=False,
                                   server_default="USD"))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False,
                                   server_default="UTC"))


def downgrade() -> None:
    with op.batch_alter_table("owners") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("currency")
