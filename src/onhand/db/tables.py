"""The schema in one file. Quantities are scaled integers (``qty × 10**item.decimals``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from onhand.db.types import ExactDecimal, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

owners = Table(
    "owners", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

locations = Table(
    "locations", metadata,
    Column("id", Integer, primary_key=True),
    Column("path", String(600), nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("kind", String(16), nullable=False),  # internal | virtual
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('internal', 'virtual')", name="kind"),
)

items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit", String(20), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("allow_negative", Boolean, nullable=False),
    Column("tracking", String(8), nullable=False),
    Column("cost_method", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "sku", name="uq_items_owner_sku"),
)

item_barcodes = Table(
    "item_barcodes", metadata,
    Column("owner_id", Integer, ForeignKey("owners.id"), primary_key=True),
    Column("barcode", String(64), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
)

movements = Table(
    "movements", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    # gap-free per item; ``hash`` links each row to the item's previous one (tamper evidence)
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("source_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("target_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("lot", String(200), nullable=False, server_default=""),
    Column("reference", String(200), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("unit_cost", ExactDecimal, nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("reverses", Id, ForeignKey("movements.id"), nullable=True),
    Column("shipment_id", Id, ForeignKey("movements.id"), nullable=True),
    Column("hash", String(64), nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
    UniqueConstraint("item_id", "seq", name="uq_movements_item_seq"),
    Index("ix_movements_item_occurred", "item_id", "occurred_at"),
    Index("ix_movements_occurred", "occurred_at"),
    # partial: most movements reverse nothing and return no shipment, and index nothing
    Index("uq_movements_reverses", "reverses", unique=True,
          sqlite_where=text("reverses IS NOT NULL"), postgresql_where=text("reverses IS NOT NULL")),
    Index("ix_movements_shipment_id", "shipment_id",
          sqlite_where=text("shipment_id IS NOT NULL"),
          postgresql_where=text("shipment_id IS NOT NULL")),
)

balances = Table(
    "balances", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("lot", String(200), primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    # latest business time posted to this balance: a posting before it is backdated
    Column("last_occurred_at", UTCDateTime, nullable=False),
    Index("ix_balances_location", "location_id"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("owner_id", Integer, ForeignKey("owners.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("movement_ids", Text, nullable=False),  # JSON list, the first result
    Column("created_at", UTCDateTime, nullable=False),
)
