"""A token bucket per caller: at most ``per_minute`` requests a minute, bursts up to that many.

Pure and exact: time is integer nanoseconds passed in by the caller, one request costs
one minute's worth of nanoseconds, and the bucket refills by ``per_minute`` a nanosecond.
"""

from __future__ import annotations

MINUTE_NS = 60 * 10**9
_MAX_CALLERS = 100_000  # beyond this, forget the buckets (all full again): bounded memory


class RateLimiter:
    """Counts each caller's requests; :meth:`take` tells how long to wait when over the rate."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.capacity = per_minute * MINUTE_NS
        self._buckets: dict[str, tuple[int, int]] = {}  # caller -> (level, at ns)

    def wait(self, caller: str, now_ns: int) -> int:
        """Return 0 when ``caller`` may go on now, or the seconds to wait; spend nothing."""
        level, at = self._buckets.get(caller, (self.capacity, now_ns))
        level = min(self.capacity, level + max(0, now_ns - at) * self.per_minute)
        return 0 if level >= MINUTE_NS else -(-(MINUTE_NS - level) // (self.per_minute * 10**9))

    def take(self, caller: str, now_ns: int) -> int:
        """Spend one request of ``caller``'s; return 0, or the seconds to wait before retrying."""
        level, at = self._buckets.get(caller, (self.capacity, now_ns))
        level = min(self.capacity, level + max(0, now_ns - at) * self.per_minute)
        if level < MINUTE_NS:
            self._buckets[caller] = (level, now_ns)
            missing = MINUTE_NS - level
            return -(-missing // (self.per_minute * 10**9))  # ceiling, in whole seconds
        if len(self._buckets) >= _MAX_CALLERS and caller not in self._buckets:
            self._buckets = {}
        self._buckets[caller] = (level - MINUTE_NS, now_ns)
        return 0
