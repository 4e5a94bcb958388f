"""SQLite writers take turns on onhand's writer lock, which gives up after the busy timeout."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import onhand
from onhand.db.engine import WriterLock


def test_a_writer_waiting_longer_than_the_busy_timeout_gets_a_storage_error(
        tmp_path: Path) -> None:
    held = WriterLock(str(tmp_path / "shop.db"), timeout_ms=50)
    waiting = WriterLock(str(tmp_path / "shop.db"), timeout_ms=50)  # as another process would
    held.acquire()
    try:
        with pytest.raises(onhand.StorageError, match="busy timeout"):
            waiting.acquire()
    finally:
        held.release()
    waiting.acquire()  # free again: the next writer gets in
    waiting.release()


def test_a_thread_waits_for_the_writer_before_it_and_then_gets_in(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "shop.db"), timeout_ms=5_000)
    order: list[str] = []
    lock.acquire()
    second = threading.Thread(target=lambda: (lock.acquire(), order.append("second"),
                                              lock.release()))
    second.start()
    order.append("first")
    lock.release()
    second.join(timeout=5)

    assert order == ["first", "second"]
