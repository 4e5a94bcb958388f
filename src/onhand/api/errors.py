"""One table maps the error tree to HTTP; errors render as problem+json (RFC 9457)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from onhand import errors as e

PROBLEM = "application/problem+json"

# the first class in an error's MRO found here gives its status; a test checks every leaf
STATUS: dict[type[e.OnhandError], int] = {
    e.OnhandError: 400,
    e.NotFound: 404,
    e.InvalidInput: 422,
    e.BatchTooLarge: 413,
    e.PayloadTooLarge: 413,
    e.Conflict: 409,
    e.AccessDenied: 403,
    e.NotAuthenticated: 401,
    e.Forbidden: 403,
    e.Throttled: 429,
    e.StorageError: 503,
}


def status_of(error: e.OnhandError) -> int:
    """Return the HTTP status of ``error``: that of its nearest mapped class."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500  # unreachable: OnhandError itself is mapped


def problem(error: e.OnhandError, *, instance: str | None = None) -> dict[str, Any]:
    """Return the problem+json body of ``error``: type, title, status, detail and its fields."""
    body: dict[str, Any] = {
        "type": f"/problems/{_slug(type(error).__name__)}",
        "title": error.title,
        "status": status_of(error),
        "detail": error.message,
    }
    if instance:
        body["instance"] = instance
    for name, value in error.fields().items():
        if name not in body:
            body[name] = _plain(value)
    return body


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (int, str, bool, float)):
        return value
    return str(value)
