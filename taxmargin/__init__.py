"""taxmargin: US tax forms for crypto margin traders.

Pipeline (docs/ARCHITECTURE.md): importers -> ledger -> transfers -> pricing -> engine
-> rules.us -> reports.build -> renderers. ``importers/`` installs as
``taxmargin.importers`` and ``reports/`` as ``taxmargin.reports`` (pyproject package-dir).
"""

__version__ = "0.1.0"
