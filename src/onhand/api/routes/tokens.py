"""API tokens: for integrations, each with a name, a role, perhaps an owner and an expiry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from onhand.api.access_schemas import TokenCreated, TokenIn, TokenOut
from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.schemas import Page
from onhand.domain.access import CreateToken, Permission, RevokeToken
from onhand.services import access

router = APIRouter(prefix="/v1/tokens", tags=["access"])
USERS = Permission.USERS
NOT_KEPT = "(shown once, in the first response; a replay does not repeat it)"


@router.get("")
def list_tokens(call: Annotated[Call, call_for(USERS)], cursor: str | None = None,
                limit: Limit = 100) -> Page[TokenOut]:
    """Every API token, oldest first (never their secrets)."""
    page, after = page_of(access.tokens(call.uow(write=False)), cursor=cursor, limit=limit,
                          name="id", key=lambda token: token.id)
    return Page[TokenOut](items=[TokenOut.of(token) for token in page], next_cursor=after)


@router.post("", status_code=201, response_model=TokenCreated)
async def create_token(body: TokenIn, call: Annotated[Call, writer_for(USERS)]) -> Response:
    """Create a token; its secret is in this response only (never stored, never replayed)."""
    command = CreateToken(name=body.name, role=body.role, owner=body.owner,
                          expires_at=body.expires_at)
    return await submit(call, command, body=body,
                        render=lambda made: TokenCreated(**TokenOut.of(made[0]).model_dump(),
                                                         token=made[1]),
                        keep=lambda reply: reply.model_copy(update={"token": NOT_KEPT}))


@router.post("/{token_id}/revoke", response_model=TokenOut)
async def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**31)],
                       call: Annotated[Call, writer_for(USERS)]) -> Response:
    """Revoke a token: it stops authenticating at once."""
    return await submit(call, RevokeToken(token_id=token_id), status=200, render=TokenOut.of)
