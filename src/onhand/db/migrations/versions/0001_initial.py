"""The stock ledger: owners, locations, items, movements, balances, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from onhand.db.types import ExactDecimal, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VIRTUAL = ("supplier", "customer", "loss", "transit")

APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements "
        "BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END",
        "CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements "
        "BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION onhand_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'movements are append-only'; END $$",
        "CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements "
        "FOR EACH ROW EXECUTE FUNCTION onhand_append_only()",
    ],
}


def upgrade() -> None:
    owners = op.create_table(
        "owners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("code", name="uq_owners_code"),
    )
    locations = op.create_table(
        "locations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.String(600), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("locations.id",
                  name="fk_locations_parent_id_locations"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("kind IN ('internal', 'virtual')", name="ck_locations_kind"),
        sa.UniqueConstraint("path", name="uq_locations_path"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id",
                  name="fk_items_owner_id_owners"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("decimals", sa.Integer, nullable=False),
        sa.Column("allow_negative", sa.Boolean, nullable=False),
        sa.Column("tracking", sa.String(8), nullable=False),
        sa.Column("cost_method", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "sku", name="uq_items_owner_sku"),
    )
    op.create_table(
        "item_barcodes",
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id",
                  name="fk_item_barcodes_owner_id_owners"), primary_key=True),
        sa.Column("barcode", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id",
                  name="fk_item_barcodes_item_id_items"), nullable=False),
    )
    op.create_index("ix_item_barcodes_item_id", "item_barcodes", ["item_id"])
    op.create_table(
        "movements",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id",
                  name="fk_movements_owner_id_owners"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id",
                  name="fk_movements_item_id_items"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("locations.id",
                  name="fk_movements_source_id_locations"), nullable=False),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("locations.id",
                  name="fk_movements_target_id_locations"), nullable=False),
        sa.Column("lot", sa.String(200), nullable=False, server_default=""),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("unit_cost", ExactDecimal, nullable=True),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("reverses", Id, sa.ForeignKey("movements.id",
                  name="fk_movements_reverses_movements"), nullable=True),
        sa.Column("shipment_id", Id, sa.ForeignKey("movements.id",
                  name="fk_movements_shipment_id_movements"), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("qty > 0", name="ck_movements_qty_positive"),
        sa.UniqueConstraint("item_id", "seq", name="uq_movements_item_seq"),
    )
    op.create_index("ix_movements_item_occurred", "movements", ["item_id", "occurred_at"])
    op.create_index("ix_movements_occurred", "movements", ["occurred_at"])
    for name, column, unique in (("uq_movements_reverses", "reverses", True),
                                 ("ix_movements_shipment_id", "shipment_id", False)):
        where = sa.text(f"{column} IS NOT NULL")  # partial: most movements have neither
        op.create_index(name, "movements", [column], unique=unique, sqlite_where=where,
                        postgresql_where=where)
    op.create_table(
        "balances",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id",
                  name="fk_balances_item_id_items"), primary_key=True),
        sa.Column("location_id", sa.Integer, sa.ForeignKey("locations.id",
                  name="fk_balances_location_id_locations"), primary_key=True),
        sa.Column("lot", sa.String(200), primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id",
                  name="fk_balances_owner_id_owners"), nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.Column("last_occurred_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_balances_location", "balances", ["location_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id",
                  name="fk_idempotency_keys_owner_id_owners"), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("movement_ids", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    now = datetime.now(UTC)
    op.bulk_insert(owners, [{"id": 1, "code": "default", "name": "Default", "created_at": now}])
    op.bulk_insert(locations, [
        {"id": n, "path": path, "parent_id": None, "kind": "virtual", "name": path.title(),
         "created_at": now}
        for n, path in enumerate(VIRTUAL, start=1)
    ])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":  # explicit ids above; move the sequences past them
        op.execute("SELECT setval('owners_id_seq', 1)")
        op.execute("SELECT setval('locations_id_seq', 4)")
    for statement in APPEND_ONLY.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER movements_append_only ON movements")
        op.execute("DROP FUNCTION onhand_append_only()")
    for table in ("idempotency_keys", "balances", "movements", "item_barcodes", "items",
                  "locations", "owners"):
        op.drop_table(table)
