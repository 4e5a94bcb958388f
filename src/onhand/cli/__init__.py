"""The ``onhand`` command line: a Typer app over :class:`onhand.Inventory`.

The database comes from ``--db URL``, else ``ONHAND_DATABASE_URL``, else
``sqlite:///onhand.db``. Every read command has ``--json``. A user error prints one line,
``error: …``, on standard error and exits with the code of its branch of the error tree:

====  ==============================================================
0     done
1     another onhand error; ``verify`` found problems
2     the command line itself is wrong (unknown option, missing argument)
3     ``NotFound``: unknown item, location, owner, movement or order
4     ``InvalidInput``: a bad value, or an import with rejected rows
5     ``Conflict``: not enough stock, a duplicate, already reversed, an order closed
6     ``AccessDenied``
7     ``StorageError``: the database failed
====  ==============================================================
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

import onhand
from onhand.cli import (
    access,
    catalog,
    demo,
    events,
    imports,
    movements,
    orders,
    purchasing,
    serve,
    stock,
    transfers,
    valuation,
)
from onhand.cli.common import inventory, shown
from onhand.config import Settings
from onhand.domain.access import AddFirstAdmin
from onhand.services.access import has_users

ADMIN_PASSWORD = "ONHAND_ADMIN_PASSWORD"

EXIT_CODES: tuple[tuple[type[onhand.OnhandError], int], ...] = (
    (onhand.NotFound, 3),
    (onhand.InvalidInput, 4),
    (onhand.Conflict, 5),
    (onhand.AccessDenied, 6),
    (onhand.StorageError, 7),
)


def exit_code(error: onhand.OnhandError) -> int:
    """Return the exit code for an error: one per branch of the error tree, else 1."""
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), 1)


class _Group(TyperGroup):
    """The root command group: turns every ``OnhandError`` into one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except onhand.OnhandError as error:
            message = " ".join(str(error).split())
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(exit_code(error)) from None


app = typer.Typer(
    cls=_Group, no_args_is_help=True, pretty_exceptions_show_locals=False,
    help="onhand: a perpetual inventory on an exact, append-only, double-entry stock ledger.",
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="Database URL (default: $ONHAND_DATABASE_URL, else sqlite:///onhand.db).")] = None,
) -> None:
    """Keep track of every unit: receive, ship, move and count stock, on SQLite or PostgreSQL."""
    ctx.obj = Settings.load(database_url=db)


@app.command()
def init(ctx: typer.Context, admin: Annotated[str, typer.Option(
    "--admin", metavar="NAME", help="The first admin's username.")] = "admin") -> None:
    """Create the database (or bring its schema up to date), and the first admin if no user.

    The admin's password comes from $ONHAND_ADMIN_PASSWORD, else a hidden prompt at a terminal.

    With neither, no user is created: there is never a default password.
    """
    with inventory(ctx) as inv:
        typer.echo(f"database ready: {shown(inv.settings.database_url)}")
        if not has_users(inv.unit_of_work(write=False)):
            _first_admin(inv, admin)


def _first_admin(inv: onhand.Inventory, username: str) -> None:
    """Create the first admin, with a password from the environment or the terminal."""
    password = os.environ.get(ADMIN_PASSWORD)
    if password is None and sys.stdin is not None and sys.stdin.isatty():
        password = access.read_password(False, f"Password for the first admin, {username}")
    if password is None:
        typer.echo(f"no user yet: set {ADMIN_PASSWORD} and run onhand init again, "
                   "or run onhand user add NAME --role admin")
        return
    # nothing when a user exists by now (a concurrent init got there first)
    if inv.execute(AddFirstAdmin(username=username, password=password)) is not None:
        typer.echo(f"created the first admin: {username}")


for module in (catalog, movements, orders, events, purchasing, transfers, stock, valuation,
               imports, demo, access, serve):
    module.register(app)


def main() -> None:
    """Run the ``onhand`` command line (the console script's entry point).

    A mistyped command line (a missing option, an unknown one) gets one ``error:`` line
    and exit code 2, like every other error, instead of a usage box.
    """
    if len(sys.argv) == 1:
        sys.argv.append("--help")  # a bare "onhand" shows what it can do
    try:
        code = app(prog_name="onhand", standalone_mode=False)
    except typer.Abort:
        raise SystemExit(1) from None
    except TyperException as error:  # a usage error: missing or unknown option, bad value
        context = getattr(error, "ctx", None)
        where = f"{context.command_path} --help" if context is not None else "onhand --help"
        typer.echo(f"error: {error.format_message()} (see {where})", err=True)
        raise SystemExit(getattr(error, "exit_code", 2)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


__all__ = ["app", "exit_code", "main"]
