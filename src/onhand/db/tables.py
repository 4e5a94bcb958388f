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

# --- access: users, API tokens, the audit trail, HTTP idempotency -------------------------------

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # argon2id, never the password
    Column("role", String(16), nullable=False),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=True),  # NULL: every owner
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# API tokens and login sessions. The secret is shown once and stored only as its SHA-256
# (a token is 256 random bits, so a slow hash adds nothing); a session takes its role and
# scope from its user at every request, so disabling the user ends the session.
tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),  # api | session
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=True),  # api tokens; sessions use their user's
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    CheckConstraint("kind IN ('api', 'session')", name="kind"),
)

# append-only like the ledger: who did what, when, from where, with which effect
audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),  # user:alice | token:7
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=True),
    Column("address", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("action", String(64), nullable=False),  # e.g. movements.post, users.add
    Column("target", String(200), nullable=True),  # what it acted on: a SKU, a movement id…
    Column("movement_ids", Text, nullable=False),  # JSON list
    Column("detail", Text, nullable=False),  # JSON object: the request's effect
    Index("ix_audit_log_at", "at"),
)

# the first response to each (caller, Idempotency-Key), stored in the write's own transaction
api_requests = Table(
    "api_requests", metadata,
    Column("principal", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
