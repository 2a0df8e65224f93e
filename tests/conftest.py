"""Shared test set-up: the FloatOperation trap (design.md §3), the samples folder and a
new ledger (the ``ledger`` fixture)."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from pathlib import Path

import pytest

import taxmargin.money  # noqa: F401  (sets the program's decimal context)
from taxmargin.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
FIXTURES = ROOT / "fixtures"


@pytest.fixture(autouse=True)
def _float_trap() -> Iterator[None]:
    """A float mixed into Decimal money raises in every test."""
    ctx = decimal.getcontext()
    old = ctx.traps[decimal.FloatOperation]
    ctx.traps[decimal.FloatOperation] = True
    yield
    ctx.traps[decimal.FloatOperation] = old


@pytest.fixture
def samples() -> Path:
    """``../shared/samples`` or skip (tests may read it, never copy it)."""
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present beside the project")
    return SAMPLES


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A new, empty ledger file in the test's own folder."""
    with Ledger.open(tmp_path / "taxmargin.db") as opened:
        yield opened
