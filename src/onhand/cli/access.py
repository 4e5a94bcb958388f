"""Access commands: ``user add/list/disable/enable/password``, ``token create/list/revoke``
and ``audit``.

Every write of a user or a token is a command, recorded in the audit trail by the executor
in the write's own transaction, with the actor ``cli:<the login name running the command>``. A password is
asked for at a hidden prompt (twice) or read from standard input with ``--password-stdin``,
never taken as an option value (it would land in the shell's history and the process list).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, cells, console, echo_json, inventory, when
from onhand.domain.access import (
    AddUser,
    AuditEntry,
    CreateToken,
    DisableUser,
    EnableUser,
    RevokeToken,
    SetPassword,
    TokenInfo,
    User,
    check_scope,
    check_username,
    parse_role,
)
from onhand.domain.times import parse_time, utcnow
from onhand.errors import DuplicateUser, InvalidTime, UnknownUser
from onhand.services import access, audit

user_app = typer.Typer(no_args_is_help=True, help="Add, list, disable and enable users.")
token_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API tokens.")

Username = Annotated[str, typer.Argument(help="The user's login name (lowercase).")]
RoleOption = Annotated[str, typer.Option(
    "--role", help="admin, manager, operator, viewer or client.")]
Scope = Annotated[str | None, typer.Option(
    "--owner", metavar="CODE", help="Scope to one owner: sees and touches only its data "
                                    "(required for the role client).")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input "
                             "instead of a hidden prompt.")]
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def read_password(from_stdin: bool, prompt: str = "Password") -> str:
    """Return a password from standard input's first line, or a hidden prompt asked twice."""
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    try:
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    except typer.Abort:  # end of input: nobody at a terminal to type it
        raise onhand.InvalidInput("no password was typed: type it at the prompt, or pass it on "
                                  "standard input with --password-stdin",
                                  field="password") from None


# --- users ------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(ctx: typer.Context, username: Username, role: RoleOption, owner: Scope = None,
             password_stdin: PasswordStdin = False) -> None:
    """Add a user who logs in with a password (asked for, or read with --password-stdin)."""
    check_username(username)  # bad input fails before the password is asked for
    check_scope(parse_role(role), owner)
    with inventory(ctx) as inv:
        if _user(inv, username) is not None:
            raise DuplicateUser(username)
        password = read_password(password_stdin)
        user = inv.execute(AddUser(username=username, password=password, role=role,
                                   owner=owner))
    scope = f", owner {user.owner}" if user.owner else ""
    typer.echo(f"added user {user.username}: role {user.role.value}{scope}")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List every user (never a password)."""
    with inventory(ctx) as inv:
        found = access.users(inv.unit_of_work(write=False))
    if as_json:
        echo_json([_user_dict(user) for user in found])
        return
    table = Table("Username", "Role", "Owner", "State", "Created (UTC)",
                  title=f"{len(found)} users")
    for user in found:
        table.add_row(*cells(user.username, user.role.value, user.owner or "(all)",
                             "disabled" if user.disabled else "enabled",
                             f"{user.created_at:%Y-%m-%d %H:%M}"))
    console().print(table)


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: Username) -> None:
    """Disable a user: they can no longer log in, and their sessions end at once."""
    with inventory(ctx) as inv:
        inv.execute(DisableUser(username=username, owner=_owner_of(inv, username)))
    typer.echo(f"disabled user {username}; their sessions are ended")


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: Username) -> None:
    """Enable a disabled user again."""
    with inventory(ctx) as inv:
        inv.execute(EnableUser(username=username, owner=_owner_of(inv, username)))
    typer.echo(f"enabled user {username}")


@user_app.command("password")
def user_password(ctx: typer.Context, username: Username,
                  password_stdin: PasswordStdin = False) -> None:
    """Give a user a new password (asked for, or read with --password-stdin); ends sessions."""
    with inventory(ctx) as inv:
        user = _user(inv, username)
        if user is None:
            raise UnknownUser(username)
        password = read_password(password_stdin, f"New password for {username}")
        inv.execute(SetPassword(username=username, password=password, owner=user.owner))
    typer.echo(f"changed the password of {username}; their sessions are ended")


def _user(inv: onhand.Inventory, username: str) -> User | None:
    return next((u for u in access.users(inv.unit_of_work(write=False))
                 if u.username == username), None)


def _owner_of(inv: onhand.Inventory, username: str) -> str | None:
    """Return the owner a user is scoped to, as the audit trail files a change of them."""
    user = _user(inv, username)
    return None if user is None else user.owner


def _user_dict(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role.value, "owner": user.owner,
            "disabled": user.disabled, "created_at": user.created_at.isoformat()}


# --- tokens -----------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. shopify-sync.")],
    role: RoleOption,
    owner: Scope = None,
    expires: Annotated[str | None, typer.Option(
        "--expires", metavar="WHEN", help="When it stops working: a duration from now (90m, "
                                          "12h, 30d, 4w) or an ISO 8601 time (default: never).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create an API token and print it, this once: it is stored only as a hash.

    The token alone goes to standard output, so TOKEN=$(onhand token create …) works.

    What it is, and that it will not be shown again, go to standard error.
    """
    expires_at = expiry(expires)
    with inventory(ctx) as inv:
        info, secret = inv.execute(CreateToken(name=name, role=role, owner=owner,
                                               expires_at=expires_at))
    if as_json:
        echo_json({"id": info.id, "name": info.name, "role": role, "owner": info.owner,
                   "expires_at": _iso(info.expires_at), "token": secret})
        return
    scope = f", owner {info.owner}" if info.owner else ""
    until = f"expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else "no expiry"
    typer.echo(f"created token {info.id} {info.name!r}: role {role}{scope}, {until}", err=True)
    typer.echo(secret)
    typer.echo("this token will not be shown again: store it now", err=True)


