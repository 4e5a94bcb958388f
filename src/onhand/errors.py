"""The one exception tree of onhand; every failure a user can cause is a leaf of it.

::

    OnhandError
    ├── NotFound                UnknownOwner, UnknownItem, UnknownLocation, UnknownMovement,
    │                           UnknownUser, UnknownToken, UnknownSupplier,
    │                           UnknownOrder (and its kind UnknownTransfer)
    ├── InvalidInput            InvalidQuantity, InvalidTime, InvalidLocation, BatchTooLarge,
    │                           PayloadTooLarge, IdempotencyConflict
    ├── Conflict                InsufficientStock, DuplicateItem, DuplicateLocation,
    │                           DuplicateOwner, DuplicateUser, AlreadyReversed, RequestInFlight,
    │                           DuplicateOrder, OrderClosed, HoldExpired, PeriodClosed
    ├── AccessDenied            NotAuthenticated, Forbidden
    ├── Throttled               too many requests (or login attempts); retry after a while
    └── StorageError            the database failed (I/O, disk full); never retried blindly

Every error carries its fields as attributes (``sku``, ``location``, ``field``, ``line``…),
listed by :meth:`OnhandError.fields`, so adapters render them without parsing messages.
Nothing here imports a web or database library.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


class OnhandError(Exception):
    """The root of every error onhand raises on purpose."""

    title = "Inventory error"
    # the fields an error may carry (None when it does not); subclasses set theirs
    field: str | None = None
    line: int | None = None
    sku: str | None = None
    location: str | None = None
    owner: str | None = None
    lot: str | None = None
    requested: int | Decimal | None = None
    available: int | Decimal | None = None
    movement_id: object = None
    key: str | None = None
    value: object = None
    reason: str | None = None

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self._fields = {name: value for name, value in fields.items() if value is not None}
        for name, value in fields.items():
            setattr(self, name, value)

    def fields(self) -> dict[str, Any]:
        """Return the structured fields of this error (those that are set)."""
        return dict(self._fields)

    def at_line(self, line: int) -> OnhandError:
        """Return this error with the 1-based batch ``line`` it came from in its message."""
        self.line = line
        self._fields["line"] = line
        self.message = f"line {line}: {self.message}"
        self.args = (self.message,)
        return self

    def __str__(self) -> str:
        return self.message


# --- not found -------------------------------------------------------------------------------


class NotFound(OnhandError):
    """An object named in the request does not exist (or is not visible to the caller)."""

    title = "Not found"


class UnknownOwner(NotFound):
    """No owner has this code."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"unknown owner {owner!r}", field="owner", owner=owner)


class UnknownItem(NotFound):
    """No item of the owner has this SKU (or barcode)."""

    def __init__(self, sku: str, owner: str | None = None) -> None:
        where = f" for owner {owner!r}" if owner and owner != "default" else ""
        super().__init__(f"unknown sku {sku!r}{where}", field="sku", sku=sku, owner=owner)


class UnknownLocation(NotFound):
    """No location has this path."""

    def __init__(self, location: str, field: str = "location") -> None:
        super().__init__(f"unknown location {location!r}", field=field, location=location)


class UnknownMovement(NotFound):
    """No movement has this id."""

    def __init__(self, movement_id: object, *, field: str = "movement_id", kind: str = "") -> None:
        what = f"{kind} " if kind else ""
        super().__init__(
            f"unknown {what}movement {movement_id!r}", field=field, movement_id=movement_id
        )


class UnknownOrder(NotFound):
    """No order (or hold, or purchase order) of this owner has this reference; a missing
    transfer is its kind ``UnknownTransfer``."""

    def __init__(self, reference: str, *, field: str = "reference", what: str = "order") -> None:
        super().__init__(f"unknown {what} {reference!r}", field=field, reference=reference)


class UnknownTransfer(UnknownOrder):
    """No transfer of this owner has this reference. A kind of ``UnknownOrder``, as missing
    transfers were reported before, so a caller catching that still catches this."""

    def __init__(self, reference: str, *, field: str = "reference") -> None:
        super().__init__(reference, field=field, what="transfer")


class UnknownSupplier(NotFound):
    """The owner has no supplier with this code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown supplier {code!r}", field="supplier", supplier=code)


class UnknownUser(NotFound):
    """No user has this name."""

    def __init__(self, username: str) -> None:
        super().__init__(f"unknown user {username!r}", field="username", username=username)


class UnknownToken(NotFound):
    """No API token has this id."""

    def __init__(self, token_id: object) -> None:
        super().__init__(f"unknown token {token_id!r}", field="token_id", token_id=token_id)


# --- invalid input ---------------------------------------------------------------------------


class InvalidInput(OnhandError):
    """The request is malformed: a field has a value it may not have."""

    title = "Invalid input"

    def __init__(self, message: str, *, field: str | None = None, **fields: Any) -> None:
        super().__init__(message, field=field, **fields)


class InvalidQuantity(InvalidInput):
    """A quantity is not a positive exact number with the item's decimals."""

    def __init__(self, reason: str, *, value: object = None, field: str = "qty", **extra: Any) -> None:
        super().__init__(f"{field} {reason}", field=field, value=_show(value), **extra)


class InvalidTime(InvalidInput):
    """A time is naive, unparseable, or too far in the future."""

    def __init__(self, reason: str, *, field: str = "occurred_at", value: object = None) -> None:
        super().__init__(f"{field} {reason}", field=field, value=_show(value))


