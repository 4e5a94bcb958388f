"""Liveness and readiness: no authentication, nothing written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from onhand.api.deps import Api, get_api
from onhand.api.schemas import Health
from onhand.db import migrate
from onhand.errors import StorageError

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health")
async def health() -> Health:
    """The process answers (a load balancer's liveness probe)."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"description": "Database unreachable or not migrated"}})
def ready(api: Annotated[Api, Depends(get_api)]) -> Health:
    """The database answers and its schema is the newest this code knows."""
    try:
        current = migrate.current_revision(api.inventory.engine)
    except Exception as error:  # any driver failure means "not ready", never a 500
        raise StorageError(f"the database is not reachable ({type(error).__name__})") from None
    if current != migrate.head_revision():
        raise StorageError(f"the database is at revision {current}, not "
                           f"{migrate.head_revision()}; run onhand init")
    return Health(status="ready")
