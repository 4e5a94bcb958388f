"""Users: people who log in, each with a role and perhaps one owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from onhand.api.access_schemas import UserIn, UserOut
from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.schemas import Page
from onhand.domain.access import AddUser, DisableUser, EnableUser, Permission
from onhand.services import access

router = APIRouter(prefix="/v1/users", tags=["access"])
USERS = Permission.USERS


@router.get("")
def list_users(call: Annotated[Call, call_for(USERS)], cursor: str | None = None,
               limit: Limit = 100) -> Page[UserOut]:
    """Every user, ordered by name."""
    page, after = page_of(access.users(call.uow(write=False)), cursor=cursor, limit=limit,
                          name="username", key=lambda user: user.username)
    return Page[UserOut](items=[UserOut.of(user) for user in page], next_cursor=after)


@router.post("", status_code=201, response_model=UserOut)
async def add_user(body: UserIn, call: Annotated[Call, writer_for(USERS)]) -> Response:
    """Create a user (the password is hashed with argon2id and never shown again)."""
    digest = await run_in_threadpool(access.hash_password, body.password)  # ~50 ms, unlocked
    command = AddUser(username=body.username, password_hash=digest, role=body.role,
                      owner=body.owner)
    return await submit(call, command, body=body, render=UserOut.of)


@router.post("/{username}/disable", response_model=UserOut)
async def disable_user(username: str, call: Annotated[Call, writer_for(USERS)]) -> Response:
    """Disable a user; their sessions end at once."""
    return await submit(call, DisableUser(username=username), status=200, render=UserOut.of)


@router.post("/{username}/enable", response_model=UserOut)
async def enable_user(username: str, call: Annotated[Call, writer_for(USERS)]) -> Response:
    """Enable a disabled user again."""
    return await submit(call, EnableUser(username=username), status=200, render=UserOut.of)
