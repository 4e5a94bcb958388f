"""The schema: migrations build exactly what ``db/tables.py`` describes, and re-open cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import onhand
from onhand.db import migrate
from onhand.db.tables import metadata


def test_the_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_opening_a_migrated_database_again_keeps_its_data(database_url: str) -> None:
    with onhand.open(database_url) as inv:
        inv.add_location("WH1")
        inv.add_item(sku="MUG-BLUE", name="Blue mug")
        inv.receive(sku="MUG-BLUE", qty=2, location="WH1")
    with onhand.open(database_url) as inv:
        assert inv.stock(sku="MUG-BLUE").on_hand == 2
        assert migrate.current_revision(inv.engine) == migrate.head_revision()


def test_a_new_database_starts_with_the_default_owner_and_the_virtual_locations(
    database_url: str,
) -> None:
    with onhand.open(database_url) as inv:
        kinds = {place.path: place.kind for place in inv.locations()}
        assert kinds == {"supplier": "virtual", "customer": "virtual", "loss": "virtual",
                         "transit": "virtual"}
        inv.add_item(sku="A-1", name="Anything")  # the owner "default" exists
        assert inspect(inv.engine).has_table("movements")


def test_an_empty_sqlite_file_is_created_and_migrated_on_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with onhand.open(f"sqlite:///{tmp_path / 'new.db'}") as inv:
        assert migrate.current_revision(inv.engine) == migrate.head_revision()
