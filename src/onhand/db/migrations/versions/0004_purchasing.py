"""Purchasing and two-step transfers: suppliers, purchase orders, transfers, incoming, in transit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from onhand.db.types import ExactDecimal, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def _owner(table: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("owner_id", sa.Integer, _fk(table, "owner_id", "owners"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("item_warehouses") as batch:
        batch.add_column(sa.Column("incoming", sa.BigInteger, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("in_transit", sa.BigInteger, nullable=False,
                                   server_default="0"))
        batch.create_check_constraint("coming_not_negative", "incoming >= 0 AND in_transit >= 0")
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer, primary_key=True),
        _owner("suppliers"),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "code", name="uq_suppliers_owner_code"),
    )
    _purchase_orders()
    _transfers()
    op.create_table(
        "document_movements",
        sa.Column("movement_id", Id, _fk("document_movements", "movement_id", "movements"),
                  primary_key=True),
        sa.Column("purchase_line_id", Id,
                  _fk("document_movements", "purchase_line_id", "purchase_order_lines"),
                  nullable=True),
        sa.Column("transfer_line_id", Id,
                  _fk("document_movements", "transfer_line_id", "transfer_lines"),
                  nullable=True),
    )
    op.create_index("ix_document_movements_purchase_line_id", "document_movements",
                    ["purchase_line_id"])
    op.create_index("ix_document_movements_transfer_line_id", "document_movements",
                    ["transfer_line_id"])


def _purchase_orders() -> None:
    op.create_table(
        "purchase_orders",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _owner("purchase_orders"),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("supplier_id", sa.Integer, _fk("purchase_orders", "supplier_id", "suppliers"),
                  nullable=False),
        sa.Column("warehouse_id", sa.Integer,
                  _fk("purchase_orders", "warehouse_id", "locations"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("expected_on", sa.Date, nullable=True),
        sa.Column("tolerance", ExactDecimal, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "reference", name="uq_purchase_orders_owner_reference"),
        sa.CheckConstraint("status IN ('draft', 'confirmed', 'closed', 'cancelled')",
                           name="status"),
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("purchase_order_id", Id,
                  _fk("purchase_order_lines", "purchase_order_id", "purchase_orders"),
                  nullable=False),
        _owner("purchase_order_lines"),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, _fk("purchase_order_lines", "item_id", "items"),
                  nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.Column("unit_cost", ExactDecimal, nullable=True),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("cancelled", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("purchase_order_id", "line",
                            name="uq_purchase_order_lines_order_line"),
        sa.CheckConstraint("qty > 0 AND received >= 0 AND cancelled >= 0 AND returned >= 0 "
                           "AND returned <= received", name="quantities"),
    )
    op.create_index("ix_purchase_order_lines_purchase_order_id", "purchase_order_lines",
                    ["purchase_order_id"])


def _transfers() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _owner("transfers"),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("source_id", sa.Integer, _fk("transfers", "source_id", "locations"),
                  nullable=False),
        sa.Column("target_id", sa.Integer, _fk("transfers", "target_id", "locations"),
                  nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "reference", name="uq_transfers_owner_reference"),
        sa.CheckConstraint("status IN ('in_transit', 'received')", name="status"),
    )
    op.create_table(
        "transfer_lines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("transfer_id", Id, _fk("transfer_lines", "transfer_id", "transfers"),
                  nullable=False),
        _owner("transfer_lines"),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, _fk("transfer_lines", "item_id", "items"),
                  nullable=False),
        sa.Column("lot", sa.String(200), nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("lost", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("transfer_id", "line", name="uq_transfer_lines_transfer_line"),
        sa.CheckConstraint("qty > 0 AND received >= 0 AND lost >= 0 AND received + lost <= qty",
                           name="quantities"),
    )
    op.create_index("ix_transfer_lines_transfer_id", "transfer_lines", ["transfer_id"])


def downgrade() -> None:
    for table in ("document_movements", "transfer_lines", "transfers", "purchase_order_lines",
                  "purchase_orders", "suppliers"):
        op.drop_table(table)
    with op.batch_alter_table("item_warehouses") as batch:
        batch.drop_constraint("coming_not_negative", type_="check")
        batch.drop_column("in_transit")
        batch.drop_column("incoming")
