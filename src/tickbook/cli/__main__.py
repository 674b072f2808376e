"""``python -m tickbook.cli``."""

from tickbook.cli import main

main()
