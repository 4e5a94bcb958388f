"""Schema migrations: bring a database to the newest revision when it is opened."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from onhand.errors import StorageError

SCRIPT_LOCATION = "onhand.db:migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """Return the newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision (a no-op when it is there).

    Raises ``StorageError`` when the database cannot be reached or written.
    """
    try:
        if current_revision(engine) == head_revision():
            return
        config = _config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except DBAPIError as error:
        reason = str(error.orig).splitlines()[0] if error.orig is not None else str(error)
        where = engine.url.render_as_string(hide_password=True)
        raise StorageError(f"cannot open the database {where}: {reason}",
                           reason=reason) from None
