"""The audit trail: every write through the API (and the CLI's access changes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from onhand.api.access_schemas import AuditOut
from onhand.api.deps import Call, call_for, decode_cursor, encode_cursor
from onhand.api.schemas import Page
from onhand.domain.access import Permission
from onhand.domain.times import parse_time
from onhand.services import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Time = Annotated[str | None, Query(description="ISO 8601 time with offset, or a date")]


@router.get("")
def list_audit(call: Annotated[Call, call_for(Permission.AUDIT_READ)],
               owner: str | None = None, actor: str | None = None, action: str | None = None,
               since: Time = None, until: Time = None, cursor: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Page[AuditOut]:
    """Audit entries oldest first, filtered by owner, actor, action and time."""
    position = decode_cursor(cursor, id=int)
    scope = call.principal.owner
    found = audit.entries(
        call.uow(write=False), owner=owner if scope is None else call.principal.owner_for(owner),
        actor=actor, action=action,
        since=None if since is None else parse_time(since, field="since", start_of_day=True),
        until=None if until is None else parse_time(until, field="until"),
        after_id=None if position is None else position["id"], limit=limit + 1)
    page = found[:limit]
    return Page[AuditOut](items=[AuditOut.of(entry) for entry in page],
                          next_cursor=encode_cursor({"id": page[-1].id})
                          if len(found) > limit else None)
