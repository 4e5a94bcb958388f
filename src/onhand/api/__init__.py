"""The HTTP API: ``/v1`` over the services, with tokens, roles, idempotency and an audit trail."""
