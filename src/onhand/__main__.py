"""``python -m onhand``: the same as the ``onhand`` command."""

from onhand.cli import main

main()
