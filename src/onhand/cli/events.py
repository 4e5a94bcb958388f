"""``onhand events``: the outbox of changes to available, orders and holds, in commit order.

Ids are gap-free and in commit order: polling with the last id seen (``--cursor``) never
misses an event. ``--follow`` keeps polling until interrupted, printing each new event.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

import onhand
from onhand.cli.common import Json, echo_json, inventory

Cursor = Annotated[int, typer.Option(min=0, help="The id of the last event seen (0: all).")]


def describe(event: onhand.Event) -> str:
    """Return an event in one line: ``#7 stock.changed acme sku=MUG-1 available=3``."""
    data = " ".join(f"{name}={value}" for name, value in event.data.items())
    return f"#{event.id} {event.at:%Y-%m-%d %H:%M:%S} {event.type} {event.owner} {data}".rstrip()


def events(
    ctx: typer.Context, cursor: Cursor = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many per read.")] = 100,
    owner: Annotated[str | None, typer.Option(help="Only this owner's (default: all).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep polling for new events "
                                                                "until interrupted.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls with "
                                                          "--follow.")] = 1.0,
    as_json: Json = False,
) -> None:
    """List events after --cursor, oldest first; --follow keeps printing new ones."""
    with inventory(ctx) as inv:
        found = inv.events(cursor=cursor, limit=limit, owner=owner)
        if not follow:
            _print_page(found, cursor, as_json)
            return
        try:
            while True:
                for event in found:
                    _print_one(event, as_json)
                cursor = found[-1].id if found else cursor
                if len(found) < limit:
                    time.sleep(interval)
                found = inv.events(cursor=cursor, limit=limit, owner=owner)
        except KeyboardInterrupt:
            typer.echo(f"stopped; resume with --cursor {cursor}", err=True)


def _print_page(found: list[onhand.Event], cursor: int, as_json: bool) -> None:
    last = found[-1].id if found else cursor
    if as_json:
        echo_json({"events": [event.to_dict() for event in found], "next_cursor": last})
        return
    for event in found:
        typer.echo(describe(event))
    typer.echo(f"next: --cursor {last}", err=True)


def _print_one(event: onhand.Event, as_json: bool) -> None:
    # following: one compact JSON object per line (JSON Lines), printed as it comes
    typer.echo(json.dumps(event.to_dict(), default=str) if as_json else describe(event))


def register(app: typer.Typer) -> None:
    """Add ``events`` to ``app``."""
    app.command("events")(events)
