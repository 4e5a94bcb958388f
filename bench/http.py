"""Benchmark durable single postings through the HTTP API (issue 4, Performance).

Per engine, on a fresh database: one-unit receipts posted with ``POST /v1/movements`` by N
concurrent clients (1, 8, 32), each request with a bearer token and an ``Idempotency-Key``
unique to it (so the API authenticates, checks and stores the key, writes the audit trail and
commits); the same requests against ``GET /v1/health`` (no database, no auth needed) as the
framework's ceiling; and the library itself, ``Inventory.receive(..., key=...)`` from N
threads in this process, in the same run. The server is ``onhand serve`` (uvicorn) started as
a subprocess; the load comes from Debian's ``wrk`` with ``bench/http.lua`` (installed with
apt-get when missing; else a Python asyncio load generator, ``bench/loadgen.py``, which says
so). Every figure comes with the CPU each process used, to tell what limits it.

    .venv/bin/python bench/http.py --quick                  # 3 s per cell, both engines, ~1 min
    .venv/bin/python bench/http.py                          # 15 s per cell, both engines, ~5 min
    .venv/bin/python bench/http.py --engine sqlite --workers 2 --json out.json
"""

from __future__ import annotations

# ruff: noqa: E402
# This file is bench/http.py. Run as a script, Python puts bench/ first on sys.path, where this
# file would stand in for the standard library's ``http`` package (which uvicorn, urllib and
# friends import). Move bench/ to the end: the standard library first, bench's helpers after.
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import databases
from ledger import Target, machine
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

import onhand

console = Console(stderr=True)

LUA = BENCH / "http.lua"
LOADGEN = BENCH / "loadgen.py"
HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

PEER = {"name": "InvenTree 1.4.0 stock adjustment (REST API, SQLite)", "ops_per_s": 32.0,
        "p50_ms": 30.0, "p99_ms": 49.0}
TARGET_RATE = 3_200.0  # durable postings/s through HTTP on SQLite at 32 clients: 100× the peer
TARGET_P99 = 0.050
TARGET_CLIENTS = 32
POST, HEALTH, LIBRARY = "POST /v1/movements", "GET /v1/health", "library receive(key=)"
BARE = "GET /v1/health (bare FastAPI)"
SHORT = {POST: "HTTP POST", HEALTH: "HTTP health", LIBRARY: "library", BARE: "bare FastAPI"}


# --- the load generator ------------------------------------------------------------------------


@dataclass
class LoadGen:
    """wrk with bench/http.lua, or the Python fallback; ``note`` says why the fallback."""

    name: str
    version: str
    threads: int = 1
    note: str = ""

    def command(self, port: int, token: str, mode: str, clients: int, seconds: int,
                items: int, prefix: str) -> list[str]:
        if self.name == "wrk":
            return ["wrk", "-t", str(min(self.threads, clients)), "-c", str(clients),
                    "-d", f"{seconds}s", "--timeout", "10s", "-s", str(LUA),
                    f"http://127.0.0.1:{port}", "--", prefix, token, mode, str(items)]
        return [sys.executable, "-P", str(LOADGEN), "--port", str(port), "--clients", str(clients),
                "--seconds", str(seconds), "--prefix", prefix, "--token", token, "--mode", mode,
                "--items", str(items)]


