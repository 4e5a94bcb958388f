"""A bare FastAPI app for bench/http.py --bare: the framework's own ceiling on this machine.

``GET /v1/health`` and ``GET /v1/ready`` answer ``{"status": ...}`` from ``async`` handlers,
with no middleware, served by uvicorn with its defaults (access log included), so the
difference to onhand's ``GET /v1/health`` is what onhand's app adds around a no-op request.

    python -P -m uvicorn --app-dir bench bare_app:app --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/v1/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/ready")
async def ready() -> dict[str, str]:
    return {"status": "ready"}
