"""SQL of access: users, tokens, the audit trail and the HTTP idempotency records."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import and_, bindparam, func, insert, select, text, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from onhand.db.statements import aware, execute_rows, fetch, fetch_raw
from onhand.db.tables import api_requests, audit_log, owners, tokens, users
from onhand.domain.access import AuditEntry, TokenInfo, User, parse_role
from onhand.errors import DuplicateUser, StorageError

_USER = select(users, owners.c.code.label("owner")).outerjoin(owners, owners.c.id == users.c.owner_id)
_TOKEN = (select(tokens, owners.c.code.label("owner"), users.c.username)
          .outerjoin(owners, owners.c.id == tokens.c.owner_id)
          .outerjoin(users, users.c.id == tokens.c.user_id))
_USER_OWNER = owners.alias("user_owner")
# on every authenticated request: built once
_TOKEN_ROW = (select(tokens.c.id, tokens.c.kind, tokens.c.name, tokens.c.role,
                     tokens.c.secret_hash, tokens.c.expires_at, tokens.c.revoked_at,
                     owners.c.code.label("owner"), users.c.id.label("user_id"),
                     users.c.username, users.c.role.label("user_role"),
                     users.c.disabled.label("user_disabled"),
                     _USER_OWNER.c.code.label("user_owner"))
              .outerjoin(owners, owners.c.id == tokens.c.owner_id)
              .outerjoin(users, users.c.id == tokens.c.user_id)
              .outerjoin(_USER_OWNER, _USER_OWNER.c.id == users.c.owner_id)
              .where(tokens.c.id == bindparam("id")))
_APPEND_AUDIT = insert(audit_log).values(
    {name: bindparam(name) for name in audit_log.c.keys() if name != "id"})
_STORED = select(api_requests.c.fingerprint, api_requests.c.status, api_requests.c.body).where(
    api_requests.c.principal == bindparam("principal"), api_requests.c.key == bindparam("key"))
_STORE = {name: dialect.insert(api_requests).values(
    {column: bindparam(column) for column in api_requests.c.keys()}).on_conflict_do_nothing()
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}
_AUDIT = select(audit_log, owners.c.code.label("owner")).outerjoin(
    owners, owners.c.id == audit_log.c.owner_id)


class AccessStore:
    """Reads and writes users, tokens, audit entries and stored API responses."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- users -------------------------------------------------------------------------------

    def add_user(self, *, username: str, password_hash: str, role: str, owner_id: int | None,
                 now: datetime) -> None:
        """Insert a user; a taken name raises ``DuplicateUser``."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(users).values(
                    username=username, password_hash=password_hash, role=role,
                    owner_id=owner_id, disabled=False, created_at=now))
        except IntegrityError:
            raise DuplicateUser(username) from None

    def user_row(self, username: str) -> Row[Any] | None:
        """Return the user named ``username`` (with its password hash), or None."""
        return self.conn.execute(_USER.where(users.c.username == username)).first()

    def users(self) -> list[User]:
        """Return every user, ordered by name."""
        return [_user(row) for row in self.conn.execute(_USER.order_by(users.c.username))]

    def set_disabled(self, username: str, disabled: bool) -> bool:
        """Disable (or enable) a user; return whether the user exists."""
        done = self.conn.execute(update(users).where(users.c.username == username)
                                 .values(disabled=disabled))
        return done.rowcount > 0

    def set_password(self, username: str, password_hash: str) -> None:
        """Replace a user's password hash."""
        self.conn.execute(update(users).where(users.c.username == username)
                          .values(password_hash=password_hash))

    def count_admins(self) -> int:
        """Return how many enabled admins there are."""
        return int(self.conn.execute(select(func.count()).select_from(users).where(
            users.c.role == "admin", users.c.disabled.is_(False))).scalar_one())

    # --- tokens ------------------------------------------------------------------------------

    def add_token(self, **values: Any) -> int:
        """Insert a token (or a session) and return its id."""
        return int(self.conn.execute(insert(tokens).values(**values)
                                     .returning(tokens.c.id)).scalar_one())

    def token_row(self, token_id: int) -> Row[Any] | None:
        """Return the token (joined with its user's role, scope and state), or None."""
        return cast("Row[Any] | None", self.conn.execute(_TOKEN_ROW, {"id": token_id}).first())

    def tokens(self, *, kind: str = "api") -> list[TokenInfo]:
        """Return the tokens of ``kind``, oldest first."""
        rows = self.conn.execute(_TOKEN.where(tokens.c.kind == kind).order_by(tokens.c.id))
        return [_token(row) for row in rows]

    def token(self, token_id: int) -> TokenInfo | None:
        """Return one token's public facts, or None."""
        row = self.conn.execute(_TOKEN.where(tokens.c.id == token_id)).first()
        return None if row is None else _token(row)

    def revoke_token(self, token_id: int, now: datetime) -> None:
        """Mark a token revoked (once: the first revocation's time stays)."""
        self.conn.execute(update(tokens).where(tokens.c.id == token_id,
                                               tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now))

    def revoke_sessions(self, user_id: int, now: datetime) -> None:
        """End every open session of a user."""
        self.conn.execute(update(tokens).where(tokens.c.user_id == user_id,
                                               tokens.c.kind == "session",
                                               tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now))

    # --- the audit trail ---------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry, owner_id: int | None) -> None:
        """Append one entry to the audit trail."""
        execute_rows(self.conn, _APPEND_AUDIT, [{
            "at": entry.at, "actor": entry.actor, "owner_id": owner_id,
            "address": entry.address, "request_id": entry.request_id, "action": entry.action,
            "target": entry.target, "movement_ids": json.dumps(list(entry.movement_ids)),
            "detail": json.dumps(entry.detail, sort_keys=True, default=str)}])

    def audit(self, *, owner_id: int | None, actor: str | None, action: str | None,
              since: datetime | None, until: datetime | None, after_id: int | None,
              limit: int) -> list[AuditEntry]:
        """Return audit entries oldest first, after ``after_id``, filtered."""
        conditions: list[Any] = []
        if owner_id is not None:
            conditions.append(audit_log.c.owner_id == owner_id)
        if actor is not None:
            conditions.append(audit_log.c.actor == actor)
        if action is not None:
            conditions.append(audit_log.c.action == action)
        if since is not None:
            conditions.append(audit_log.c.at >= since)
        if until is not None:
            conditions.append(audit_log.c.at < until)
        if after_id is not None:
            conditions.append(audit_log.c.id > after_id)
        query = _AUDIT.where(and_(true(), *conditions)).order_by(audit_log.c.id).limit(limit)
        return [_audit(row) for row in self.conn.execute(query)]

    # --- stored responses of idempotent requests -----------------------------------------------

    def lock_request(self, principal: str, key: str) -> bool:
        """Take a transaction-long lock on (principal, key); False when another holds it.

        PostgreSQL: an advisory lock, so a retry that arrives while the first request is
        still at work (in any worker) is told so at once instead of waiting. SQLite has one
        writer at a time: the write lock already serialises it, so the answer is True.
        """
        if self.conn.dialect.name != "postgresql":
            return True
        digest = hashlib.blake2b(f"{principal}\x00{key}".encode(), digest_size=8).digest()
        lock = int.from_bytes(digest, "big", signed=True)  # 64 bits: collisions unlikely
        return bool(self.conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                      {"k": lock}).scalar_one())

    def stored_response(self, principal: str, key: str) -> Any:
        """Return the (fingerprint, status, body) stored for this key, or None."""
        rows = fetch(self.conn, _STORED, {"principal": principal, "key": key})
        return rows[0] if rows else None

    def store_response(self, *, principal: str, key: str, fingerprint: str, status: int,
                       body: str, now: datetime) -> None:
        """Store the first response to a key, in the transaction of the write it answers."""
        execute_rows(self.conn, _STORE[self.conn.dialect.name], [{
            "principal": principal, "key": key, "fingerprint": fingerprint, "status": status,
            "body": body, "created_at": now}])


