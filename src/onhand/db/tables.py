"""The schema in one file. Quantities are scaled integers (``qty × 10**item.decimals``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
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
    Column("currency", String(3), nullable=False, server_default="USD"),  # ISO 4217
    Column("time_zone", String(64), nullable=False, server_default="UTC"),  # IANA
    # the accounting period closed through this day (in the owner's time zone): no movement
    # may be dated before ``closed_before``, the start of the next day
    Column("closed_through", Date, nullable=True),
    Column("closed_before", UTCDateTime, nullable=True),
)

# what journals were exported: a period is not exported twice by mistake
journal_exports = Table(
    "journal_exports", metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=False),
    Column("format", String(8), nullable=False),
    Column("exported_at", UTCDateTime, nullable=False),
    Index("ix_journal_exports_owner_id", "owner_id"),
)

locations = Table(
    "locations", metadata,
    Column("id", Integer, primary_key=True),
    Column("path", String(600), nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("locations.id"), nullable=True),
    Column("kind", String(16), nullable=False),  # internal | virtual
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # the top-level location this one lies in (itself for a warehouse); NULL for virtual ones
    Column("warehouse_id", Integer, nullable=True),
    # stock here counts toward available (false: damaged, quarantine, returns inspection)
    Column("sellable", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("kind IN ('internal', 'virtual')", name="kind"),
    Index("ix_locations_warehouse_id", "warehouse_id"),
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
    # what an order short of stock does when it names no policy: reject | backorder
    Column("order_policy", String(12), nullable=False, server_default="reject"),
    Column("weight", ExactDecimal, nullable=True),  # per unit, for spreading landed costs
    # a valued item: its receipts must carry a unit cost
    Column("cost_required", Boolean, nullable=False, server_default=text("false")),
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
    # a customer return: the shipment it takes back; a return to the supplier: the receipt
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

# --- valuation: the value of every movement, kept up to date by the valuer ---------------------

# append-only like the ledger: each movement's value as first posted, then each difference a
# backdated movement made (a revaluation, dated at the movement it changed). Units and money
# are signed changes of the stock: scaled units, and minor units of the owner's currency.
valuation_entries = Table(
    "valuation_entries", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    # the movement valued (a landed cost's: the receipt it raises; NULL: a revaluation of
    # uncosted stock)
    Column("movement_id", Id, ForeignKey("movements.id"), nullable=True),
    # what valuation orders by, with occurred_at: the movement's id, or 2**50 + the landed cost
    # line's id, or 2**51 + the revaluation's id (after the movements of the same moment)
    Column("entry_key", BigInteger, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),  # the movement's business time
    # receipt, supplier_return, sale, customer_return, loss, gain, correction or landed_cost
    Column("category", String(16), nullable=False),
    Column("units", BigInteger, nullable=False),  # 0 on a revaluation or correction
    Column("amount", BigInteger, nullable=False),
    Column("uncosted", BigInteger, nullable=False),  # change of the units valued at zero
    Column("takes", Text, nullable=True),  # an outbound movement's takes (JSON), when new
    # a revaluation: what changed this entry's movement: the backdated movement's id (or
    # the landed cost line's or revaluation's key, as entry_key); NULL on a first value
    Column("cause_id", BigInteger, nullable=True),
    Index("ix_valuation_entries_item_occurred", "item_id", "occurred_at"),
    Index("ix_valuation_entries_owner_occurred", "owner_id", "occurred_at"),
    Index("ix_valuation_entries_movement_id", "movement_id"),
)

# each item's valuation as of its last movement in business time, to carry on from
item_valuations = Table(
    "item_valuations", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("valued_seq", BigInteger, nullable=False),  # every movement up to this seq is valued
    Column("occurred_at", UTCDateTime, nullable=True),  # the last movement valued, in business
    Column("movement_id", Id, nullable=True),  # time then posting order (NULL: none yet)
    Column("state", Text, nullable=True),  # the engine's state after it (JSON)
    Column("since_checkpoint", Integer, nullable=False),  # movements after the last checkpoint
    # a landed cost added since: value again from this position (time, key) on
    Column("replay_at", UTCDateTime, nullable=True),
    Column("replay_key", BigInteger, nullable=True),
)

# freight, duty or fees added after a receipt, spread over its lines
landed_costs = Table(
    "landed_costs", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("description", String(200), nullable=False),
    Column("basis", String(8), nullable=False),  # qty | value | weight
    Column("amount", ExactDecimal, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "reference", name="uq_landed_costs_owner_reference"),
)

# stock that came in without a cost, given one: its uncosted units on hand then are worth this
revaluations = Table(
    "revaluations", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("unit_cost", ExactDecimal, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "reference", name="uq_revaluations_owner_reference"),
    Index("ix_revaluations_item_id", "item_id"),
)

landed_cost_lines = Table(
    "landed_cost_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("landed_cost_id", Id, ForeignKey("landed_costs.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("movement_id", Id, ForeignKey("movements.id"), nullable=False),  # the receipt
    Column("amount", ExactDecimal, nullable=False),  # its share
    Index("ix_landed_cost_lines_item_id", "item_id"),
    Index("ix_landed_cost_lines_landed_cost_id", "landed_cost_id"),
)

# the state after every so many movements of an item, to carry on from before a backdated one
valuation_checkpoints = Table(
    "valuation_checkpoints", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("movement_id", Id, primary_key=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("state", Text, nullable=False),
    Index("ix_valuation_checkpoints_item_occurred", "item_id", "occurred_at"),
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

# the background jobs: one row each, claimed by one server per period (services/jobs.py)
jobs = Table(
    "jobs", metadata,
    Column("name", String(64), primary_key=True),  # sweep, valuer, …
    Column("next_run_at", UTCDateTime, nullable=False),  # not claimed again before
    Column("lease_until", UTCDateTime, nullable=True),  # a run in progress, until then at most
    Column("holder", String(200), nullable=True),  # the server process of the last claim
    Column("runs", BigInteger, nullable=False),
    Column("last_started_at", UTCDateTime, nullable=True),
    Column("last_finished_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
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


# --- orders, holds, reservations, the outbox --------------------------------------------------

# expiry dates of lots, for picking first-expired-first-out
lots = Table(
    "lots", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("lot", String(200), primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("first_in", UTCDateTime, nullable=False),  # its first inbound movement's time
)

# per item × warehouse: units reserved by open orders (holds are summed from their lines, as
# they lapse by time alone), units backordered, and the safety stock kept out of available
item_warehouses = Table(
    "item_warehouses", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("reserved", BigInteger, nullable=False),
    Column("backordered", BigInteger, nullable=False),
    Column("safety_stock", BigInteger, nullable=False),
    # still to come: on confirmed purchase orders, and dispatched here from other warehouses
    Column("incoming", BigInteger, nullable=False, server_default="0"),
    Column("in_transit", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("reserved >= 0 AND backordered >= 0 AND safety_stock >= 0",
                    name="not_negative"),
    CheckConstraint("incoming >= 0 AND in_transit >= 0", name="coming_not_negative"),
)

# sales orders and holds (a hold is an order with status 'held' and an expiry)
orders = Table(
    "orders", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("status", String(12), nullable=False),
    Column("policy", String(12), nullable=False),  # reject | backorder
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=True),  # preferred
    Column("any_warehouse", Boolean, nullable=False),  # may be served from another warehouse
    Column("priority", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),  # holds
    Column("cancel_after", UTCDateTime, nullable=True),  # backorders not met by then: cancelled
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # of the request that created it
    UniqueConstraint("owner_id", "reference", name="uq_orders_owner_reference"),
    CheckConstraint("status IN ('held', 'open', 'completed', 'cancelled', 'expired', "
                    "'released')", name="status"),
    Index("ix_orders_held", "expires_at", sqlite_where=text("status = 'held'"),
          postgresql_where=text("status = 'held'")),
)

# qty = reserved + backordered + shipped + cancelled, always
order_lines = Table(
    "order_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_price", ExactDecimal, nullable=True),
    Column("reserved", BigInteger, nullable=False),
    Column("backordered", BigInteger, nullable=False),
    Column("shipped", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("returned", BigInteger, nullable=False),
    # copies of the order's, for the partial indexes that sum holds and fill backorders
    Column("hold_until", UTCDateTime, nullable=True),
    Column("priority", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "line", name="uq_order_lines_order_line"),
    CheckConstraint("reserved >= 0 AND backordered >= 0 AND shipped >= 0 AND cancelled >= 0 "
                    "AND returned >= 0 AND returned <= shipped AND "
                    "qty = reserved + backordered + shipped + cancelled", name="quantities"),
    Index("ix_order_lines_holds", "item_id", "warehouse_id", "hold_until",
          sqlite_where=text("hold_until IS NOT NULL AND reserved > 0"),
          postgresql_where=text("hold_until IS NOT NULL AND reserved > 0")),
    Index("ix_order_lines_backorders", "item_id", "warehouse_id",
          sqlite_where=text("backordered > 0"), postgresql_where=text("backordered > 0")),
)

# which movements shipped or returned which order line
order_movements = Table(
    "order_movements", metadata,
    Column("movement_id", Id, ForeignKey("movements.id"), primary_key=True),
    Column("order_line_id", Id, ForeignKey("order_lines.id"), nullable=False, index=True),
)

# Events for sales channels, numbered gap-free in commit order: a writer takes the one
# ``event_clock`` row last in its transaction and holds it until it commits, so no event
# can commit later with a lower number than one a reader has already seen.
event_clock = Table(
    "event_clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("last", BigInteger, nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("data", Text, nullable=False),  # JSON object
    Index("ix_events_owner_id", "owner_id", "id"),
)


# --- purchasing and transfers between warehouses ----------------------------------------------

suppliers = Table(
    "suppliers", metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "code", name="uq_suppliers_owner_code"),
)

purchase_orders = Table(
    "purchase_orders", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("expected_on", Date, nullable=True),
    Column("tolerance", ExactDecimal, nullable=False),  # over-receipt allowed, in percent
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "reference", name="uq_purchase_orders_owner_reference"),
    CheckConstraint("status IN ('draft', 'confirmed', 'closed', 'cancelled')", name="status"),
)

# open (incoming) = qty − received − cancelled, never below zero (over-receipt)
purchase_order_lines = Table(
    "purchase_order_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("purchase_order_id", Id, ForeignKey("purchase_orders.id"), nullable=False,
           index=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_cost", ExactDecimal, nullable=True),
    Column("received", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("returned", BigInteger, nullable=False),
    UniqueConstraint("purchase_order_id", "line", name="uq_purchase_order_lines_order_line"),
    CheckConstraint("qty > 0 AND received >= 0 AND cancelled >= 0 AND returned >= 0 "
                    "AND returned <= received", name="quantities"),
)

transfers = Table(
    "transfers", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("source_id", Integer, ForeignKey("locations.id"), nullable=False),  # a warehouse
    Column("target_id", Integer, ForeignKey("locations.id"), nullable=False),  # a warehouse
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "reference", name="uq_transfers_owner_reference"),
    CheckConstraint("status IN ('in_transit', 'received')", name="status"),
)

transfer_lines = Table(
    "transfer_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False, index=True),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot", String(200), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("lost", BigInteger, nullable=False),
    UniqueConstraint("transfer_id", "line", name="uq_transfer_lines_transfer_line"),
    CheckConstraint("qty > 0 AND received >= 0 AND lost >= 0 AND received + lost <= qty",
                    name="quantities"),
)

# which movements received, returned or moved which purchase order or transfer line
document_movements = Table(
    "document_movements", metadata,
    Column("movement_id", Id, ForeignKey("movements.id"), primary_key=True),
    Column("purchase_line_id", Id, ForeignKey("purchase_order_lines.id"), nullable=True,
           index=True),
    Column("transfer_line_id", Id, ForeignKey("transfer_lines.id"), nullable=True, index=True),
)
