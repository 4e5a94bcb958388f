"""Whether this server may take traffic: the database answers and its schema is current."""

from __future__ import annotations

from onhand.db import migrate
from onhand.db.uow import UnitOfWork
from onhand.errors import StorageError


def check_ready(uow: UnitOfWork) -> None:
    """Raise ``StorageError`` unless the database answers and is at this code's newest
    schema revision (``onhand init`` migrates it)."""
    try:
        current = migrate.current_revision(uow.engine)
    except Exception as error:  # any driver failure means "not ready", never a 500
        raise StorageError(f"the database is not reachable ({type(error).__name__})") from None
    if current != migrate.head_revision():
        raise StorageError(f"the database is at revision {current}, not "
                           f"{migrate.head_revision()}; run onhand init")
