"""Logging in: a username and password buy a short-lived session token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from onhand.api.access_schemas import LoginIn, SessionOut
from onhand.api.deps import Api, get_api
from onhand.domain.access import AuditEntry
from onhand.domain.times import utcnow
from onhand.errors import NotAuthenticated
from onhand.services import access

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/login", responses={401: {"description": "Wrong username or password"},
                                  429: {"description": "Too many attempts"}})
def login(body: LoginIn, request: Request, api: Annotated[Api, Depends(get_api)]) -> SessionOut:
    """Return a session token for a user (``Authorization: Bearer <token>``), throttled."""
    address = request.client.host if request.client else "?"
    who = f"{body.username}@{address}"
    api.throttle(api.logins, who, "failed logins", spend=False)
    api.throttle(api.logins_from, address, "failed logins", spend=False)  # any username
    entry = AuditEntry(at=utcnow(), actor=f"user:{body.username}", action="auth.login",
                       address=address,
                       request_id=getattr(request.state, "request_id", None),
                       detail={"method": "POST", "path": request.url.path})
    try:
        session, token = access.login(api.uow(), username=body.username,
                                      password=body.password, audit=entry,
                                      ttl=timedelta(minutes=api.settings.session_minutes))
    except NotAuthenticated:  # only failures count
        try:
            api.throttle(api.logins, who, "failed logins")
        finally:
            api.throttle(api.logins_from, address, "failed logins")
        raise
    assert session.expires_at is not None and session.role is not None
    return SessionOut(token=token, expires_at=session.expires_at, username=body.username,
                      role=session.role)
