"""Settings: arguments first, then ONHAND_* variables, then defaults; bad values named."""

from __future__ import annotations

import pytest

from onhand import InvalidInput, Settings


def test_an_argument_wins_over_the_environment_which_wins_over_the_default() -> None:
    env = {"ONHAND_DATABASE_URL": "sqlite:///env.db", "ONHAND_BUSY_TIMEOUT_MS": "500"}
    assert Settings.load(env, database_url="sqlite:///arg.db").database_url == "sqlite:///arg.db"
    assert Settings.load(env).database_url == "sqlite:///env.db"
    assert Settings.load(env).busy_timeout_ms == 500
    assert Settings.load({}).database_url == "sqlite:///onhand.db"
    assert Settings.load({}).sqlite_synchronous == "FULL"


def test_a_setting_that_is_not_a_number_is_rejected_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.load({"ONHAND_BUSY_TIMEOUT_MS": "soon"})
    assert caught.value.field == "busy_timeout_ms"
    assert "ONHAND_BUSY_TIMEOUT_MS" in str(caught.value)


def test_an_unknown_setting_or_synchronous_mode_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.load({}, synchronous="OFF")
    assert caught.value.field == "synchronous"
    with pytest.raises(InvalidInput) as caught:
        Settings.load({}, sqlite_synchronous="SOMETIMES")
    assert caught.value.field == "sqlite_synchronous"
