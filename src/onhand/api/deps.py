"""What routes share: the caller, its permissions and owner, cursors, and the write path.

Every state-changing route turns its request into a command and hands it to :func:`submit`,
which runs it through the executor (``services/executor.py``): one transaction holds the
handler's work, the audit entry and — with an ``Idempotency-Key`` — the stored first
response, so a write is acknowledged, audited and made replayable together or not at all.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from onhand.api.schemas import Reply
from onhand.config import Settings
from onhand.domain.access import Permission, Principal
from onhand.domain.commands import Command
from onhand.domain.throttle import RateLimiter
from onhand.errors import (
    InvalidInput,
    NotAuthenticated,
    RequestInFlight,
    Throttled,
)
from onhand.inventory import Inventory
from onhand.services import executor
from onhand.services.executor import Actor, UnitOfWork
from onhand.services.executor import Reply as ExecutorReply

R = TypeVar("R")


class Group(Protocol):
    """Runs the writes of concurrent requests in one durable commit (``db/group.py``)."""

    def submit(self, job: Callable[[UnitOfWork], R]) -> Future[R]: ...

    def close(self) -> None: ...


HEADER = "Idempotency-Key"
JSON = "application/json"


class Api:
    """The state one worker shares across requests: the inventory and its limiters."""

    def __init__(self, inventory: Inventory, *, authenticate: Callable[[str], Principal],
                 group: Callable[[Callable[[], UnitOfWork]], Group] | None,
                 closing: Callable[[], None]) -> None:
        """``authenticate`` finds a bearer token's caller (on a pool of its own), ``group``
        makes a group committer (used on SQLite, or when the settings ask), ``closing``
        releases what the composition root opened besides the inventory."""
        self.inventory = inventory
        self.settings: Settings = inventory.settings
        self.requests = RateLimiter(self.settings.rate_limit_per_minute)
        self.logins = RateLimiter(self.settings.login_attempts_per_minute)
        # guessing across usernames from one address: ten times the per-user allowance
        self.logins_from = RateLimiter(10 * self.settings.login_attempts_per_minute)
        self._lock = threading.Lock()
        self._in_flight: set[tuple[str, str]] = set()
        self.local = inventory.engine.dialect.name == "sqlite"
        grouped = self.settings.group_commit == "on" or (
            self.settings.group_commit == "auto" and self.local)
        self.group = group(self.uow) if group is not None and grouped else None
        self.authenticate = authenticate
        self._closing = closing

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work."""
        return self.inventory.unit_of_work(write=write)

    async def execute(self, job: Callable[[UnitOfWork], Response]) -> Response:
        """Run a write's transaction: in a shared group commit (SQLite), or on its own in a
        worker thread; the event loop serves other requests meanwhile."""
        if self.group is not None:
            return await asyncio.wrap_future(self.group.submit(job))
        return await run_in_threadpool(job, self.uow())

    def close(self) -> None:
        """Finish the queued writes and release the database."""
        if self.group is not None:
            self.group.close()
        self._closing()
        self.inventory.close()

    def throttle(self, limiter: RateLimiter, who: str, what: str, *, spend: bool = True) -> None:
        """Raise ``Throttled`` when ``who`` is over ``limiter``'s rate (counted per worker);
        with ``spend``, count this request."""
        with self._lock:
            now = time.monotonic_ns()
            wait = limiter.take(who, now) if spend else limiter.wait(who, now)
        if wait:
            raise Throttled(f"too many {what}; retry in {wait} s", retry_after=wait)

    @contextmanager
    def claim(self, principal: str, key: str) -> Iterator[None]:
        """Hold ``key`` in this worker while its request runs; a second holder is in flight."""
        with self._lock:
            if (principal, key) in self._in_flight:
                raise RequestInFlight(key, field=HEADER)
            self._in_flight.add((principal, key))
        try:
            yield
        finally:
            with self._lock:
                self._in_flight.discard((principal, key))


def get_api(request: Request) -> Api:
    """Return the worker's shared state."""
    api: Api = request.app.state.api
    return api


