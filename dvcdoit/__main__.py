"""``python -m dvcdoit`` runs the command line."""

from dvcdoit.cli import main

main()