class TokenReader:
    """Reads the token behind a bearer credential, on every request, as cheaply as it can:
    a few bare driver connections of its own (at most ``size``, shared by the threads that
    authenticate), outside any transaction — each read sees what is committed — with the
    statement compiled once."""

    def __init__(self, engine: Engine, *, size: int = 4) -> None:
        self.engine = engine
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened: list[Any] = []
        self._size = size
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every connection this reader opened (before the engine is disposed)."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._idle = queue.SimpleQueue()
        for connection in opened:
            connection.close()

    def token_row(self, token_id: int) -> TokenRow | None:
        """Return the token (joined with its user's role, scope and state), or None."""
        connection = None
        try:
            connection = self._take()
            rows = fetch_raw(connection, self.engine.dialect, _TOKEN_ROW, {"id": token_id})
        except Exception as error:
            if connection is not None:
                self._discard(connection)
            raise StorageError(f"cannot read the token ({type(error).__name__}: {error})",
                               reason=str(error)) from error
        self._idle.put(connection)
        if not rows:
            return None
        row = TokenRow(*rows[0])
        return row._replace(expires_at=aware(row.expires_at), revoked_at=aware(row.revoked_at),
                            user_disabled=bool(row.user_disabled))

    def _take(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            opening = len(self._opened) < self._size
            if opening:
                self._opened.append(None)  # a place kept for the connection being opened
        if not opening:
            return self._idle.get(timeout=30)  # another request gives one back soon
        try:
            connection = self._connect()
        except BaseException:
            with self._lock:
                self._opened.remove(None)
            raise
        with self._lock:
            self._opened[self._opened.index(None)] = connection
        return connection

    def _discard(self, connection: Any) -> None:
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        connection.invalidate()

    def _connect(self) -> Any:
        connection = self.engine.raw_connection()
        if self.engine.dialect.name == "postgresql":
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        connection.detach()  # the reader's own, never back in the pool: it is in autocommit
        return connection


class TokenRow(NamedTuple):
    """The columns of ``_TOKEN_ROW``, in order."""

    id: int
    kind: str
    name: str
    role: str | None
    secret_hash: str
    expires_at: datetime | None
    revoked_at: datetime | None
    owner: str | None
    user_id: int | None
    username: str | None
    user_role: str | None
    user_disabled: bool | None
    user_owner: str | None


def _user(row: Row[Any]) -> User:
    return User(username=row.username, role=parse_role(row.role), owner=row.owner,
                disabled=row.disabled, created_at=row.created_at)


def _token(row: Row[Any]) -> TokenInfo:
    return TokenInfo(id=row.id, name=row.name, kind=row.kind,
                     role=parse_role(row.role) if row.role else None, owner=row.owner,
                     user=row.username, created_at=row.created_at, expires_at=row.expires_at,
                     revoked_at=row.revoked_at)


def _audit(row: Row[Any]) -> AuditEntry:
    ids: Sequence[int] = json.loads(row.movement_ids)
    return AuditEntry(id=row.id, at=row.at, actor=row.actor, owner=row.owner,
                      address=row.address, request_id=row.request_id, action=row.action,
                      target=row.target, movement_ids=tuple(ids), detail=json.loads(row.detail))
