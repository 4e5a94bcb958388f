"""Fixtures for the end-to-end tests: the command line bound to the test's database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from onhand.cli import app
from tests.e2e.runner import Cli


@pytest.fixture
def cli(database_url: str) -> Cli:
    """Run `onhand --db <the test database> ARGS…` and return the result."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, ["--db", database_url, *args], input=input)

    return run
