"""``python -m affectation``: the command line."""

from affectation.cli import main

main()
