"""The audit trail: who wrote what, when and from where — appended, never changed."""

from __future__ import annotations

from datetime import datetime

from onhand.db.uow import UnitOfWork
from onhand.domain.access import AuditEntry
from onhand.errors import InvalidInput

MAX_ENTRIES = 10_000  # one read


def record(uow: UnitOfWork, entry: AuditEntry) -> None:
    """Append ``entry``; inside an adapter's unit, so it commits with the write it records."""
    with uow:
        owner_id = None if entry.owner is None else uow.refs.owner_id(entry.owner)
        uow.access.append_audit(entry, owner_id)
        uow.commit()


def entries(uow: UnitOfWork, *, owner: str | None = None, actor: str | None = None,
            action: str | None = None, since: datetime | None = None,
            until: datetime | None = None, after_id: int | None = None,
            limit: int = 100) -> list[AuditEntry]:
    """Return audit entries oldest first (after ``after_id``), filtered by owner, actor, action
    and time (``since`` inclusive, ``until`` exclusive)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ENTRIES:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_ENTRIES}", field="limit",
                           value=limit)
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        return uow.access.audit(owner_id=owner_id, actor=actor, action=action, since=since,
                                until=until, after_id=after_id, limit=limit)
