"""Request and response bodies of users, tokens, logins and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
)

from onhand.api.schemas import Code, Reply, Request
from onhand.domain.access import AuditEntry, Role, TokenInfo, User


class UserIn(Request):
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]
    password: Annotated[str, StringConstraints(min_length=10, max_length=1024)]
    role: Role
    owner: Code | None = None


class UserOut(Reply):
    username: str
    role: Role
    owner: str | None
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(username=user.username, role=user.role, owner=user.owner,
                   disabled=user.disabled, created_at=user.created_at)


class TokenIn(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    role: Role
    owner: Code | None = None
    expires_at: AwareDatetime | None = None


class TokenOut(Reply):
    id: int
    name: str
    role: Role | None
    owner: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: TokenInfo) -> TokenOut:
        return cls(id=token.id, name=token.name, role=token.role, owner=token.owner,
                   created_at=token.created_at, expires_at=token.expires_at,
                   revoked_at=token.revoked_at)


class TokenCreated(TokenOut):
    token: str = Field(description="The secret: shown once, in this response only.")


class LoginIn(Request):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SessionOut(Reply):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    username: str
    role: Role


class AuditOut(Reply):
    id: int
    at: datetime
    actor: str
    owner: str | None
    address: str | None
    request_id: str | None
    action: str
    target: str | None
    movement_ids: list[int]
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        assert entry.id is not None
        return cls(id=entry.id, at=entry.at, actor=entry.actor, owner=entry.owner,
                   address=entry.address, request_id=entry.request_id, action=entry.action,
                   target=entry.target, movement_ids=list(entry.movement_ids),
                   detail=entry.detail)
