"""``onhand serve``: the HTTP API under uvicorn, and with ``--demo`` something to try it on.

The database is created or migrated here, before any worker starts. Workers build the app
from the ``ONHAND_*`` environment (``Settings.load``), so the database this command was
given is handed on to them as ``ONHAND_DATABASE_URL``. ``--demo`` never waits for input: it
builds the demo database when there are no items, gives the user ``admin`` a new generated
password and creates a new admin token named ``demo``, and prints them.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from typing import Annotated

import typer

import onhand
from onhand.cli.common import inventory, settings, shown
from onhand.cli.demo import build as build_demo
from onhand.domain.access import AddUser, CreateToken, EnableUser, RevokeToken, Role, SetPassword
from onhand.domain.times import utcnow
from onhand.services import access as accounts

DEMO_ADMIN = "admin"
DEMO_TOKEN = "demo"
APP = "onhand.api.app:app_from_env"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        help="The address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, help="Worker processes (each has its own rate limits).")] = 1,
    access_log: Annotated[bool, typer.Option(
        "--access-log", help="Log every request line (the audit trail records every write "
                             "anyway).")] = False,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Build the demo database if there are no items; print a new admin "
                       "password and token.")] = False,
) -> None:
    """Serve the HTTP API (/v1, interactive docs at /docs) until interrupted."""
    database_url = settings(ctx).database_url
    _check_port(host, port)  # before anything changes: a second serve must not reset the first
    with inventory(ctx) as inv:
        credentials = _demo(inv) if demo else None
        anyone = accounts.has_users(inv.unit_of_work(write=False))
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    typer.echo(f"onhand serves {shown(database_url)}\n  API docs:  {url}/docs")
    if credentials is not None:
        password, token = credentials
        typer.echo(f"  username:  {DEMO_ADMIN}\n  password:  {password}\n  token:     {token}")
        typer.echo('the password and token are new for this run; send the token as '
                   '"Authorization: Bearer <token>"')
    elif not anyone:
        typer.echo("no user yet: run onhand user add NAME --role admin (or serve --demo)",
                   err=True)
    os.environ["ONHAND_DATABASE_URL"] = database_url  # seen by every worker process
    import uvicorn  # here: the other commands start faster without it

    uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, access_log=access_log)


def _demo(inv: onhand.Inventory) -> tuple[str, str]:
    """Build the demo when there are no items; return a new admin password and token."""
    if not inv.items():
        _build(inv)
    password = secrets.token_urlsafe(12)
    _admin(inv, password)
    for old in accounts.tokens(inv.unit_of_work(write=False)):  # one demo token at a time
        if old.name == DEMO_TOKEN and old.revoked_at is None:
            inv.execute(RevokeToken(token_id=old.id))
    _, token = inv.execute(CreateToken(name=DEMO_TOKEN, role=Role.ADMIN.value,
                                       expires_at=utcnow() + timedelta(days=30)))
    return password, token


def _check_port(host: str, port: int) -> None:
    """Refuse to go on when the address is taken (another server is running)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise onhand.Conflict(f"cannot listen on {host}:{port} ({error.strerror}); is "
                                  "another server running? Try --port", field="port") from None


def _build(inv: onhand.Inventory) -> None:
    """Build the demo database, with a progress bar on a terminal."""
    summary = build_demo(inv)
    typer.echo(f"demo built: {summary.items} items, {summary.locations} locations, "
               f"{summary.movements} movements")


def _admin(inv: onhand.Inventory, password: str) -> None:
    """Make sure the user ``admin`` exists, is an enabled admin, and has ``password``."""
    users = accounts.users(inv.unit_of_work(write=False))
    user = next((u for u in users if u.username == DEMO_ADMIN), None)
    if user is None:
        inv.execute(AddUser(username=DEMO_ADMIN, password=password, role=Role.ADMIN.value))
        return
    if user.role is not Role.ADMIN:
        raise onhand.Conflict(f"the user {DEMO_ADMIN!r} has the role {user.role.value!r}; "
                              "--demo needs it to be an admin", field="username")
    inv.execute(SetPassword(username=DEMO_ADMIN, password=password))
    if user.disabled:
        inv.execute(EnableUser(username=DEMO_ADMIN))


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    app.command("serve")(serve)
