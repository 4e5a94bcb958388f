"""Running the `onhand` command line in tests: the runner fixture's type and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

Cli = Callable[..., Result]
SAMPLE = Path(__file__).parents[2] / "samples" / "shopify-inventory.csv"


def one_error_line(result: Result) -> str:
    """Return the single line a failed command printed on stderr, checking there is one."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def write(tmp_path: Path, name: str, content: str) -> str:
    """Write a file under ``tmp_path`` and return its path as the command line takes it."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)
