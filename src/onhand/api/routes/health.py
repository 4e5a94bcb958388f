"""Liveness and readiness: no authentication, nothing written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from onhand.api.deps import Api, get_api
from onhand.api.schemas import Health
from onhand.services.health import check_ready

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health")
async def health() -> Health:
    """The process answers (a load balancer's liveness probe)."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"description": "Database unreachable or not migrated"}})
def ready(api: Annotated[Api, Depends(get_api)]) -> Health:
    """The database answers and its schema is the newest this code knows."""
    check_ready(api.uow(write=False))
    return Health(status="ready")