@token_app.command("list")
def token_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List the API tokens, revoked and expired ones too (never their secrets)."""
    with inventory(ctx) as inv:
        found = access.tokens(inv.unit_of_work(write=False))
    now = utcnow()
    if as_json:
        echo_json([_token_dict(token, now) for token in found])
        return
    table = Table("Id", "Name", "Role", "Owner", "State", "Created (UTC)", "Expires (UTC)",
                  title=f"{len(found)} tokens")
    for t in found:
        table.add_row(*cells(t.id, t.name, t.role.value if t.role else None, t.owner or "(all)",
                             _state(t, now), f"{t.created_at:%Y-%m-%d %H:%M}",
                             f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never"))
    console().print(table)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context,
                 token_id: Annotated[int, typer.Argument(metavar="ID",
                                                         help="The token's id (token list).")]
                 ) -> None:
    """Revoke an API token: it stops working at once."""
    with inventory(ctx) as inv:
        found = next((t for t in access.tokens(inv.unit_of_work(write=False))
                      if t.id == token_id), None)
        info = inv.execute(RevokeToken(token_id=token_id,
                                       owner=None if found is None else found.owner))
    typer.echo(f"revoked token {info.id} {info.name!r}")


def expiry(text: str | None) -> datetime | None:
    """Return the time an ``--expires`` value names: ``30d`` from now, or an ISO 8601 time."""
    if text is None:
        return None
    duration = _DURATION.match(text.strip())
    if duration is not None:
        amount, unit = duration.groups()
        return utcnow() + timedelta(**{_UNITS[unit]: int(amount)})
    if not _DATE.match(text.strip()):
        raise InvalidTime("is neither a duration (90m, 12h, 30d, 4w) nor an ISO 8601 time",
                          field="expires_at", value=text)
    return parse_time(text, field="expires_at")


def _state(token: TokenInfo, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.active(now) else "expired"


def _token_dict(token: TokenInfo, now: datetime) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "role": token.role.value if token.role else None,
            "owner": token.owner, "state": _state(token, now),
            "created_at": token.created_at.isoformat(), "expires_at": _iso(token.expires_at),
            "revoked_at": _iso(token.revoked_at)}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# --- the audit trail --------------------------------------------------------------------------


def audit_log(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="From this time (a date: its start).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (a date: its end).")] = None,
    actor_name: Annotated[str | None, typer.Option(
        "--actor", help="Only this actor: user:alice, token:7, cli:root…")] = None,
    action: Annotated[str | None, typer.Option(
        help="Only this action, e.g. users.add or movements.post.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only writes of this owner.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries (1 to 1000).")] = 100,
    after: Annotated[int | None, typer.Option(
        "--after", metavar="ID", help="Entries after this id (the next page).")] = None,
    as_json: Json = False,
) -> None:
    """List the audit trail, oldest first: who wrote what, when and from where."""
    with inventory(ctx) as inv:
        found = audit.entries(inv.unit_of_work(write=False), owner=owner, actor=actor_name,
                              action=action, since=when(since, "since", start_of_day=True),
                              until=when(until, "until"), after_id=after, limit=limit)
    if as_json:
        echo_json([_entry_dict(entry) for entry in found])
        return
    table = Table("Id", "At (UTC)", "Actor", "Action", "Owner", "Target", "Address", "Detail",
                  title=f"{len(found)} audit entries")
    for e in found:
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items())
        table.add_row(*cells(e.id, f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.owner,
                             e.target, e.address, detail))
    if len(found) == limit and found:
        table.caption = f"more: --after {found[-1].id}"
    console().print(table)


def _entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
            "action": entry.action, "owner": entry.owner, "address": entry.address,
            "request_id": entry.request_id, "target": entry.target,
            "movement_ids": list(entry.movement_ids), "detail": entry.detail}


def register(app: typer.Typer) -> None:
    """Add ``user``, ``token`` and ``audit`` to ``app``."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command("audit")(audit_log)
