"""The FastAPI application: ``create_app(settings)``, or ``app_from_env()`` for uvicorn workers.

Every error leaves as ``application/problem+json`` through one handler per kind: the error
tree's (mapped by :data:`onhand.api.errors.STATUS`), request validation (422, naming the
field), HTTP errors (404 for unknown routes, 405) and, as a last resort, anything
unexpected (500, with no stack trace in the body).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import fields
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import onhand
from onhand.api.deps import Api
from onhand.api.errors import PROBLEM, problem, status_of
from onhand.api.routes import (
    audit,
    auth,
    events,
    health,
    holds,
    items,
    landed_costs,
    locations,
    movements,
    orders,
    owners,
    periods,
    purchase_orders,
    revaluations,
    stock,
    suppliers,
    transfers,
    valuation,
)
from onhand.api.routes import tokens as token_routes
from onhand.api.routes import users as user_routes
from onhand.api.schemas import Problem
from onhand.api.sweeper import Sweeper
from onhand.config import Settings
from onhand.db.access import TokenReader
from onhand.db.engine import POOL_SIZE
from onhand.db.group import GroupCommitter
from onhand.errors import InvalidInput, OnhandError, PayloadTooLarge, Throttled
from onhand.services import access, jobs

log = logging.getLogger("onhand.api")
ROUTERS = (health, auth, owners, items, locations, movements, stock, valuation, landed_costs,
           revaluations, periods, orders, holds, events, suppliers, purchase_orders, transfers,
           audit, user_routes, token_routes)
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": what, "model": Problem, "content": {PROBLEM: {}}}
    for status, what in ((401, "Not authenticated"), (403, "Forbidden"), (404, "Not found"),
                         (409, "Conflict with the current state, or a key still in flight"),
                         (413, "Too large"), (422, "Invalid input"), (429, "Too many requests"),
                         (503, "The database failed"))
}
# routes anyone may call: no 401 or 403 (login's wrong password is its own 401)
OPEN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: PROBLEMS[status] for status in (401, 413, 422, 429, 503)}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return the API over the database ``settings`` names (migrated on start)."""
    settings = settings or Settings.load()
    inventory = onhand.open(settings.database_url, **_others(settings))
    app = FastAPI(title="onhand", version=onhand.__version__,
                  description="A perpetual inventory: an exact, append-only stock ledger.")
    tokens = TokenReader(inventory.engine)
    app.state.api = api = Api(inventory, group=GroupCommitter, closing=tokens.close,
                              authenticate=lambda token: access.authenticate(tokens, token))
    for module in ROUTERS:
        app.include_router(module.router,
                           responses=OPEN_PROBLEMS if module in (health, auth) else PROBLEMS)
    _handle_errors(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(RequestId)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins.split(","),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"])
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    plan, me = jobs.schedules(settings.sweep_seconds), jobs.holder()
    app.state.sweeper = sweeper = Sweeper(lambda: jobs.tick(inventory.executor, plan, me),
                                          settings.sweep_seconds)
    app.router.add_event_handler("startup", _limit_threads)
    app.router.add_event_handler("startup", sweeper.start)
    app.router.add_event_handler("shutdown", sweeper.stop)  # before the database closes
    app.router.add_event_handler("shutdown", api.close)
    return app


async def _limit_threads() -> None:
    """Run at most as many blocking requests at once as the pool keeps connections."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = POOL_SIZE


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Return the OpenAPI document, errors documented as problem+json (not application/json)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        for path in schema["paths"].values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and "application/json" in content:
                        content[PROBLEM] = content.pop("application/json")
        app.openapi_schema = schema
    return app.openapi_schema


def app_from_env() -> FastAPI:
    """Return the API configured by ``ONHAND_*`` variables (uvicorn's factory for workers)."""
    return create_app(Settings.load())


def _others(settings: Settings) -> dict[str, Any]:
    return {spec.name: getattr(settings, spec.name) for spec in fields(settings)
            if spec.name != "database_url"}


class RequestId:
    """Give each request an id (the client's ``X-Request-ID`` when sane), echoed back.

    Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _problem(error: OnhandError, request: Request) -> JSONResponse:
    headers = {}
    if isinstance(error, Throttled) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if status_of(error) == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(problem(error, instance=request.url.path), status_of(error),
                        headers=headers, media_type=PROBLEM)


def _handle_errors(app: FastAPI) -> None:
    async def onhand_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, OnhandError)
        return _problem(error, request)

    async def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return _problem(_validation_error(error), request)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 400:  # FastAPI could not decode the body (not UTF-8)
            return _problem(InvalidInput("the body is not valid JSON", field="body"), request)
        title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "Error")
        body = {"type": "about:blank", "title": title, "status": error.status_code,
                "detail": str(error.detail), "instance": request.url.path}
        return JSONResponse(body, error.status_code, headers=error.headers, media_type=PROBLEM)

    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = {"type": "about:blank", "title": "Internal error", "status": 500,
                "detail": "the server failed; the error is logged", "instance": request.url.path}
        return JSONResponse(body, 500, media_type=PROBLEM)

    app.add_exception_handler(OnhandError, onhand_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


NUMBER = "must be a decimal number, as a string (\"2.50\") or an integer; never a float"
_TYPE_TAGS = {"int", "str", "float", "bool", "list", "dict", "none"}


def _validation_error(error: RequestValidationError) -> InvalidInput:
    """Return the first validation failure as ``InvalidInput`` naming its field (and line)."""
    first = error.errors()[0]
    kind, loc = first.get("type"), tuple(first.get("loc", ()))
    if kind == "json_invalid":
        return InvalidInput("the body is not valid JSON", field="body")
    if loc[:1] == ("header",) and len(loc) > 1:
        return InvalidInput(f"{loc[1]}: {first.get('msg', 'invalid')}", field=str(loc[1]))
    where = []
    for part in loc[1:]:  # after "body", "query", "path" or "header"
        text = str(part)
        if not (text.isidentifier() or text.isdigit()) or text in _TYPE_TAGS:
            break  # pydantic's tags for the members of a union: not a field
        where.append(text)
    line = None
    if len(where) >= 2 and where[0] == "lines" and where[1].isdigit():  # a batch line
        line = int(where[1]) + 1
        where = where[2:]
    field = ".".join(where) or "body"
    numeric = where[-1:] in (["qty"], ["unit_cost"], ["unit_price"])
    reason = NUMBER if numeric else first.get("msg", "invalid")
    message = f"{field}: {reason}"
    failure = InvalidInput(message, field=field)
    if line is not None:
        failure.at_line(line)
    return failure


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes (413), declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await _refuse(scope, send, PayloadTooLarge(int(declared), self.limit))
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True  # answer 413 now; the app sees the client gone
                await _refuse(scope, send, PayloadTooLarge(seen, self.limit))
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)


async def _refuse(scope: Scope, send: Send, error: OnhandError) -> None:
    body = problem(error, instance=scope.get("path"))
    response = JSONResponse(body, status_of(error), media_type=PROBLEM)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
