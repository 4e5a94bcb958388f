"""Timing samples: throughput and latency percentiles of a run of operations."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Sample:
    """``ops`` operations (rows, postings or reads) done in ``seconds``, with per-call latencies."""

    ops: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds per call
    cpu: float = 0.0  # this process's CPU seconds over the run (all threads)

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.ops / self.seconds if self.seconds else float("inf")

    def percentile(self, q: float) -> float:
        """Return the ``q`` quantile (0–1) of the per-call latencies, in seconds."""
        if not self.latencies:
            return self.seconds
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def cpu_per_op(self) -> float:
        """This process's CPU seconds per operation: steadier than ops/s on a shared machine."""
        return self.cpu / self.ops if self.ops else 0.0

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    def to_dict(self) -> dict[str, Any]:
        return {"ops": self.ops, "seconds": round(self.seconds, 4),
                "ops_per_s": round(self.rate, 1), "p50_ms": round(self.p50 * 1e3, 4),
                "p99_ms": round(self.p99 * 1e3, 4),
                "cpu_ms_per_op": round(self.cpu_per_op * 1e3, 4)}


def each(call: Callable[[T], Any], args: Iterable[T]) -> tuple[Sample, list[Any]]:
    """Call ``call`` once per argument; return the timing and the results."""
    clock = time.perf_counter
    latencies, results = [], []
    cpu, begin = time.process_time(), clock()
    for arg in args:
        start = clock()
        results.append(call(arg))
        latencies.append(clock() - start)
    return Sample(len(latencies), clock() - begin, latencies, time.process_time() - cpu), results


def once(call: Callable[[], Any], ops: int) -> Sample:
    """Time one call that does ``ops`` operations (a batch)."""
    cpu, start = time.process_time(), time.perf_counter()
    call()
    return Sample(ops, time.perf_counter() - start, cpu=time.process_time() - cpu)
