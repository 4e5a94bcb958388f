"""The server's sweeper: every few seconds, expire holds, cancel overdue backorders and value
the movements posted since.

Reads never count an expired hold, sweeper or not; the sweep records it (status, event)
and lets waiting backorders take the units. It runs in a background thread of each worker
(sweeps are transactions under the items' locks, so workers sweeping at once is safe). A
failed sweep is logged and tried again at the next tick; it never stops the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("onhand.sweeper")
STOP_SECONDS = 30.0  # how long shutdown waits for a sweep in progress


class Sweeper:
    """Call ``sweep`` every ``seconds`` in a daemon thread between :meth:`start` and
    :meth:`stop`; ``seconds`` 0 never starts it."""

    def __init__(self, sweep: Callable[[], object], seconds: float) -> None:
        self.sweep = sweep
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sweeping (once; nothing when turned off)."""
        if self.seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="onhand-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop, waiting for a sweep in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self.tick()

    def tick(self) -> None:
        """Sweep once; log a failure instead of raising it."""
        try:
            self.sweep()
        except Exception:  # any failure: the database gone, a bug — log it, sweep again later
            log.exception("the sweep failed; trying again in %s s", self.seconds)
