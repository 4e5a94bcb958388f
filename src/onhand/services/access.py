"""Users, API tokens, logins, and turning a presented token into the caller it stands for.

A token reads ``onh_<id>_<secret>``: the id finds its row, the secret's SHA-256 is compared
in constant time with the stored one. The secret is shown once, at creation, and stored only
as its hash. Passwords are hashed with argon2id.

Handlers: ``AddUser``, ``AddFirstAdmin``, ``SetPassword``, ``DisableUser``, ``EnableUser``,
``CreateToken``, ``RevokeToken``. A login (a session) is audited by the API itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onhand.db.access import TokenReader
from onhand.domain.access import (
    AddFirstAdmin,
    AddUser,
    AuditEntry,
    CreateToken,
    DisableUser,
    EnableUser,
    Principal,
    RevokeToken,
    Role,
    SetPassword,
    TokenInfo,
    User,
    check_password,
    check_scope,
    check_username,
    parse_role,
)
from onhand.domain.movements import check_text
from onhand.domain.times import utcnow
from onhand.errors import Conflict, InvalidInput, NotAuthenticated, UnknownToken, UnknownUser
from onhand.services.executor import UnitOfWork, handles

PREFIX = "onh_"
_TOKEN_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() takes "²" too


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's recommended cost


@cache
def _decoy_hash() -> str:
    """A hash to verify against when the user is unknown, so both cases take as long."""
    return _hasher().hash(secrets.token_urlsafe(16))


def add_user(uow: UnitOfWork, *, username: str, password: str, role: str,
             owner: str | None = None) -> User:
    """Create a user who logs in with ``password`` and acts with ``role`` (within ``owner``)."""
    check_username(username)
    check_scope(parse_role(role), owner)
    return add_hashed_user(uow, username=username, password_hash=hash_password(password),
                           role=role, owner=owner)


def hash_password(password: str) -> str:
    """Return the argon2id hash of an acceptable password (slow on purpose: ~50 ms).

    Hash before opening a write unit, so the work never holds the database's write lock.
    """
    return _hasher().hash(check_password(password))


def add_hashed_user(uow: UnitOfWork, *, username: str, password_hash: str, role: str,
                    owner: str | None = None) -> User:
    """Create a user whose password was hashed with :func:`hash_password`."""
    username = check_username(username)
    checked_role = parse_role(role)
    check_scope(checked_role, owner)
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        uow.access.add_user(username=username, password_hash=password_hash, role=checked_role.value,
                            owner_id=owner_id, now=utcnow())
        uow.commit()
    return User(username=username, role=checked_role, owner=owner, disabled=False,
                created_at=utcnow())


def users(uow: UnitOfWork) -> list[User]:
    """Return every user, ordered by name."""
    with uow:
        return uow.access.users()


def has_users(uow: UnitOfWork) -> bool:
    """Tell whether any user exists (``onhand init`` creates the first admin)."""
    with uow:
        return bool(uow.access.users())


def set_disabled(uow: UnitOfWork, *, username: str, disabled: bool = True) -> User:
    """Disable a user (ending their sessions at once) or enable them again.

    The last enabled admin cannot be disabled: nobody could manage access any more.
    """
    with uow:
        row = uow.access.user_row(username)
        if row is None:
            raise UnknownUser(username)
        if disabled and row.role == Role.ADMIN and not row.disabled \
                and uow.access.count_admins() <= 1:
            raise Conflict("the last admin cannot be disabled", field="username",
                           username=username)
        uow.access.set_disabled(username, disabled)
        if disabled:
            uow.access.revoke_sessions(row.id, utcnow())
        uow.commit()
    return User(username=username, role=parse_role(row.role), owner=row.owner,
                disabled=disabled, created_at=row.created_at)


def set_password(uow: UnitOfWork, *, username: str, password: str) -> None:
    """Give a user a new password and end their sessions."""
    set_password_hash(uow, username=username, digest=hash_password(password))


def set_password_hash(uow: UnitOfWork, *, username: str, digest: str) -> None:
    """Give a user a password hashed with :func:`hash_password`; their sessions end."""
    with uow:
        row = uow.access.user_row(username)
        if row is None:
            raise UnknownUser(username)
        uow.access.set_password(username, digest)
        uow.access.revoke_sessions(row.id, utcnow())
        uow.commit()


def create_token(uow: UnitOfWork, *, name: str, role: str, owner: str | None = None,
                 expires_at: datetime | None = None) -> tuple[TokenInfo, str]:
    """Create an API token; return its facts and its secret (shown this once, never again)."""
    checked_name = check_text(name, "name")
    if not checked_name:
        raise InvalidInput("a token needs a name", field="name")
    checked_role = parse_role(role)
    check_scope(checked_role, owner)
    now = utcnow()
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        raise InvalidInput("expires_at must be an aware time in the future", field="expires_at")
    secret = secrets.token_urlsafe(32)
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        token_id = uow.access.add_token(
            kind="api", name=checked_name, role=checked_role.value, owner_id=owner_id,
            user_id=None, secret_hash=_digest(secret), created_at=now, expires_at=expires_at)
        uow.commit()
    info = TokenInfo(id=token_id, name=checked_name, kind="api", role=checked_role, owner=owner,
                     user=None, created_at=now, expires_at=expires_at, revoked_at=None)
    return info, f"{PREFIX}{token_id}_{secret}"


def tokens(uow: UnitOfWork) -> list[TokenInfo]:
    """Return every API token (revoked and expired ones too), oldest first."""
    with uow:
        return uow.access.tokens()


def revoke_token(uow: UnitOfWork, *, token_id: int) -> TokenInfo:
    """Revoke an API token: it stops authenticating at once."""
    with uow:
        token = uow.access.token(token_id)
        if token is None or token.kind != "api":
            raise UnknownToken(token_id)
        uow.access.revoke_token(token_id, utcnow())
        uow.commit()
        revoked = uow.access.token(token_id)
    assert revoked is not None
    return revoked


def login(uow: UnitOfWork, *, username: str, password: str, ttl: timedelta,
          audit: AuditEntry | None = None) -> tuple[TokenInfo, str]:
    """Check a user's password and open a session; return it and its token (short-lived).

    A wrong name and a wrong password answer the same ``NotAuthenticated``, after the same
    work, so a caller cannot tell which was wrong. The password is checked before the write
    unit opens: argon2's ~50 ms never holds the write lock. ``audit`` is appended with the
    session, in its transaction.
    """
    with uow.reader() as reader:
        row = reader.access.user_row(username) if isinstance(username, str) else None
    if not _password_matches(row.password_hash if row else _decoy_hash(), password) \
            or row is None or row.disabled:
        raise NotAuthenticated("wrong username or password", field="password")
    with uow:
        now = utcnow()
        secret = secrets.token_urlsafe(32)
        token_id = uow.access.add_token(
            kind="session", name=f"login {username}", role=None, owner_id=None,
            user_id=row.id, secret_hash=_digest(secret), created_at=now, expires_at=now + ttl)
        if audit is not None:
            uow.access.append_audit(audit, row.owner_id)
        uow.commit()
    info = TokenInfo(id=token_id, name=f"login {username}", kind="session", role=parse_role(row.role),
                     owner=row.owner, user=username, created_at=now, expires_at=now + ttl,
                     revoked_at=None)
    return info, f"{PREFIX}{token_id}_{secret}"


# --- handlers ---------------------------------------------------------------------------------


def _hashed_user(command: AddUser) -> AddUser:
    """Hash the new user's password before the write opens (argon2 takes ~50 ms)."""
    if command.password is None or command.password_hash is not None:
        return command
    return replace(command, password=None, password_hash=hash_password(command.password))


