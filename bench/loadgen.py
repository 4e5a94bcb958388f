"""A small HTTP/1.1 keep-alive load generator: bench/http.py's fallback when wrk is missing.

It sends what bench/http.lua sends (the same headers, keys and bodies) from ``--clients``
connections for ``--seconds`` on one asyncio loop (uvloop when installed), and prints the same
``ONHAND ...`` lines. One Python process tops out near 10,000–20,000 requests/s on one core,
so against a fast endpoint it can be the bottleneck; bench/http.py reports its CPU use.

    python -P bench/loadgen.py --port 8000 --clients 32 --seconds 10 --prefix k --token T --mode post
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter


async def _client(cfg: argparse.Namespace, tid: int, deadline: float, latencies: list[float],
                  codes: Counter[int], errors: Counter[str], first: list[str]) -> None:
    clock = time.perf_counter
    auth = f"Authorization: Bearer {cfg.token}\r\n"
    host = f"Host: {cfg.host}:{cfg.port}\r\n"
    counter = 0
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while clock() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(cfg.host, cfg.port)
            except OSError:
                errors["connect"] += 1
                await asyncio.sleep(0.01)
                continue
        assert reader is not None
        counter += 1
        key = f"Idempotency-Key: {cfg.prefix}-{tid}-{counter}\r\n"
        if cfg.mode == "health":
            head = f"GET /v1/health HTTP/1.1\r\n{host}{auth}{key}Content-Type: application/json\r\n\r\n"
            data = head.encode()
        else:
            sku = f"BENCH-{(counter * 31 + tid * 17) % cfg.items:04d}"
            body = f'{{"kind": "receipt", "sku": "{sku}", "qty": 1, "location": "WH1"}}'.encode()
            head = (f"POST /v1/movements HTTP/1.1\r\n{host}{auth}{key}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
            data = head.encode() + body
        start = clock()
        try:
            writer.write(data)
            status, payload, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors["read"] += 1
            writer.close()
            reader = writer = None
            continue
        latencies.append(clock() - start)
        if not 200 <= status <= 299:
            codes[status] += 1
            if not first:
                first.append(f"{status} {payload.decode(errors='replace')}")
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, body, fields.get("connection", "").lower() == "close"


async def _run(cfg: argparse.Namespace) -> None:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    first: list[str] = []
    begin = time.perf_counter()
    deadline = begin + cfg.seconds
    await asyncio.gather(*(_client(cfg, tid, deadline, latencies, codes, errors, first)
                           for tid in range(1, cfg.clients + 1)))
    seconds = time.perf_counter() - begin
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6 if ordered else 0.0

    print(f"ONHAND requests={len(ordered)} duration_us={seconds * 1e6:.0f} "
          f"non2xx={sum(codes.values())} p50_us={pct(0.5):.0f} p99_us={pct(0.99):.0f} "
          f"max_us={(ordered[-1] * 1e6 if ordered else 0):.0f} connect={errors['connect']} "
          f"read={errors['read']} write=0 timeout=0 "
          f"codes={','.join(f'{code}:{n}' for code, n in codes.items())}")
    print("ONHAND_FIRST_ERROR " + (first[0].replace("\r", " ").replace("\n", " ") if first else ""))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--prefix", required=True, help="makes the Idempotency-Keys unique")
    parser.add_argument("--token", required=True)
    parser.add_argument("--mode", choices=("post", "health"), default="post")
    parser.add_argument("--items", type=int, default=100)
    cfg = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_run(cfg))
    else:
        uvloop.run(_run(cfg))


if __name__ == "__main__":
    main(sys.argv[1:])
