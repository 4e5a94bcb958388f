"""Durability: a write is acknowledged only after its commit; a failed commit is reported once."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

import onhand
from tests.factories import mug


def test_a_failed_commit_raises_storage_error_is_not_retried_and_writes_nothing(
    inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    mug(inv)
    commits: list[str] = []

    def fail_like_a_full_disk(dbapi_connection: Any) -> None:
        commits.append("commit")
        if inv.engine.dialect.name == "sqlite":
            raise sqlite3.OperationalError("disk I/O error")
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(inv.engine.dialect, "do_commit", fail_like_a_full_disk)
        with pytest.raises(onhand.StorageError) as caught:
            inv.receive(sku="MUG-BLUE", qty=5, location="WH1", key="pallet-1")

    assert "not acknowledged" in str(caught.value)
    assert caught.value.reason in ("disk I/O error",
                                   "could not extend file: No space left on device")
    assert commits == ["commit"]  # tried once, never again behind the caller's back
    assert inv.stock(sku="MUG-BLUE").on_hand == 0
    assert inv.history(sku="MUG-BLUE") == []
    # the key was not taken by the failed attempt: the retry posts
    assert inv.receive(sku="MUG-BLUE", qty=5, location="WH1", key="pallet-1").qty == 5


def test_sqlite_databases_run_in_wal_mode_with_full_synchronous_commits(
    tmp_path: Any,
) -> None:
    with onhand.open(f"sqlite:///{tmp_path / 'durable.db'}") as inv, inv.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_a_database_busy_past_the_timeout_is_a_storage_error_and_writes_nothing(
    tmp_path: Any,
) -> None:
    path = tmp_path / "busy.db"
    with onhand.open(f"sqlite:///{path}", busy_timeout_ms=100) as inv:
        inv.add_location("WH1")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(onhand.StorageError) as caught:
            inv.add_location("WH2")
        other.execute("ROLLBACK")
        other.close()
        assert "database is locked" in str(caught.value)
        assert [place.path for place in inv.locations() if place.kind == "internal"] == ["WH1"]
