"""Layering (design.md §1, docs/ARCHITECTURE.md): the engine, the policies and the rules
never import pandas, reportlab, openpyxl or sqlite3. Checked in a fresh interpreter, so
nothing another test imported can hide a violation."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import taxmargin.engine
import taxmargin.rules

FORBIDDEN = ("pandas", "reportlab", "openpyxl", "sqlite3")
ROOT = Path(__file__).resolve().parent.parent


def _modules(package: object) -> list[str]:
    name = getattr(package, "__name__")
    paths = list(getattr(package, "__path__"))
    return [name] + [f"{name}.{info.name}" for info in pkgutil.iter_modules(paths)]


PURE = ["taxmargin.policies", "taxmargin.pricing", "taxmargin.transfers", "taxmargin.booking"] + _modules(
    taxmargin.engine
) + _modules(taxmargin.rules)

_PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(",".join(bad))
"""


def test_the_list_of_pure_modules_is_not_empty() -> None:
    # a guard against the check silently covering nothing
    assert "taxmargin.engine.run" in PURE and "taxmargin.rules.us" in PURE


def _forbidden_after_importing(*modules: str) -> str:
    probe = _PROBE.format(forbidden=set(FORBIDDEN))
    done = subprocess.run(
        [sys.executable, "-c", probe, *modules], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pure_stages_import_no_io_or_rendering_library() -> None:
    if _forbidden_after_importing(*PURE) == "":
        return
    # one interpreter per module only when something is wrong: name the culprits
    culprits = {m: found for m in PURE if (found := _forbidden_after_importing(m))}
    pytest.fail(f"pure modules pulling in {FORBIDDEN}: {culprits}")


def test_the_probe_does_see_a_forbidden_import() -> None:
    # the check itself can fail: a module that does import sqlite3 is caught
    assert "sqlite3" in _forbidden_after_importing("taxmargin.ledger")
