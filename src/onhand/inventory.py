"""The library's entry point: ``onhand.open(url)`` returns an :class:`Inventory`.

Each write method builds one command and runs it through the executor (one transaction,
audited as ``lib:<login name>``); each read method calls one query. The write methods take
the keywords ``owner``, ``lot``, ``reference``, ``key`` (idempotency) and ``occurred_at``
(business time) and return the movement(s) they wrote. The methods live in one part per
feature (``onhand/library/``); this module builds the engine.
"""

from __future__ import annotations

from typing import Any

from onhand.config import Settings
from onhand.db import migrate
from onhand.db.catalog import Catalog
from onhand.db.engine import make_engine
from onhand.db.uow import UnitOfWork
from onhand.library.bulk import Bulk
from onhand.library.catalog import CatalogMethods
from onhand.library.orders import Orders
from onhand.library.postings import Postings
from onhand.library.purchasing import Purchasing
from onhand.library.valuation import Valuation
from onhand.services.executor import Actor, Executor


class Inventory(CatalogMethods, Postings, Orders, Purchasing, Valuation, Bulk):
    """A stock ledger in one database: the catalog, postings, stock levels and history.

    >>> inv = onhand.open("sqlite:///shop.db")  # doctest: +SKIP
    >>> inv.receive(sku="MUG-1", qty=10, location="WH1/A-01")  # doctest: +SKIP
    """

    def __init__(self, settings: Settings, *, actor: str | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self._catalog = Catalog()
        self.executor = Executor(lambda write: self.unit_of_work(write=write),
                                 Actor(actor) if actor else Actor.local("lib"))

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work on this database, for adapters that call services."""
        return UnitOfWork(self.engine, self._catalog, write=write, settings=self.settings)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open(url: str | None = None, *, actor: str | None = None,  # noqa: A001 - the promised name
         **settings: Any) -> Inventory:
    """Open (creating or migrating) the inventory database at ``url``.

    ``url`` is a SQLAlchemy URL: ``sqlite:///shop.db`` (the default, from
    ``ONHAND_DATABASE_URL`` when set) or ``postgresql+psycopg://user@host/db``. ``actor``
    names who the audit trail records for this process's writes (default
    ``lib:<login name>``).

    >>> inv = onhand.open("sqlite:///shop.db")  # doctest: +SKIP
    """
    inventory = Inventory(Settings.load(database_url=url, **settings), actor=actor)
    migrate.upgrade(inventory.engine)
    return inventory
