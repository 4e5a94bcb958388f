"""The server's sweeper: it sweeps on its tick, survives a failing sweep, stops cleanly, and
``ONHAND_SWEEP_SECONDS=0`` turns it off."""

from __future__ import annotations

import logging
import threading

import pytest
from fastapi.testclient import TestClient

from onhand import InvalidInput, Settings
from onhand.api.sweeper import Sweeper
from tests.api.conftest import make_app


def test_a_failing_sweep_is_logged_and_the_next_tick_sweeps_again(
        caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    second = threading.Event()

    def sweep() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        second.set()

    sweeper = Sweeper(sweep, 0.01)
    with caplog.at_level(logging.ERROR, logger="onhand.sweeper"):
        sweeper.start()
        assert second.wait(5)
        sweeper.stop()

    assert "the sweep failed" in caplog.text and "the database went away" in caplog.text
    count = len(calls)
    assert not any(t.name == "onhand-sweeper" and t.is_alive() for t in threading.enumerate())
    second.clear()
    assert not second.wait(0.1) and len(calls) == count  # stopped: no more sweeps


def test_zero_seconds_turns_the_sweeper_off(database_url: str) -> None:
    assert Settings.load({"ONHAND_SWEEP_SECONDS": "0"}).sweep_seconds == 0
    assert Settings.load({}).sweep_seconds == 5
    with pytest.raises(InvalidInput) as caught:
        Settings.load({"ONHAND_SWEEP_SECONDS": "-1"})
    assert caught.value.field == "sweep_seconds"
    app = make_app(database_url, sweep_seconds=0)
    with TestClient(app):
        assert not any(t.name == "onhand-sweeper" for t in threading.enumerate())


def test_the_app_starts_its_sweeper_and_stops_it_on_shutdown(database_url: str) -> None:
    app = make_app(database_url, sweep_seconds=1)
    with TestClient(app):
        assert any(t.name == "onhand-sweeper" and t.is_alive() for t in threading.enumerate())
    assert not any(t.name == "onhand-sweeper" and t.is_alive() for t in threading.enumerate())