def _hashed_admin(command: AddFirstAdmin) -> AddFirstAdmin:
    """Hash the first admin's password before the write opens."""
    if command.password_hash is not None:
        return command
    return replace(command, password="", password_hash=hash_password(command.password))


def _hashed_password(command: SetPassword) -> SetPassword:
    """Hash the new password before the write opens."""
    if command.password_hash is not None:
        return command
    return replace(command, password="", password_hash=hash_password(command.password))


@handles(AddUser, prepare=_hashed_user)
def new_user(uow: UnitOfWork, command: AddUser) -> User:
    """Create a user, with a password or a password hashed already."""
    if command.password_hash is not None:
        return add_hashed_user(uow, username=command.username,
                               password_hash=command.password_hash, role=command.role,
                               owner=command.owner)
    if command.password is None:
        raise InvalidInput("a user needs a password", field="password")
    return add_user(uow, username=command.username, password=command.password,
                    role=command.role, owner=command.owner)


@handles(AddFirstAdmin, prepare=_hashed_admin)
def first_admin(uow: UnitOfWork, command: AddFirstAdmin) -> User | None:
    """Create the first admin, unless a user exists (in the same transaction)."""
    digest = command.password_hash or hash_password(command.password)
    with uow:
        if has_users(uow):
            return None
        return add_hashed_user(uow, username=command.username, password_hash=digest,
                               role=Role.ADMIN.value)


