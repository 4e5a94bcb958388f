"""Settings: built once in a composition root from arguments, then ONHAND_* variables, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from onhand.errors import InvalidInput

DEFAULT_DATABASE_URL = "sqlite:///onhand.db"
SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
MAY_BE_ZERO = frozenset({"sweep_seconds", "over_receipt_percent"})  # 0 is meaningful


@dataclass(frozen=True, slots=True)
class Settings:
    """How onhand connects and how durable its commits are."""

    database_url: str = DEFAULT_DATABASE_URL
    sqlite_synchronous: str = "FULL"  # durable commits; NORMAL trades the last commits for speed
    busy_timeout_ms: int = 30_000  # how long a SQLite writer waits for another one
    max_batch_lines: int = 100_000
    over_receipt_percent: int = 0  # how far receiving may exceed a purchase order line
    # the HTTP API
    api_batch_lines: int = 10_000  # lines in one POST /v1/movements/batch
    max_body_bytes: int = 16 * 1024 * 1024  # a larger request body answers 413
    rate_limit_per_minute: int = 6_000  # requests per token (or user) and worker; 429 beyond
    login_attempts_per_minute: int = 10  # failed logins per username and address, per worker
    session_minutes: int = 60  # how long a login session token lasts
    group_commit: str = "auto"  # on | off | auto (on for SQLite): API writes share commits
    cors_origins: str = ""  # comma-separated origins allowed to call the API; empty: CORS off
    sweep_seconds: int = 5  # how often the server expires holds and overdue backorders; 0: never

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **arguments: Any) -> Settings:
        """Return settings from ``arguments`` (None = unset), then ``ONHAND_*`` in ``env``."""
        env = os.environ if env is None else env
        unknown = sorted(set(arguments) - {spec.name for spec in fields(cls)})
        if unknown:
            raise InvalidInput(f"unknown setting {unknown[0]!r}", field=unknown[0])
        values: dict[str, Any] = {}
        for spec in fields(cls):
            given = arguments.get(spec.name)
            if given is None:
                given = env.get(f"ONHAND_{spec.name.upper()}")
            if given is not None:
                values[spec.name] = _parse(spec.name, spec.type, given)
        settings = cls(**values)
        if settings.sqlite_synchronous.upper() not in SYNCHRONOUS_MODES:
            raise InvalidInput(f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}",
                               field="sqlite_synchronous")
        if settings.group_commit not in ("on", "off", "auto"):
            raise InvalidInput("group_commit must be on, off or auto", field="group_commit")
        return settings


def _parse(name: str, kind: object, value: object) -> int | str:
    if kind != "int":
        return str(value)
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {value!r} "
                           f"(check ONHAND_{name.upper()})", field=name) from None
    if name in MAY_BE_ZERO and number < 0:
        raise InvalidInput(f"{name} must be zero (off) or more", field=name)
    if name not in MAY_BE_ZERO and number <= 0:
        raise InvalidInput(f"{name} must be positive", field=name)
    return number