class InvalidLocation(InvalidInput):
    """A location cannot take part in this kind of movement, or its path is malformed."""

    def __init__(self, reason: str, *, location: str, field: str = "location") -> None:
        super().__init__(f"{field} {location!r} {reason}", field=field, location=location)


class BatchTooLarge(InvalidInput):
    """A batch has more lines than one transaction may carry."""

    def __init__(self, lines: int, limit: int) -> None:
        super().__init__(
            f"batch has {lines} lines; at most {limit} are allowed in one batch",
            field="lines",
            lines=lines,
            limit=limit,
        )


class PayloadTooLarge(InvalidInput):
    """A request body is larger than the server accepts."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the request body has {size} bytes; at most {limit} are accepted",
                         field="body", value=size, limit=limit)


class IdempotencyConflict(InvalidInput):
    """The idempotency key was already used for a different request."""

    def __init__(self, key: str, *, field: str = "key") -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different request",
            field=field,
            key=key,
        )


# --- conflicts with the current state ---------------------------------------------------------


class Conflict(OnhandError):
    """The request is well formed but conflicts with the current state."""

    title = "Conflict"


class InsufficientStock(Conflict):
    """An outbound movement would take a balance below zero."""

    def __init__(
        self,
        *,
        sku: str,
        location: str,
        requested: int | Decimal,
        available: int | Decimal,
        lot: str | None = None,
        at: str | None = None,
        reserved: bool = False,
    ) -> None:
        when = f" at {at}" if at else ""
        lot_part = f" lot {lot!r}" if lot else ""
        what = "unreserved stock" if reserved else "stock"
        super().__init__(
            f"insufficient {what} of {sku!r}{lot_part} at {location!r}{when}: "
            f"requested {requested}, available {available}"
            + (" (the rest is reserved by open orders)" if reserved else ""),
            sku=sku,
            location=location,
            requested=requested,
            available=available,
            lot=lot,
        )


class DuplicateItem(Conflict):
    """The owner already has an item with this SKU (or the barcode is taken)."""

    def __init__(self, sku: str, *, field: str = "sku", barcode: str | None = None) -> None:
        what = f"barcode {barcode!r} is already used" if barcode else f"sku {sku!r} already exists"
        super().__init__(what, field=field, sku=sku, barcode=barcode)


class DuplicateLocation(Conflict):
    """A location with this path already exists."""

    def __init__(self, location: str) -> None:
        super().__init__(f"location {location!r} already exists", field="path", location=location)


class DuplicateOwner(Conflict):
    """An owner with this code already exists."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"owner {owner!r} already exists", field="owner", owner=owner)


class DuplicateUser(Conflict):
    """A user with this name already exists."""

    def __init__(self, username: str) -> None:
        super().__init__(f"user {username!r} already exists", field="username",
                         username=username)


class AlreadyReversed(Conflict):
    """The movement was already reversed (each movement, a reversal too, is reversed once)."""

    def __init__(self, movement_id: int, reversed_by: int | None = None) -> None:
        by = f" by movement {reversed_by}" if reversed_by else ""
        super().__init__(
            f"movement {movement_id} was already reversed{by}",
            movement_id=movement_id,
            reversed_by=reversed_by,
        )


class RequestInFlight(Conflict):
    """A request with the same idempotency key is still being processed."""

    def __init__(self, key: str, *, field: str = "key") -> None:
        super().__init__(f"a request with key {key!r} is still in flight", field=field, key=key)


class DuplicateOrder(Conflict):
    """The owner already has an order (or hold) with this reference, with other content."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"order {reference!r} already exists with other lines or terms",
                         field="reference", reference=reference)


class OrderClosed(Conflict):
    """The order's status does not allow this (it is shipped, cancelled, a hold…)."""

    order_status: str | None = None  # named so, not ``status``: problem+json has its own

    def __init__(self, reference: str, status: str, action: str, *,
                 what: str = "order") -> None:
        super().__init__(f"{what} {reference!r} is {status}: cannot {action}",
                         field="reference", reference=reference, order_status=status)


class HoldExpired(Conflict):
    """The hold's time ran out: its units are no longer reserved."""

    def __init__(self, reference: str, expires_at: str) -> None:
        super().__init__(f"hold {reference!r} expired at {expires_at}", field="reference",
                         reference=reference, expires_at=expires_at)


class PeriodClosed(Conflict):
    """The movement is dated in an accounting period its owner has closed."""

    closed_before: str | None = None  # the first moment still open, ISO 8601

    def __init__(self, owner: str, occurred_at: str, closed_before: str) -> None:
        super().__init__(f"{occurred_at} falls in a period owner {owner!r} has closed: "
                         f"movements must be dated from {closed_before}",
                         field="occurred_at", owner=owner, closed_before=closed_before)


# --- access -----------------------------------------------------------------------------------


class AccessDenied(OnhandError):
    """The caller may not do this."""

    title = "Access denied"


class NotAuthenticated(AccessDenied):
    """The caller did not prove who it is."""


class Forbidden(AccessDenied):
    """The caller is known but its role does not allow this."""


# --- throttling -------------------------------------------------------------------------------


class Throttled(OnhandError):
    """Too many requests (or failed logins) in a short time; ``retry_after`` seconds later."""

    title = "Too many requests"
    retry_after: int | None = None

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)


# --- storage ----------------------------------------------------------------------------------


class StorageError(OnhandError):
    """The database failed to read or commit; a failed commit is reported, not retried."""

    title = "Storage error"


def _show(value: object) -> object:
    """Return a value fit for an error field: plain types as they are, others as repr."""
    if value is None or isinstance(value, (int, str, Decimal)):
        return value
    return repr(value)
