"""Commands: every state-changing use case as a frozen, typed value.

A command says what to do (``Reverse(movement_id=7, reason="typo")``), never how: one
handler in ``services/<feature>.py`` does it, and one executor (``services/executor.py``)
runs every command the same way, from every face — the library, the CLI, the HTTP API and
the server's background jobs. Each command class lives in ``domain/<feature>.py`` beside the
values it works on, and names:

- ``action``: what the audit trail records (``movements.reverse``);
- ``scope()``: the owner whose data it changes (None: shared by every owner, or a job of all);
- ``target(result)`` and ``effect(result)``: what the audit entry names and keeps of the
  result. A job's ``effect`` is None when the run changed nothing: it is not audited.

Fields are keyword-only: a SKU and a location are both strings.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

R = TypeVar("R", covariant=True)


class Command(Generic[R]):
    """A state-changing use case whose handler returns an ``R``."""

    __slots__ = ()
    action: ClassVar[str]
    job: ClassVar[str | None] = None  # a background job's name (run as ``system:<job>``)

    def scope(self) -> str | None:
        """Return the owner whose data this command changes (None: shared, or all owners)."""
        owner = getattr(self, "owner", None)
        return owner if isinstance(owner, str) else None

    def target(self, result: Any) -> str | None:
        """Return what the audit entry names as acted on (a SKU, a reference, an id)."""
        return None

    def effect(self, result: Any) -> dict[str, Any] | None:
        """Return what the audit entry keeps of the result; None: nothing changed, no entry."""
        return {}


class OnDocument:
    """What a write of one document (an order, a hold, a purchase order, a transfer) audits:
    its reference, and the status it left the document in. Mixed into its commands."""

    __slots__ = ()
    reference: str

    def target(self, result: Any) -> str | None:
        """Name the document by its reference."""
        return self.reference

    def effect(self, result: Any) -> dict[str, Any] | None:
        """Keep the status the write left the document in."""
        return {"status": result.status}
