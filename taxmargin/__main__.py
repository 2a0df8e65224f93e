"""``python -m taxmargin`` runs the command line (same as the ``taxmargin`` script)."""

from taxmargin.cli import entry

entry()
