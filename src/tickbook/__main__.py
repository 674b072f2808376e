"""``python -m tickbook``: the ``tickbook`` command."""

from tickbook.cli import main

main()