def load_generator(choice: str, threads: int) -> LoadGen:
    """Return wrk (installing Debian's package when missing and we are root), else the fallback."""
    if choice == "python":
        return LoadGen("python", f"bench/loadgen.py on Python {sys.version.split()[0]}",
                       note="Python load generator chosen with --loadgen python")
    reason = ""
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            reason = "wrk is not installed and this is not root (apt-get install -y wrk)"
        else:
            console.log("wrk is missing: apt-get install -y wrk")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for step in (["apt-get", "install", "-y", "-q", "wrk"],
                         ["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
                done = subprocess.run(step, capture_output=True, text=True, env=env)
                if step[1] == "install" and done.returncode == 0:
                    break
            if shutil.which("wrk") is None and done.returncode == 0:
                reason = "apt-get install -y wrk ran, but wrk is not on PATH"
            elif shutil.which("wrk") is None:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
                reason = f"apt-get install -y wrk failed: {tail[0]}"
    if reason:
        if choice == "wrk":
            raise SystemExit(f"--loadgen wrk: {reason}")
        console.log(f"[yellow]{reason}; falling back to the Python load generator[/yellow]")
        return LoadGen("python", f"bench/loadgen.py on Python {sys.version.split()[0]}",
                       note=f"FALLBACK to the Python load generator: {reason}")
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    version = (done.stdout + done.stderr).strip().splitlines()[0].split(" Copyright")[0].strip()
    return LoadGen("wrk", version, threads=threads)


# --- CPU accounting ----------------------------------------------------------------------------


def _processes() -> dict[int, tuple[str, int, int]]:
    """Return pid → (command name, parent pid, CPU ticks used) for every process.

    A process that exited between two calls is missing from the second: the CPU of a
    PostgreSQL backend that lived and died within a cell is not counted.
    """
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                data = stat.read()
        except OSError:
            continue
        name = data[data.index("(") + 1:data.rindex(")")]
        rest = data[data.rindex(")") + 2:].split()
        out[int(entry)] = (name, int(rest[1]), int(rest[11]) + int(rest[12]))
    return out


def _machine_ticks() -> tuple[int, int, int]:
    """Return (busy, iowait, total) CPU ticks of the whole machine since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle, iowait, total = values[3], values[4], sum(values[:8])
    return total - idle - iowait, iowait, total


def _tree(procs: dict[int, tuple[str, int, int]], root: int) -> set[int]:
    found, grew = {root}, True
    while grew:
        more = {pid for pid, (_, parent, _) in procs.items() if parent in found} - found
        grew = bool(more)
        found |= more
    return found & set(procs)


class CpuMeter:
    """Cores used during a cell by the server, the load generator, PostgreSQL, this process."""

    def __init__(self, server_pid: int | None = None, pg_database: str | None = None) -> None:
        self.server_pid = server_pid
        self.pg_database = pg_database  # count its backends and the server's own processes

    def __enter__(self) -> CpuMeter:
        self.cores: dict[str, float] = {}
        self._procs = _processes()
        self._machine = _machine_ticks()
        self._self = resource.getrusage(resource.RUSAGE_SELF)
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        seconds = time.perf_counter() - self._start
        procs = _processes()

        def used(pids: set[int]) -> float:
            ticks = sum(procs[p][2] - (self._procs[p][2] if p in self._procs else 0) for p in pids)
            return ticks / HZ / seconds

        def rusage(now: Any, then: Any) -> float:
            return (now.ru_utime + now.ru_stime - then.ru_utime - then.ru_stime) / seconds

        busy, iowait, total = (a - b for a, b in zip(_machine_ticks(), self._machine, strict=True))
        share = NCPU / total if total else 0.0
        self.cores = {
            "server": used(_tree(procs, self.server_pid)) if self.server_pid else 0.0,
            "loadgen": rusage(resource.getrusage(resource.RUSAGE_CHILDREN), self._children),
            "postgres": used({p for p, (name, _, _) in procs.items()
                              if name == "postgres" and self._ours(p)}),
            "bench": rusage(resource.getrusage(resource.RUSAGE_SELF), self._self),
            "busy": busy * share, "iowait": iowait * share,
        }

    def _ours(self, pid: int) -> bool:
        """A backend of our database, or one of PostgreSQL's own processes (not another
        client's backend: the PostgreSQL server may be shared with other work)."""
        if self.pg_database is None:
            return True
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                line = cmd.read().decode(errors="replace")
        except OSError:
            return False
        return f" {self.pg_database} " in line or not ("(" in line or "[local]" in line)


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One measured cell: an engine × path × number of clients."""

    engine: str
    path: str
    clients: int
    workers: int | None  # uvicorn workers (None: the library, in this process)
    ok: int
    seconds: float
    p50: float  # seconds
    p99: float
    failed: int = 0  # non-2xx responses, socket errors, exceptions
    codes: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # rows added during the cell

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def app_cpu(self) -> float:
        return self.cpu.get("bench" if self.workers is None else "server", 0.0)

    @property
    def cpu_per_op(self) -> float:
        """Seconds of the app's CPU per successful operation: steadier than ops/s on a busy machine."""
        return self.app_cpu * self.seconds / self.ok if self.ok else 0.0

    @property
    def other_cpu(self) -> float:
        """Cores used by processes outside the benchmark (this machine is shared)."""
        cpu = self.cpu
        ours = sum(cpu.get(k, 0.0) for k in ("server", "loadgen", "postgres", "bench"))
        return max(0.0, cpu.get("busy", 0.0) - ours)

    def limit(self) -> str:
        """Name what most likely caps this cell, from the CPU each part used."""
        cpu = self.cpu
        if self.workers is None and cpu.get("bench", 0) >= 0.85:
            return "Python: one core (GIL)"
        if self.workers is not None and cpu.get("server", 0) >= 0.85 * min(self.workers, NCPU):
            return f"server CPU ({self.workers} worker{'s' if self.workers > 1 else ''})"
        if cpu.get("postgres", 0) >= 0.85:
            return "PostgreSQL CPU"
        if cpu.get("loadgen", 0) >= 0.85:
            return "load generator CPU"
        if cpu.get("busy", 0) >= 0.9 * NCPU:
            return "all cores busy"
        return "waits: commits, locks"

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "path": self.path, "clients": self.clients,
                "workers": self.workers, "ok": self.ok, "failed": self.failed,
                "seconds": round(self.seconds, 3), "ops_per_s": round(self.rate, 1),
                "p50_ms": round(self.p50 * 1e3, 3), "p99_ms": round(self.p99 * 1e3, 3),
                "codes": self.codes, "first_error": self.first_error,
                "cpu_cores": {k: round(v, 3) for k, v in self.cpu.items()},
                "app_cpu_ms_per_op": round(self.cpu_per_op * 1e3, 4),
                "rows_written": self.written, "limit": self.limit()}


class Counts:
    """Row counts of the tables a posting writes, read on a connection of our own."""

    TABLES = ("movements", "audit_log", "api_requests")

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_size=1, max_overflow=0)  # one session throughout
        self.postgres = self.engine.dialect.name == "postgresql"

    def now(self) -> dict[str, int]:
        """Row counts; on PostgreSQL also ``pg_sessions``, the connections ever opened to the
        database (``pg_stat_database.sessions``, flushed by the backends within about 1 s)."""
        out = {}
        with self.engine.connect() as conn:
            for table in self.TABLES:
                try:
                    out[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                except Exception:  # a table the schema does not have (yet)
                    conn.rollback()
            if self.postgres:
                out["pg_sessions"] = int(conn.execute(text(
                    "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
                )).scalar_one())
        return out

    def settled(self) -> dict[str, int]:
        """Counts once requests still in flight when the load stopped have finished."""
        last, deadline = self.now(), time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.now()
            if all(now.get(t) == last.get(t) for t in self.TABLES):
                break
            last = now
        if self.postgres:
            time.sleep(1.1)  # let the server's backends flush their session counts
            last["pg_sessions"] = self.now()["pg_sessions"]
        return last

    @staticmethod
    def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
        return {t: after[t] - before[t] for t in after if t in before}

    def close(self) -> None:
        self.engine.dispose()


# --- the library in this process ---------------------------------------------------------------


def library_cell(inv: onhand.Inventory, engine: str, clients: int, seconds: float, items: int,
                 prefix: str) -> Cell:
    """Call ``inv.receive`` from ``clients`` threads for ``seconds``, one durable commit each."""
    clock = time.perf_counter
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: Counter[str] = Counter()
    first: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def work(tid: int) -> None:
        mine, n = latencies[tid], 0
        gate.wait()
        while True:
            start = clock()
            if start >= deadline[0]:
                return
            n += 1
            try:
                inv.receive(sku=f"BENCH-{(n * 31 + tid * 17) % items:04d}", qty=1,
                            location="WH1", key=f"{prefix}-{tid}-{n}")
            except Exception as error:  # counted and shown, like a non-2xx answer
                with lock:
                    errors[type(error).__name__] += 1
                    if not first:
                        first.append(f"{type(error).__name__}: {error}")
                continue
            mine.append(clock() - start)

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = clock() + seconds
    begin = clock()
    gate.wait()
    for thread in threads:
        thread.join()
    elapsed = clock() - begin
    ordered = sorted(x for per in latencies for x in per)
    return Cell(engine, LIBRARY, clients, None, len(ordered), elapsed, _pct(ordered, 0.5),
                _pct(ordered, 0.99), failed=sum(errors.values()), codes=dict(errors),
                first_error=first[0] if first else "")


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# --- the server --------------------------------------------------------------------------------


class Server:
    """``onhand serve`` as a subprocess in its own session; started, awaited ready, stopped."""

    def __init__(self, url: str, workers: int, cpus: str | None, bare: bool = False) -> None:
        self.url, self.workers, self.cpus, self.bare = url, workers, cpus, bare
        self.port = _free_port()
        self.tmp = tempfile.TemporaryDirectory(prefix="onhand_http_")
        self.log_path = Path(self.tmp.name) / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONHAND_")}
        env.update(ONHAND_DATABASE_URL=self.url, ONHAND_SQLITE_SYNCHRONOUS="FULL",
                   ONHAND_RATE_LIMIT_PER_MINUTE="100000000")
        cmd = [sys.executable, "-m", "onhand", "--db", self.url, "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers)]
        if self.bare:  # bench/bare_app.py: FastAPI and uvicorn alone (copied: bench/ holds http.py)
            shutil.copy(BENCH / "bare_app.py", self.tmp.name)
            cmd = [sys.executable, "-P", "-m", "uvicorn", "--app-dir", self.tmp.name, "bare_app:app",
                   "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        if self.cpus:
            cmd = ["taskset", "-c", self.cpus, *cmd]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.tmp.name, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"onhand serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                status, _, _ = request(self.port, "GET", "/v1/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"onhand serve not ready (GET /v1/ready) within 60 s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_lines(self) -> int:
        try:
            return len(self.log_path.read_bytes().splitlines())
        except OSError:
            return 0

    def close(self) -> None:
        self.stop()
        self.tmp.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(port: int, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request on a fresh connection: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def preflight(port: int, token: str, counts: Counts) -> list[str]:
    """Check the few API behaviours the benchmark relies on; return what is not as promised."""
    found: list[str] = []
    receipt = {"kind": "receipt", "sku": "BENCH-0000", "qty": 1, "location": "WH1"}
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    key = f"preflight-{uuid.uuid4().hex[:8]}"

    def expect(what: str, want: int, method: str, path: str, body: Any = None,
               headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, head, data = request(port, method, path, body, headers)
        shown = f"{method} {path} {what}"
        if status != want:
            found.append(f"{shown}: expected {want}, got {status} "
                         f"({head.get('content-type', '?')}) {data[:300].decode(errors='replace')}")
        elif status >= 400 and not head.get("content-type", "").startswith(
                "application/problem+json"):
            found.append(f"{shown}: {status} with content-type {head.get('content-type')!r}, "
                         "not application/problem+json")
        return status, data

    status, data = expect("(no auth)", 200, "GET", "/v1/health")
    if status == 200 and _json(data) != {"status": "ok"}:
        found.append(f"GET /v1/health: body {data[:200]!r}, expected {{\"status\": \"ok\"}}")
    expect("without Authorization", 401, "POST", "/v1/movements", receipt,
           {"Content-Type": "application/json", "Idempotency-Key": key + "-a"})
    expect("with an unknown token", 401, "POST", "/v1/movements", receipt,
           {**auth, "Authorization": "Bearer onh_999999_nope", "Idempotency-Key": key + "-b"})
    before = counts.now().get("movements")
    first, body1 = expect("with a new Idempotency-Key", 201, "POST", "/v1/movements", receipt,
                          {**auth, "Idempotency-Key": key})
    second, body2 = expect("retried with the same key and body", 201, "POST", "/v1/movements",
                           receipt, {**auth, "Idempotency-Key": key})
    if first == second == 201 and _json(body1) != _json(body2):
        found.append(f"POST /v1/movements retried with the same key: body differs from the first "
                     f"response: {body1[:200]!r} then {body2[:200]!r}")
    expect("with the same key and another body", 422, "POST", "/v1/movements",
           {**receipt, "qty": 2}, {**auth, "Idempotency-Key": key})
    after = counts.now().get("movements")
    if before is not None and after is not None and after - before != 1:
        found.append(f"POST /v1/movements: one new key, one retry and one conflicting retry "
                     f"wrote {after - before} movements, expected 1")
    return found


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def http_cell(gen: LoadGen, server: Server, engine: str, path: str, clients: int, seconds: int,
              token: str, items: int, counts: Counts | None, cpus: str | None,
              pg_database: str | None = None) -> Cell:
    """Drive ``path`` with ``clients`` connections for ``seconds``; parse the generator's line."""
    mode = "post" if path == POST else "health"  # BARE: health, on bench/bare_app.py
    prefix = f"{engine[:2]}{server.workers}{mode[0]}{clients}-{uuid.uuid4().hex[:10]}"
    cmd = gen.command(server.port, token, mode, clients, seconds, items, prefix)
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    before = counts.settled() if counts else {}
    with CpuMeter(server.proc.pid if server.proc else None, pg_database) as meter:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    written = Counts.delta(counts.settled(), before) if counts else {}
    fields: dict[str, str] = {}
    first_error = ""
    for line in done.stdout.splitlines():
        if line.startswith("ONHAND_FIRST_ERROR"):
            first_error = line.removeprefix("ONHAND_FIRST_ERROR").strip()
        elif line.startswith("ONHAND "):
            fields = dict(part.split("=", 1) for part in line.split()[1:])
    if done.returncode != 0 or not fields:
        raise SystemExit(f"load generator failed ({done.returncode}): {' '.join(cmd)}\n"
                         f"{done.stdout}\n{done.stderr}\nserver log:\n{server.log()}")
    requests, non2xx = int(fields["requests"]), int(fields["non2xx"])
    socket_errors = sum(int(fields[k]) for k in ("connect", "read", "write", "timeout"))
    codes = dict(c.split(":", 1) for c in fields.get("codes", "").split(",") if c)
    codes = {k: int(v) for k, v in codes.items()}
    for kind in ("connect", "read", "write", "timeout"):
        if int(fields[kind]):
            codes[f"socket {kind}"] = int(fields[kind])
    return Cell(engine, path, clients, server.workers, requests - non2xx,
                int(fields["duration_us"]) / 1e6, int(fields["p50_us"]) / 1e6,
                int(fields["p99_us"]) / 1e6, failed=non2xx + socket_errors, codes=codes,
                first_error=first_error, cpu=meter.cores, written=written)


# --- one engine --------------------------------------------------------------------------------


@dataclass
class EngineRun:
    engine: str
    cells: list[Cell] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    server_log_lines: dict[int, int] = field(default_factory=dict)


def setup(url: str, items: int) -> str:
    """Add location WH1 and ``items`` items; return an admin token's secret."""
    from onhand.services import access

    inv = onhand.open(url, sqlite_synchronous="OFF")  # the catalog is not measured
    try:
        inv.add_location("WH1")
        for i in range(items):
            inv.add_item(sku=f"BENCH-{i:04d}", name=f"Bench item {i}")
        _, token = access.create_token(inv.unit_of_work(), name="bench", role="admin")
    finally:
        inv.close()
    return token


def _cpus(pin: bool) -> tuple[str | None, str | None]:
    """CPU lists for (server, load generator) under --pin: the last core for the generator."""
    if not pin or NCPU < 2:
        return None, None
    return (f"0-{NCPU - 2}" if NCPU > 2 else "0"), str(NCPU - 1)


def run(engine: str, cfg: argparse.Namespace, gen: LoadGen) -> EngineRun:
    out = EngineRun(engine)
    server_cpus, gen_cpus = _cpus(cfg.pin)
    with databases.fresh(engine, cfg.pg_url) as pair:
        console.log(f"{engine}: location WH1, {cfg.items} items, an admin token")
        token = setup(pair.url, cfg.items)
        counts = Counts(pair.url)
        try:
            inv = onhand.open(pair.url, sqlite_synchronous="FULL")
            try:
                for n in range(20):  # warm the catalog cache and the pool
                    inv.receive(sku=f"BENCH-{n % cfg.items:04d}", qty=1, location="WH1")
                for clients in cfg.clients:
                    before = counts.now()
                    with CpuMeter(pg_database=pair.name or None) as meter:
                        cell = library_cell(inv, engine, clients, cfg.seconds, cfg.items,
                                            f"lib{clients}-{uuid.uuid4().hex[:10]}")
                    cell.cpu, cell.written = meter.cores, Counts.delta(counts.now(), before)
                    out.cells.append(cell)
                    _log(cell)
            finally:
                inv.close()
            for workers in cfg.workers:
                server = Server(pair.url, workers, server_cpus)
                try:
                    server.start()
                    console.log(f"{engine}: onhand serve --workers {workers} on port {server.port}")
                    out.findings += [f"{engine}, {workers} worker(s): {f}"
                                     for f in preflight(server.port, token, counts)]
                    http_cell(gen, server, engine, POST, max(cfg.clients), cfg.warmup, token,
                              cfg.items, None, gen_cpus)  # warm-up, not reported
                    for clients in cfg.clients:
                        for path in (HEALTH, POST):
                            cell = http_cell(gen, server, engine, path, clients, cfg.seconds,
                                             token, cfg.items, counts if path == POST else None,
                                             gen_cpus, pair.name or None)
                            out.cells.append(cell)
                            _log(cell)
                    out.server_log_lines[workers] = server.log_lines()
                finally:
                    server.close()
        finally:
            counts.close()
    out.findings += integrity(out)
    return out


def run_bare(cfg: argparse.Namespace, gen: LoadGen) -> EngineRun:
    """GET /v1/health on bench/bare_app.py (FastAPI and uvicorn alone), for comparison."""
    out = EngineRun("none")
    server_cpus, gen_cpus = _cpus(cfg.pin)
    for workers in cfg.workers:
        server = Server("", workers, server_cpus, bare=True)
        try:
            server.start()
            console.log(f"bare FastAPI app, --workers {workers}, on port {server.port}")
            http_cell(gen, server, "none", BARE, max(cfg.clients), cfg.warmup, "-", cfg.items,
                      None, gen_cpus)
            for clients in cfg.clients:
                cell = http_cell(gen, server, "none", BARE, clients, cfg.seconds, "-",
                                 cfg.items, None, gen_cpus)
                out.cells.append(cell)
                _log(cell)
        finally:
            server.close()
    return out


def _log(cell: Cell) -> None:
    workers = "" if cell.workers is None else f" ({cell.workers}w)"
    console.log(f"{cell.engine}: {cell.path}{workers} × {cell.clients}: {cell.rate:,.0f}/s, "
                f"p50 {_ms(cell.p50)}, p99 {_ms(cell.p99)}"
                + (f", [red]{cell.failed} failed[/red] {cell.codes}" if cell.failed else ""))


def integrity(run: EngineRun) -> list[str]:
    """Compare acknowledged postings with the rows that appeared during each posting cell."""
    found = []
    for cell in run.cells:
        if cell.path == HEALTH or "movements" not in cell.written:
            continue
        where = (f"{cell.engine}, {cell.path}, {cell.clients} clients"
                 + (f", {cell.workers} worker(s)" if cell.workers else ""))
        stored = cell.written["movements"]
        slack = 0 if cell.workers is None else cell.clients  # answers lost when wrk stops
        if stored < cell.ok:
            found.append(f"{where}: {cell.ok} postings acknowledged but only {stored} movements "
                         "stored: acknowledged writes are missing")
        elif stored > cell.ok + cell.failed + slack:
            found.append(f"{where}: {stored} movements stored for {cell.ok} acknowledged postings")
        if cell.workers is not None:
            audited = cell.written.get("audit_log")
            if audited is not None and audited < stored:
                found.append(f"{where}: {audited} audit entries for {stored} movements written")
            keyed = cell.written.get("api_requests")
            if keyed is not None and keyed < cell.ok:
                found.append(f"{where}: {keyed} idempotency records for {cell.ok} keyed postings")
        opened = cell.written.get("pg_sessions", 0)
        if opened > 2 * max(cell.clients, 10):
            found.append(f"{where}: {opened:,} connections to PostgreSQL opened during the cell "
                         f"({opened / max(cell.ok, 1):.2f} per posting): the connection pool "
                         "churns (more concurrent requests than pool_size, overflow closed on "
                         "check-in)")
        if cell.failed:
            found.append(f"{where}: {cell.failed} failed ({cell.codes}); first: "
                         f"{cell.first_error[:300]}")
    return found


# --- report ------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def _find(cells: list[Cell], cell: Cell, path: str) -> Cell | None:
    """The cell of ``path`` at the same engine, clients (and workers, for HTTP paths)."""
    for other in cells:
        if (other.engine, other.path, other.clients) == (cell.engine, path, cell.clients) and (
                path == LIBRARY or other.workers == cell.workers):
            return other
    return None


def targets(runs: list[EngineRun]) -> list[Target]:
    """Issue 4's target: ≥3,200 durable postings/s on SQLite at 32 clients, p99 < 50 ms."""
    out = []
    for r in runs:
        posts = [c for c in r.cells if c.path == POST and c.clients == TARGET_CLIENTS]
        if not posts:
            continue
        best = max(posts, key=lambda c: c.rate)
        measured = (f"{best.rate:,.0f}/s, p99 {_ms(best.p99)} ({best.workers} worker(s), "
                    f"{best.rate / PEER['ops_per_s']:,.0f}× InvenTree)")
        met = best.rate >= TARGET_RATE and best.p99 < TARGET_P99 and not best.failed
        out.append(Target(r.engine, f"HTTP postings at {TARGET_CLIENTS} clients",
                          f"≥{TARGET_RATE:,.0f}/s, p99 < {TARGET_P99 * 1e3:.0f} ms"
                          + (" (the target)" if r.engine == "sqlite" else " (SQLite's, for reference)"),
                          measured, met))
    return out


def budget(runs: list[EngineRun]) -> list[str]:
    """What the app's CPU per posting allows on this machine, against the target."""
    lines = []
    for r in runs:
        posts = [c for c in r.cells if c.path == POST and c.ok]
        if not posts:
            continue
        top = max(c.clients for c in posts)
        cost = min(c.cpu_per_op for c in posts if c.clients == top)
        if cost <= 0:
            continue
        lines.append(
            f"what limits it, {r.engine}: the server spends {_ms(cost)} of CPU per posting "
            f"(HTTP POST, {top} clients, best of the workers tried): at most ~{1 / cost:,.0f}/s "
            f"per core, ~{NCPU / cost:,.0f}/s if the server had all {NCPU} cores to itself "
            f"(nothing else running); {TARGET_RATE:,.0f}/s needs at most "
            f"{_ms(NCPU / TARGET_RATE)} per posting on {NCPU} cores, {_ms(1 / TARGET_RATE)} on one.")
    return lines


def render(runs: list[EngineRun], judged: list[Target], gen: LoadGen,
           cfg: argparse.Namespace) -> None:
    table = Table(title="onhand durable single postings through HTTP vs the library "
                        "(same run, same database)")
    for name in ("engine", "path", "w", "clients", "ops/s", "p50", "p99", "failed",
                 "× InvenTree", "vs library", "vs ceiling", "app CPU/op", "CPU app", "CPU gen", "CPU pg",
                 "CPU other", "limit"):
        table.add_column(name, justify="left" if name in ("engine", "path", "limit") else "right")
    for r in runs:
        cells = sorted(r.cells, key=lambda c: (c.workers or 0, c.path != LIBRARY, c.clients,
                                               c.path))
        for c in cells:
            lib = _find(r.cells, c, LIBRARY) if c.path == POST else None
            ceiling = _find(r.cells, c, HEALTH) if c.path == POST else None
            postings = c.path in (POST, LIBRARY)
            table.add_row(
                c.engine, SHORT[c.path], "" if c.workers is None else str(c.workers),
                str(c.clients),
                f"{c.rate:,.0f}", _ms(c.p50), _ms(c.p99),
                f"[red]{c.failed}[/red]" if c.failed else "0",
                f"{c.rate / PEER['ops_per_s']:,.0f}×" if postings else "",
                f"{c.rate / lib.rate:.0%}" if lib and lib.rate else "",
                f"{c.rate / ceiling.rate:.0%}" if ceiling and ceiling.rate else "",
                _ms(c.cpu_per_op), f"{c.app_cpu:.2f}", f"{c.cpu.get('loadgen', 0):.2f}" if c.workers else "",
                f"{c.cpu.get('postgres', 0):.2f}" if c.engine == "postgresql" else "",
                f"{c.other_cpu:.2f}", c.limit())
        table.add_section()
    out = Console(width=max(Console().width, 200))
    out.print(table)
    out.print(f"peer: {PEER['name']}: {PEER['ops_per_s']:.0f} ops/s, p50 {PEER['p50_ms']:.0f} ms, "
              f"p99 {PEER['p99_ms']:.0f} ms (shared/ANCHORS.md). Target: ≥{TARGET_RATE:,.0f} "
              f"durable postings/s through HTTP at {TARGET_CLIENTS} clients on SQLite "
              f"(100× the peer), p99 < {TARGET_P99 * 1e3:.0f} ms.")
    out.print(f"HTTP POST: POST /v1/movements, a one-unit receipt of one of {cfg.items} items, "
              "with a bearer token (admin) and an Idempotency-Key unique to the request, "
              "audited, durable (SQLite synchronous=FULL). HTTP health: GET /v1/health with "
              "the same headers, no database: the framework's ceiling. library: "
              "Inventory.receive(key=...) from N threads in the bench process (no HTTP, no "
              f"token, no audit). bare FastAPI (--bare): GET /v1/health on bench/bare_app.py, an "
              f"async handler and no middleware under uvicorn's defaults. {cfg.seconds} s per cell.")
    out.print("w = uvicorn workers. app CPU/op: CPU time the app spent per successful operation "
              "(server processes, or the bench process for the library). CPU columns: cores "
              "used during the cell by the app, the load generator, PostgreSQL's "
              f"processes, and every other process on this shared {NCPU}-core machine. "
              "vs library / vs ceiling: HTTP postings/s as a share of the library's and of "
              "GET /v1/health's at the same clients.")
    pin = (f"pinned: server on CPU {_cpus(True)[0]}, load generator on CPU {_cpus(True)[1]}"
           if cfg.pin and NCPU >= 2 else "not pinned: server, load generator and PostgreSQL "
           "share all cores")
    out.print(f"load generator: {gen.version}" + (f", {gen.threads} thread(s)" if gen.name == "wrk"
                                                  else "") + f"; {pin}.")
    if gen.note:
        out.print(f"[bold yellow]{gen.note}[/bold yellow]")
    noisy = max((c.other_cpu for r in runs for c in r.cells), default=0.0)
    if noisy >= 0.25:
        out.print(f"[yellow]other processes used up to {noisy:.1f} of {NCPU} cores during a "
                  "cell (CPU other): those cells ran slower than on an idle machine.[/yellow]")
    goals = Table(title="target (issue 4)")
    for name in ("engine", "target", "goal", "measured", "met"):
        goals.add_column(name)
    for t in judged:
        goals.add_row(t.engine, t.name, t.goal, t.measured,
                      "[green]yes[/green]" if t.met else "[red]no[/red]")
    if judged:
        out.print(goals)
    else:
        out.print(f"target (issue 4): not judged, no HTTP POST cell at {TARGET_CLIENTS} clients")
    for line in budget(runs):
        out.print(line)
    findings = [f for r in runs for f in r.findings]
    for r in runs:
        for workers, lines in r.server_log_lines.items():
            if lines > 1000:
                findings.append(f"{r.engine}, {workers} worker(s): the server logged {lines:,} "
                                "lines (an access log line per request costs CPU)")
    if findings:
        out.print("[bold]found while measuring[/bold]")
        for line in findings:
            out.print(f"  - {line}", highlight=False, markup=False)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="3 s per cell instead of 15")
    parser.add_argument("--seconds", type=int, help="seconds per cell (15; --quick 3)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients (1,8,32)")
    parser.add_argument("--workers", default="1",
                        help="uvicorn workers; a list such as 1,2 runs the HTTP cells for each")
    parser.add_argument("--items", type=int, default=100, help="items the postings spread over")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto",
                        help="auto: wrk, installed if missing, else the Python fallback")
    parser.add_argument("--wrk-threads", type=int, default=1,
                        help="wrk threads (1: one core at most for the generator)")
    parser.add_argument("--bare", action="store_true",
                        help="also measure GET /v1/health on a bare FastAPI app (bench/bare_app.py)")
    parser.add_argument("--pin", action="store_true",
                        help="taskset: the load generator on the last core, the server on the rest")
    parser.add_argument("--pg-url", default=databases.DEFAULT_ADMIN_URL,
                        help="admin URL; a database onhand_bench_<random> is created and dropped")
    parser.add_argument("--json", help="also write the figures to this file")
    cfg = parser.parse_args(argv)
    cfg.seconds = cfg.seconds or (3 if cfg.quick else 15)
    cfg.warmup = 1 if cfg.quick else 2
    try:
        cfg.clients = [int(n) for n in cfg.clients.split(",")]
        cfg.workers = [int(n) for n in cfg.workers.split(",")]
    except ValueError:
        parser.error("--clients and --workers take whole numbers separated by commas")
    if min(cfg.clients) < 1 or min(cfg.workers) < 1 or cfg.seconds < 1 or cfg.items < 1:
        parser.error("clients, workers, seconds and items must be positive")
    if cfg.items > 10_000:
        parser.error("--items: at most 10,000 (SKUs BENCH-0000 to BENCH-9999)")
    return cfg


def main(argv: list[str]) -> None:
    cfg = parse(argv)
    engines = ["sqlite", "postgresql"] if cfg.engine == "both" else [cfg.engine]
    gen = load_generator(cfg.loadgen, cfg.wrk_threads)
    console.log(f"load generator: {gen.version}" + (f" ({gen.note})" if gen.note else ""))
    runs = [run(engine, cfg, gen) for engine in engines]
    if cfg.bare:
        runs.append(run_bare(cfg, gen))
    judged = targets(runs)
    render(runs, judged, gen, cfg)
    if cfg.json:
        info = machine(engines, cfg)
        info.update(_versions())
        report = {"config": {k: v for k, v in vars(cfg).items() if k != "json"},
                  "machine": info,
                  "load_generator": {"name": gen.name, "version": gen.version,
                                     "threads": gen.threads, "note": gen.note, "pinned": cfg.pin},
                  "peer": PEER,
                  "cells": [c.to_dict() for r in runs for c in r.cells],
                  "targets": [t.to_dict() for t in judged],
                  "limits": budget(runs),
                  "findings": [f for r in runs for f in r.findings]}
        with open(cfg.json, "w") as out:
            json.dump(report, out, indent=2)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
