"""End to end: ``onhand serve`` as a real process, spoken to over HTTP on a free port.

Each test starts the command the README tells users to run, waits until ``/v1/ready``
answers, talks to it with an HTTP client like any integration would, and stops it with
Ctrl-C (SIGINT), expecting a clean exit.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

import onhand
from onhand.services import access
from tests.api.conftest import bearer
from tests.conftest import ENGINE

STARTUP_SECONDS = 60  # migrating, and with --demo building the demo, on a busy CI machine
KEY = {"Idempotency-Key": "receipt-2024-0001"}
SENDERS = 12  # clients sending the same request with the same key at once
RECEIPT = {"kind": "receipt", "sku": "MUG-1", "qty": "12", "location": "WH1/A-01",
           "reference": "PO-1001"}


def _onhand() -> str:
    """The ``onhand`` script installed beside this Python (the venv's), else on the PATH."""
    beside = Path(sys.executable).with_name("onhand")
    found = str(beside) if beside.exists() else shutil.which("onhand")
    assert found, "the onhand command is not installed (pip install -e .)"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``onhand serve``: its address and what it printed so far."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=bearer(token) if token else {},
                            timeout=30)

    def wait_for(self, pattern: str, *, count: int = 1) -> list[re.Match[str]]:
        """Wait until the output has ``count`` lines matching ``pattern``; return them."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            found = list(re.finditer(pattern, self.output(), re.MULTILINE))
            if len(found) >= count:
                return found
            assert self.process.poll() is None, f"onhand serve exited:\n{self.output()}"
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} ×{count} in time; output:\n{self.output()}")

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"onhand serve exited:\n{self.output()}"
                try:
                    if client.get("/v1/ready").status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.1)
        raise AssertionError(f"/v1/ready did not answer 200 in time; output:\n{self.output()}")


@contextmanager
def serving(database_url: str, tmp_path: Path, *args: str) -> Iterator[Server]:
    """Run ``onhand --db URL serve --port <free> ARGS…`` until the block ends, then Ctrl-C it."""
    port = _free_port()
    log = tmp_path / f"serve-{port}.log"
    # only the arguments configure it: no ONHAND_* setting of the developer's leaks in
    env = {name: value for name, value in os.environ.items() if not name.startswith("ONHAND_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [_onhand(), "--db", database_url, "serve", "--host", "127.0.0.1", "--port",
             str(port), *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_until_ready()
        try:
            yield server
        except BaseException as error:
            error.add_note(f"onhand serve printed:\n{server.output()}")
            raise
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, server.output()
        assert "Finished server process" in server.output()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _admin_token(database_url: str) -> str:
    """Create an admin token with the library, as an operator would before the first call."""
    with onhand.open(database_url) as inv:
        return access.create_token(inv.unit_of_work(), name="e2e", role="admin")[1]


def _catalog(client: httpx.Client) -> None:
    for path in ("WH1", "WH1/A-01"):
        assert client.post("/v1/locations", json={"path": path}).status_code == 201
    created = client.post("/v1/items", json={"sku": "MUG-1", "name": "Blue mug"})
    assert created.status_code == 201, created.text


def _receipts(client: httpx.Client) -> list[dict[str, object]]:
    listed = client.get("/v1/movements", params={"sku": "MUG-1"})
    assert listed.status_code == 200, listed.text
    items: list[dict[str, object]] = listed.json()["items"]
    return items


def test_serve_answers_over_http_and_a_retried_receipt_is_posted_once(
        database_url: str, tmp_path: Path) -> None:
    token = _admin_token(database_url)
    with serving(database_url, tmp_path) as server, server.client(token) as client:
        _catalog(client)
        first = client.post("/v1/movements", json=RECEIPT, headers=KEY)
        again = client.post("/v1/movements", json=RECEIPT, headers=KEY)
        assert first.status_code == again.status_code == 201, first.text
        assert again.content == first.content
        assert again.headers.get("Idempotency-Replayed") == "true"
        assert [m["id"] for m in _receipts(client)] == [first.json()["id"]]
        stock = client.get("/v1/stock/MUG-1")
        assert stock.status_code == 200, stock.text
        assert stock.json()["on_hand"] == "12"
        assert stock.json()["by_location"] == {"WH1/A-01": "12"}


def test_the_same_key_sent_at_once_to_two_workers_posts_one_movement(
        database_url: str, tmp_path: Path) -> None:
    token = _admin_token(database_url)
    with serving(database_url, tmp_path, "--workers", "2") as server:
        server.wait_for(r"Application startup complete", count=2)  # both workers listen
        with server.client(token) as client:
            _catalog(client)
        start = threading.Barrier(SENDERS, timeout=STARTUP_SECONDS)

        def post(_: int) -> httpx.Response:
            with server.client(token) as own:  # a connection each, spread over the workers
                start.wait()
                return own.post("/v1/movements", json=RECEIPT, headers=KEY)

        with ThreadPoolExecutor(SENDERS) as pool:
            answers = list(pool.map(post, range(SENDERS)))
        with server.client(token) as client:
            last = client.post("/v1/movements", json=RECEIPT, headers=KEY)
            receipts = _receipts(client)
        seen = [f"{answer.status_code} {answer.text}" for answer in answers]
        # each is the first answer (or its replay), or 409 while the first is still in flight
        assert {answer.status_code for answer in answers} <= {201, 409}, seen
        assert last.status_code == 201, last.text
        assert {answer.content for answer in answers if answer.status_code == 201} == {
            last.content}, seen
        assert [m["id"] for m in receipts] == [last.json()["id"]], receipts


def test_serve_demo_prints_a_new_admin_password_and_token_without_asking(
        database_url: str, tmp_path: Path) -> None:
    # SQLite: a file that does not exist yet; PostgreSQL: the test's new, empty database
    url = database_url if ENGINE == "postgresql" else f"sqlite:///{tmp_path / 'demo.db'}"
    with serving(url, tmp_path, "--demo") as server:
        printed = server.output()
        password = server.wait_for(r"^\s*password:\s+(\S+)$")[0][1]
        token = server.wait_for(r"^\s*token:\s+(\S+)$")[0][1]
        with server.client(token) as client:
            items = client.get("/v1/items")
            assert items.status_code == 200, items.text
            assert items.json()["items"], "the demo database has items"
            login = client.post("/v1/auth/login",
                                json={"username": "admin", "password": password})
            assert login.status_code == 200, login.text
    assert "demo built" in printed
