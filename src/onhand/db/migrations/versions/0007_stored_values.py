"""Every movement's value is stored (append-only entries, revaluations appended), with each
item's state to carry on from and checkpoints before backdated movements; landed costs spread
over receipts (by quantity, value or the items' weight); revaluations of uncosted stock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from onhand.db.types import ExactDecimal, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER valuation_entries_no_update BEFORE UPDATE ON valuation_entries "
        "BEGIN SELECT RAISE(ABORT, 'valuation entries are append-only'); END",
        "CREATE TRIGGER valuation_entries_no_delete BEFORE DELETE ON valuation_entries "
        "BEGIN SELECT RAISE(ABORT, 'valuation entries are append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION onhand_values_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'valuation entries are append-only'; END $$",
        "CREATE TRIGGER valuation_entries_append_only BEFORE UPDATE OR DELETE "
        "ON valuation_entries FOR EACH ROW EXECUTE FUNCTION onhand_values_append_only()",
    ],
}


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "valuation_entries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, _fk("valuation_entries", "owner_id", "owners"),
                  nullable=False),
        sa.Column("item_id", sa.Integer, _fk("valuation_entries", "item_id", "items"),
                  nullable=False),
        sa.Column("movement_id", Id, _fk("valuation_entries", "movement_id", "movements"),
                  nullable=True),
        sa.Column("entry_key", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("uncosted", sa.BigInteger, nullable=False),
        sa.Column("takes", sa.Text, nullable=True),
        sa.Column("cause_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_valuation_entries_item_occurred", "valuation_entries",
                    ["item_id", "occurred_at"])
    op.create_index("ix_valuation_entries_owner_occurred", "valuation_entries",
                    ["owner_id", "occurred_at"])
    op.create_index("ix_valuation_entries_movement_id", "valuation_entries", ["movement_id"])
    op.create_table(
        "item_valuations",
        sa.Column("item_id", sa.Integer, _fk("item_valuations", "item_id", "items"),
                  primary_key=True),
        sa.Column("valued_seq", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=True),
        sa.Column("movement_id", Id, nullable=True),
        sa.Column("state", sa.Text, nullable=True),
        sa.Column("since_checkpoint", sa.Integer, nullable=False),
        sa.Column("replay_at", UTCDateTime, nullable=True),
        sa.Column("replay_key", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "landed_costs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, _fk("landed_costs", "owner_id", "owners"),
                  nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("basis", sa.String(8), nullable=False),
        sa.Column("amount", ExactDecimal, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "reference", name="uq_landed_costs_owner_reference"),
    )
    op.create_table(
        "landed_cost_lines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("landed_cost_id", Id,
                  _fk("landed_cost_lines", "landed_cost_id", "landed_costs"), nullable=False),
        sa.Column("item_id", sa.Integer, _fk("landed_cost_lines", "item_id", "items"),
                  nullable=False),
        sa.Column("movement_id", Id, _fk("landed_cost_lines", "movement_id", "movements"),
                  nullable=False),
        sa.Column("amount", ExactDecimal, nullable=False),
    )
    op.create_index("ix_landed_cost_lines_item_id", "landed_cost_lines", ["item_id"])
    op.create_table(
        "revaluations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, _fk("revaluations", "owner_id", "owners"),
                  nullable=False),
        sa.Column("item_id", sa.Integer, _fk("revaluations", "item_id", "items"),
                  nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("unit_cost", ExactDecimal, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("owner_id", "reference", name="uq_revaluations_owner_reference"),
    )
    op.create_index("ix_revaluations_item_id", "revaluations", ["item_id"])
    op.create_index("ix_landed_cost_lines_landed_cost_id", "landed_cost_lines",
                    ["landed_cost_id"])
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("weight", ExactDecimal, nullable=True))
        batch.add_column(sa.Column("cost_required", sa.Boolean, nullable=False,
                                   server_default=sa.text("false")))
    op.create_table(
        "valuation_checkpoints",
        sa.Column("item_id", sa.Integer, _fk("valuation_checkpoints", "item_id", "items"),
                  primary_key=True),
        sa.Column("movement_id", Id, primary_key=True),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("ix_valuation_checkpoints_item_occurred", "valuation_checkpoints",
                    ["item_id", "occurred_at"])
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER valuation_entries_append_only ON valuation_entries")
        op.execute("DROP FUNCTION onhand_values_append_only()")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("cost_required")
        batch.drop_column("weight")
    op.drop_index("ix_landed_cost_lines_landed_cost_id", "landed_cost_lines")
    op.drop_index("ix_landed_cost_lines_item_id", "landed_cost_lines")
    op.drop_table("landed_cost_lines")
    op.drop_index("ix_revaluations_item_id", "revaluations")
    op.drop_table("revaluations")
    op.drop_table("landed_costs")
    op.drop_table("valuation_checkpoints")
    op.drop_table("item_valuations")
    op.drop_table("valuation_entries")
