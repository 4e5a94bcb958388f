"""The one way in: every command, from every face, runs through :func:`run` or :func:`answer`.

The executor alone opens the unit of work, claims a request's ``Idempotency-Key`` (and replays
its first answer), calls the command's one handler, writes the audit entry (who: a token, a
user, ``cli:<login>``, ``lib:<login>`` or ``system:<job>``), keeps the replayable answer and
commits once. Handlers (``services/<feature>.py``, registered with :func:`handles`) never
commit; adapters never build an audit entry, an idempotency record or a commit of their own.

Inside a larger transaction (the API's group commit runs many requests in one) the unit of
work is already open: the executor joins it, and the outermost unit commits.
"""

from __future__ import annotations

import getpass
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from onhand.db.uow import UnitOfWork as UnitOfWork  # the faces pass it through, never open one
from onhand.domain.access import AuditEntry
from onhand.domain.commands import Command
from onhand.domain.jobs import Schedule
from onhand.domain.movements import Movement
from onhand.domain.times import utcnow
from onhand.errors import IdempotencyConflict, InvalidInput, RequestInFlight
from onhand.services import audit

R = TypeVar("R")
C = TypeVar("C", bound=Command[Any])
Handler = Callable[[UnitOfWork, Any], Any]
KEY_HEADER = "Idempotency-Key"
JOB_LEASE = timedelta(minutes=10)  # a run longer than this may be taken over by another server

# the service modules that hold handlers; importing them registers their commands
FEATURES = ("access", "catalog", "demo", "fulfilment", "imports", "jobs", "landed_costs",
            "movements",
            "orders", "periods", "placing", "purchasing", "receiving", "revaluations",
            "shopify", "transfers", "valuation", "valuer")
HANDLERS: dict[type[Command[Any]], Handler] = {}
# work a command needs done before its transaction opens (hashing a password, parsing a file)
PREPARERS: dict[type[Command[Any]], Callable[[Any], Any]] = {}
_loaded = False


def handles(kind: type[C], *, prepare: Callable[[C], C] | None = None
            ) -> Callable[[Callable[[UnitOfWork, C], R]], Callable[[UnitOfWork, C], R]]:
    """Register the decorated function as the one handler of the command class ``kind``;
    ``prepare`` returns the command with what it needs done before its transaction opens
    (slow, pure work that must not hold the database's write lock)."""

    def register(handler: Callable[[UnitOfWork, C], R]) -> Callable[[UnitOfWork, C], R]:
        if kind in HANDLERS:
            raise TypeError(f"{kind.__name__} already has a handler: "
                            f"{HANDLERS[kind].__module__}.{HANDLERS[kind].__name__}")
        HANDLERS[kind] = handler
        if prepare is not None:
            PREPARERS[kind] = prepare
        return handler

    return register


def handlers() -> dict[type[Command[Any]], Handler]:
    """Return every command class and its handler (the feature modules imported first)."""
    global _loaded
    if not _loaded:
        for name in FEATURES:
            importlib.import_module(f"onhand.services.{name}")
        _loaded = True
    return HANDLERS


def prepared(command: Command[R]) -> Command[R]:
    """Return ``command`` with the work done that must precede its transaction (none for
    most commands): call it before a unit of work opens."""
    handlers()
    prepare = PREPARERS.get(type(command))
    return command if prepare is None else prepare(command)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who runs a command, as the audit trail records it, and from where."""

    name: str  # token:7, user:alice, cli:root, lib:root, system:valuer (at most 100 characters)
    address: str | None = None
    request_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # the request: method, path, status…

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 100 \
                or not self.name.isprintable():
            raise InvalidInput("actor must be 1 to 100 printable characters", field="actor")

    @classmethod
    def local(cls, face: str) -> Actor:
        """Return the operating-system user running this process, through ``face``
        (``cli`` or ``lib``)."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no login name in the environment nor the password file
            name = "unknown"
        return cls(f"{face}:{name}"[:100])

    @classmethod
    def system(cls, job: str) -> Actor:
        """Return the actor of a background job (``system:valuer``)."""
        return cls(f"system:{job}")


@dataclass(frozen=True, slots=True)
class Reply:
    """How a face answers a command and keeps the answer for a retry with the same key."""

    principal: str  # whose keys: a retry is the same caller with the same key
    key: str | None
    fingerprint: str  # what makes two requests the same (a different one with the key: 422)
    status: int
    render: Callable[[Any], str]  # the result as the answer's body
    keep: Callable[[Any], str] | None = None  # what a replay answers (a secret is shown once)


@dataclass(frozen=True, slots=True)
class Answer:
    """A rendered answer: the first one, or its replay."""

    status: int
    body: str
    replayed: bool = False