_bearer = HTTPBearer(auto_error=False, description="An API token or a login session token.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="A retry with the same key gets the first response and writes nothing.")]


@dataclass(frozen=True, slots=True)
class Call:
    """One request's context: who calls, from where, under which request id and key."""

    api: Api
    principal: Principal
    request: Request
    key: str | None

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work."""
        return self.api.uow(write=write)

    @property
    def costs(self) -> bool:
        """Whether the caller may see and set costs."""
        return self.principal.can(Permission.COSTS)


def call_for(permission: Permission) -> Any:
    """Return a dependency giving the :class:`Call` of a caller holding ``permission``.

    It runs on the event loop, not in the thread pool: the token's one-row lookup costs
    less than a hop to a thread and back.
    """

    async def build(request: Request, credentials: Credentials = None) -> Call:
        return await _call(request, credentials, permission, None)

    return Depends(build)


def writer_for(permission: Permission) -> Any:
    """Return a dependency like :func:`call_for`'s, for a write: it reads ``Idempotency-Key``."""

    async def build(request: Request, credentials: Credentials = None,
                    key: IdempotencyKey = None) -> Call:
        return await _call(request, credentials, permission, key)

    return Depends(build)


async def _call(request: Request, credentials: HTTPAuthorizationCredentials | None,
                permission: Permission, key: str | None) -> Call:
    api = get_api(request)
    if credentials is None:
        raise NotAuthenticated("a bearer token is required (Authorization: Bearer <token>)",
                               field="Authorization")
    if api.local:  # SQLite: a read of one row costs less than a hop to a thread
        principal = api.authenticate(credentials.credentials)
    else:  # over the network: never block the event loop on the database
        principal = await run_in_threadpool(api.authenticate, credentials.credentials)
    request.state.principal = principal
    api.throttle(api.requests, principal.actor, "requests")
    principal.require(permission)
    if key is not None and (not key.strip() or not key.isprintable()):
        raise InvalidInput("Idempotency-Key must be 1 to 200 printable characters",
                           field="Idempotency-Key")
    return Call(api=api, principal=principal, request=request, key=key)


async def submit(call: Call, command: Command[R], *, render: Callable[[R], Reply],
                 body: BaseModel | None = None, status: int = 201,
                 keep: Callable[[Reply], Reply] | None = None) -> Response:
    """Run ``command`` for the caller through the executor and answer it (``status``, the
    result rendered as JSON by ``render``).

    With an ``Idempotency-Key``, a stored first answer is replayed (same status and body)
    without writing; ``keep`` turns the reply into what may be kept for replays (a token's
    secret is shown once, never stored).
    """
    command = executor.prepared(command)  # before the write opens (its group's, on SQLite)
    request = call.request
    by = Actor(call.principal.actor,
               address=request.client.host if request.client else None,
               request_id=getattr(request.state, "request_id", None),
               detail={"method": request.method, "path": request.url.path})
    reply = ExecutorReply(
        principal=call.principal.actor, key=call.key, fingerprint=_fingerprint(request, body),
        status=status, render=lambda result: render(result).model_dump_json(),
        keep=None if keep is None else lambda result: keep(render(result)).model_dump_json())

    def job(uow: UnitOfWork) -> Response:
        done = executor.answer(uow, command, by=by, reply=reply)
        return Response(done.body, done.status, media_type=JSON,
                        headers={"Idempotency-Replayed": "true"} if done.replayed else None)

    if call.key is None:
        return await call.api.execute(job)
    with call.api.claim(call.principal.actor, call.key):
        return await call.api.execute(job)


def _fingerprint(request: Request, body: BaseModel | None) -> str:
    # a password never goes into the stored fingerprint (a fast hash could be brute-forced)
    parts = [request.method, request.url.path, str(request.url.query),
             "" if body is None else body.model_dump_json(exclude={"password"})]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


# --- cursors ---------------------------------------------------------------------------------


T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]


def page_of(rows: Iterable[T], *, cursor: str | None, limit: int, name: str,
            key: Callable[[T], str | int]) -> tuple[list[T], str | None]:
    """Return the page of ``rows`` (ordered by ``key``) after ``cursor``, and the next cursor.

    For the short lists held whole in memory (owners, locations, users, tokens, levels); the
    cursor holds the last key of a page under ``name``.
    """
    kind = str if name != "id" else int
    after = decode_cursor(cursor, **{name: kind})
    rest = [row for row in rows if after is None or key(row) > after[name]]
    page = rest[:limit]
    return page, encode_cursor({name: key(page[-1])}) if len(rest) > limit else None


def page_by(rows: Iterable[T], *, cursor: str | None, limit: int, names: tuple[str, ...],
            key: Callable[[T], tuple[str, ...]]) -> tuple[list[T], str | None]:
    """Return the page of ``rows`` (ordered by ``key``, a text per name) after ``cursor``,
    and the next cursor: :func:`page_of` for rows no one field tells apart (an item's value
    at each location: SKU, then path). The cursor holds the last row's key under ``names``.
    """
    after = decode_cursor(cursor, **dict.fromkeys(names, str))
    last = None if after is None else tuple(after[name] for name in names)
    rest = [row for row in rows if last is None or key(row) > last]
    page = rest[:limit]
    return page, (encode_cursor(dict(zip(names, key(page[-1]), strict=True)))
                  if len(rest) > limit else None)


def page_at(rows: Sequence[T], *, cursor: str | None, limit: int) -> tuple[list[T], str | None]:
    """Return the page of ``rows`` from the position ``cursor`` holds, and the next cursor.

    For short lists with no unique key to resume after (an item's value entries): a row
    inserted before the position between two calls shifts the rest of the list by one.
    """
    after = decode_cursor(cursor, position=int)
    start = 0 if after is None else after["position"]
    if start < 0:
        raise InvalidInput("cursor is not one this server gave out for this list",
                           field="cursor")
    stop = start + limit
    return list(rows[start:stop]), encode_cursor({"position": stop}) if len(rows) > stop else None


def encode_cursor(position: dict[str, Any]) -> str:
    """Return an opaque cursor for ``position`` (where the next page starts)."""
    text = json.dumps(position, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(cursor: str | None, **shape: type) -> dict[str, Any] | None:
    """Return the position a cursor stands for (None for the first page).

    ``shape`` names each field and its type; a cursor of another shape was not given out
    by this server (or not for this list) and is refused, naming ``cursor``.
    """
    if cursor is None:
        return None
    try:
        position = (json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
                    if len(cursor) <= 1024 else None)
    except (ValueError, UnicodeDecodeError, RecursionError):
        position = None
    if not isinstance(position, dict) or set(position) != set(shape) or any(
            type(position[name]) is not kind for name, kind in shape.items()):
        raise InvalidInput("cursor is not one this server gave out for this list",
                           field="cursor")
    return position