@handles(SetPassword, prepare=_hashed_password)
def change_password(uow: UnitOfWork, command: SetPassword) -> None:
    """Give a user a new password; their sessions end."""
    _check_user_owner(uow, command.username, command.owner)
    digest = command.password_hash or hash_password(command.password)
    set_password_hash(uow, username=command.username, digest=digest)


@handles(DisableUser)
def disable(uow: UnitOfWork, command: DisableUser) -> User:
    """Disable a user; their sessions end."""
    _check_user_owner(uow, command.username, command.owner)
    return set_disabled(uow, username=command.username, disabled=True)


@handles(EnableUser)
def enable(uow: UnitOfWork, command: EnableUser) -> User:
    """Enable a user again."""
    _check_user_owner(uow, command.username, command.owner)
    return set_disabled(uow, username=command.username, disabled=False)


@handles(CreateToken)
def new_token(uow: UnitOfWork, command: CreateToken) -> tuple[TokenInfo, str]:
    """Create an API token; its secret is in the result only."""
    return create_token(uow, name=command.name, role=command.role, owner=command.owner,
                        expires_at=command.expires_at)


@handles(RevokeToken)
def revoke(uow: UnitOfWork, command: RevokeToken) -> TokenInfo:
    """Revoke an API token."""
    if command.owner is not None:
        with uow:
            token = uow.access.token(command.token_id)
            if token is not None and token.owner != command.owner:
                raise UnknownToken(command.token_id)
    return revoke_token(uow, token_id=command.token_id)


def _check_user_owner(uow: UnitOfWork, username: str, owner: str | None) -> None:
    """Raise ``UnknownUser`` when ``owner`` is named and the user is not scoped to it."""
    if owner is None:
        return
    with uow:
        row = uow.access.user_row(username)
    if row is None or row.owner != owner:
        raise UnknownUser(username)


def authenticate(source: UnitOfWork | TokenReader, token: str) -> Principal:
    """Return the caller a bearer ``token`` stands for, or raise ``NotAuthenticated``.

    ``source`` is a unit of work, or (on the API's hot path) a :class:`TokenReader`.
    """
    token_id, secret = _parse(token)
    if isinstance(source, TokenReader):
        row: Any = source.token_row(token_id)
    else:
        with source:
            row = source.access.token_row(token_id)
    stored = row.secret_hash if row is not None else _digest("")
    if not hmac.compare_digest(_digest(secret), stored) or row is None:
        raise NotAuthenticated("the token is not valid")
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise NotAuthenticated("the token has expired or was revoked")
    if row.kind == "session":
        if row.user_disabled:
            raise NotAuthenticated("the user is disabled")
        return Principal(kind="user", id=row.user_id, name=row.username,
                         role=parse_role(row.user_role), owner=row.user_owner, token_id=row.id)
    return Principal(kind="token", id=row.id, name=row.name, role=parse_role(row.role),
                     owner=row.owner, token_id=row.id)


def _parse(token: str) -> tuple[int, str]:
    head, _, secret = token.removeprefix(PREFIX).partition("_")
    if not token.startswith(PREFIX) or not _TOKEN_ID.fullmatch(head) or not secret:
        raise NotAuthenticated("the token is malformed; it reads onh_<id>_<secret>")
    return int(head), secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _password_matches(stored: str, password: object) -> bool:
    if not isinstance(password, str):
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