class Executor:
    """Runs commands on one database as one actor (the library's or the CLI's user): what
    each face holds. The API answers through :func:`answer` with each request's caller."""

    def __init__(self, make_uow: Callable[[bool], UnitOfWork], actor: Actor) -> None:
        self._make_uow = make_uow
        self.actor = actor

    def run(self, command: Command[R], *, by: Actor | None = None) -> R:
        """Run ``command`` in a transaction of its own, as ``by`` (default: this actor)."""
        return run(self._make_uow(True), prepared(command), by=by or self.actor)

    def run_due(self, schedule: Schedule, *, holder: str,
                has_work: Callable[[UnitOfWork, Command[Any]], bool] | None = None) -> bool:
        """Run a scheduled job if it is due here (see :func:`run_due`)."""
        return run_due(self._make_uow, schedule, holder=holder, has_work=has_work)

    def unit(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work, for plain reads (a write is a command)."""
        return self._make_uow(write)


def run(uow: UnitOfWork, command: Command[R], *, by: Actor) -> R:
    """Run ``command`` in ``uow`` (joining it if open) with its audit entry; commit once.

    A job (``command.job``) runs outside a unit of work, committing in short transactions
    of its own; its run is audited once, after it, when it changed something.
    """
    if command.job is not None:
        return _run_job(uow, command, by)
    with uow:
        result = _apply(uow, command, by)
        uow.commit()
    return result


def answer(uow: UnitOfWork, command: Command[Any], *, by: Actor, reply: Reply) -> Answer:
    """Run ``command`` as :func:`run` does and answer it; with a key, replay its first answer.

    The same key with another request is ``IdempotencyConflict``; a key whose first request
    still runs is ``RequestInFlight``. A failed request keeps nothing, so its retry is
    evaluated afresh.
    """
    with uow:
        if reply.key is not None:
            first = _first(uow, reply)
            if first is not None:
                return first
        result = _apply(uow, command, by, key=reply.key, status=reply.status)
        body = reply.render(result)
        if reply.key is not None:
            kept = body if reply.keep is None else reply.keep(result)
            uow.access.store_response(principal=reply.principal, key=reply.key,
                                      fingerprint=reply.fingerprint, status=reply.status,
                                      body=kept, now=utcnow())
        uow.commit()
    return Answer(reply.status, body)


def run_due(make_uow: Callable[[bool], UnitOfWork], schedule: Schedule, *, holder: str,
            has_work: Callable[[UnitOfWork, Command[Any]], bool] | None = None) -> bool:
    """Run a scheduled job if its period is due and no other server is running it (the jobs
    table's claim); return whether this caller ran it. ``has_work`` reads first whether
    the job has anything to do (an idle job is not claimed: nothing is written). A failure
    is recorded on the job's row, then raised."""
    if has_work is not None and not has_work(make_uow(False), schedule.command):
        return False
    with make_uow(True) as unit:
        claimed = unit.jobs.claim(schedule.name, utcnow(), schedule.every,
                                  max(schedule.every, JOB_LEASE), holder)
        unit.commit()
    if not claimed:
        return False
    error: str | None = None
    try:
        run(make_uow(True), schedule.command, by=Actor.system(schedule.name))
    except Exception as problem:
        error = f"{type(problem).__name__}: {problem}"
        raise
    finally:
        with make_uow(True) as unit:
            unit.jobs.finish(schedule.name, holder, utcnow(), error)
            unit.commit()
    return True


def _run_job(uow: UnitOfWork, command: Command[R], by: Actor) -> R:
    result: R = _handler(command)(uow, command)
    effect = command.effect(result)
    if effect is not None:
        with uow.writer() as unit:
            _audit(unit, command, by, result, effect, ())
            unit.commit()
    return result


def _apply(uow: UnitOfWork, command: Command[R], by: Actor, **request: Any) -> R:
    """Call the command's handler and record it in the audit trail (in the same transaction)."""
    start = len(uow.posted)  # a group commit runs several commands in one transaction
    uow.replayed = False
    result: R = _handler(command)(uow, command)
    effect = None if uow.replayed else command.effect(result)  # a retry answered: no entry
    if effect is not None:
        detail = {**by.detail, **request} if by.detail else {}
        _audit(uow, command, by, result, {**detail, **effect}, tuple(uow.posted[start:]))
    return result


def _handler(command: Command[Any]) -> Handler:
    handler = handlers().get(type(command))
    if handler is None:
        raise TypeError(f"{type(command).__name__} has no handler")
    return handler


def _audit(uow: UnitOfWork, command: Command[Any], by: Actor, result: object,
           detail: dict[str, Any], posted: tuple[int, ...]) -> None:
    audit.record(uow, AuditEntry(
        at=utcnow(), actor=by.name, action=command.action, owner=command.scope(),
        address=by.address, request_id=by.request_id, target=command.target(result),
        movement_ids=posted or _movement_ids(result), detail=detail))


def _first(uow: UnitOfWork, reply: Reply) -> Answer | None:
    assert reply.key is not None
    if not uow.access.lock_request(reply.principal, reply.key):
        raise RequestInFlight(reply.key, field=KEY_HEADER)
    first = uow.access.stored_response(reply.principal, reply.key)
    if first is None:
        return None
    if first.fingerprint != reply.fingerprint:
        raise IdempotencyConflict(reply.key, field=KEY_HEADER)
    return Answer(first.status, first.body, replayed=True)


def _movement_ids(result: object) -> tuple[int, ...]:
    if isinstance(result, Movement):
        return (result.id,)
    if isinstance(result, list):
        return tuple(m.id for m in result if isinstance(m, Movement))
    return ()
