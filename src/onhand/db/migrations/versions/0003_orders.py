"""Orders: sellable locations and warehouses, lots, reservations, orders, holds, the outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from onhand.db.types import ExactDecimal, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.add_column("locations", sa.Column("warehouse_id", sa.Integer, nullable=True))
    op.add_column("locations", sa.Column("sellable", sa.Boolean, nullable=False,
                                         server_default=sa.text("true")))
    op.create_index("ix_locations_warehouse_id", "locations", ["warehouse_id"])
    # a warehouse is the top-level location of a path: the part before the first '/'
    op.execute(
        "UPDATE locations SET warehouse_id = (SELECT top.id FROM locations AS top "
        "WHERE top.kind = 'internal' AND (top.path = locations.path "
        "OR locations.path LIKE top.path || '/%') AND top.parent_id IS NULL) "
        "WHERE kind = 'internal'"
    )
    op.add_column("items", sa.Column("order_policy", sa.String(12), nullable=False,
                                     server_default="reject"))
    _orders()
    op.create_table(
        "event_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO event_clock (id, last) VALUES (1, 0)")
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("owner_id", sa.Integer, _fk("events", "owner_id", "owners"), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_events_owner_id", "events", ["owner_id", "id"])


def _orders() -> None:
    op.create_table(
        "lots",
        sa.Column("item_id", sa.Integer, _fk("lots", "item_id", "items"), primary_key=True),
        sa.Column("lot", sa.String(200), primary_key=True),
        sa.Column("owner_id", sa.Integer, _fk("lots", "owner_id", "owners"), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.Column("first_in", UTCDateTime, nullable=False),
    )
    op.create_table(
        "item_warehouses",
        sa.Column("item_id", sa.Integer, _fk("item_warehouses", "item_id", "items"),
                  primary_key=True),
        sa.Column("warehouse_id", sa.Integer,
                  _fk("item_warehouses", "warehouse_id", "locations"), primary_key=True),
        sa.Column("owner_id", sa.Integer, _fk("item_warehouses", "owner_id", "owners"),
                  nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("backordered", sa.BigInteger, nullable=False),
        sa.Column("safety_stock", sa.BigInteger, nullable=False),
        sa.CheckConstraint("reserved >= 0 AND backordered >= 0 AND safety_stock >= 0",
                           name="not_negative"),
    )
    op.create_table(
        "orders",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, _fk("orders", "owner_id", "owners"), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("policy", sa.String(12), nullable=False),
        sa.Column("warehouse_id", sa.Integer, _fk("orders", "warehouse_id", "locations"),
                  nullable=True),
        sa.Column("any_warehouse", sa.Boolean, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("cancel_after", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.UniqueConstraint("owner_id", "reference", name="uq_orders_owner_reference"),
        sa.CheckConstraint("status IN ('held', 'open', 'completed', 'cancelled', 'expired', "
                           "'released')", name="status"),
    )
    op.create_index("ix_orders_held", "orders", ["expires_at"],
                    sqlite_where=sa.text("status = 'held'"),
                    postgresql_where=sa.text("status = 'held'"))
    op.create_table(
        "order_lines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("order_id", Id, _fk("order_lines", "order_id", "orders"), nullable=False),
        sa.Column("owner_id", sa.Integer, _fk("order_lines", "owner_id", "owners"),
                  nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Integer, _fk("order_lines", "item_id", "items"), nullable=False),
        sa.Column("warehouse_id", sa.Integer, _fk("order_lines", "warehouse_id", "locations"),
                  nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.Column("unit_price", ExactDecimal, nullable=True),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("backordered", sa.BigInteger, nullable=False),
        sa.Column("shipped", sa.BigInteger, nullable=False),
        sa.Column("cancelled", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.Column("hold_until", UTCDateTime, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("order_id", "line", name="uq_order_lines_order_line"),
        sa.CheckConstraint(
            "reserved >= 0 AND backordered >= 0 AND shipped >= 0 AND cancelled >= 0 "
            "AND returned >= 0 AND returned <= shipped AND "
            "qty = reserved + backordered + shipped + cancelled", name="quantities"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.create_index("ix_order_lines_holds", "order_lines", ["item_id", "warehouse_id", "hold_until"],
                    sqlite_where=sa.text("hold_until IS NOT NULL AND reserved > 0"),
                    postgresql_where=sa.text("hold_until IS NOT NULL AND reserved > 0"))
    op.create_index("ix_order_lines_backorders", "order_lines", ["item_id", "warehouse_id"],
                    sqlite_where=sa.text("backordered > 0"),
                    postgresql_where=sa.text("backordered > 0"))
    op.create_table(
        "order_movements",
        sa.Column("movement_id", Id, _fk("order_movements", "movement_id", "movements"),
                  primary_key=True),
        sa.Column("order_line_id", Id, _fk("order_movements", "order_line_id", "order_lines"),
                  nullable=False),
    )
    op.create_index("ix_order_movements_order_line_id", "order_movements", ["order_line_id"])


def downgrade() -> None:
    for table in ("events", "event_clock", "order_movements", "order_lines", "orders",
                  "item_warehouses", "lots"):
        op.drop_table(table)
    op.drop_column("items", "order_policy")
    op.drop_index("ix_locations_warehouse_id", "locations")
    op.drop_column("locations", "sellable")
    op.drop_column("locations", "warehouse_id")
