"""Explicit registry of output formats for ``report --format``.

Each renderer module exposes ``write(forms: TaxForms, out_dir: Path) -> list[Path]`` and
writes atomically (``reports.atomic``). Modules are imported lazily so that, for example,
``--format json`` never loads reportlab.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

from taxmargin.reports.forms import TaxForms

__all__ = ["RENDERERS", "FORMATS", "render"]

#: format name -> module path (under taxmargin.reports) exposing ``write``
RENDERERS: dict[str, str] = {
    "json": "taxmargin.reports.jsonout",
    "csv": "taxmargin.reports.csvout",
    "pdf": "taxmargin.reports.pdf",
    "xlsx": "taxmargin.reports.xlsx",
    "txf": "taxmargin.reports.txf",
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)

Writer = Callable[[TaxForms, Path], list[Path]]


def _writer(fmt: str) -> Writer:
    module = importlib.import_module(RENDERERS[fmt])
    writer: Writer = module.write
    return writer


def render(forms: TaxForms, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Write each requested format into ``out_dir``; returns the files written."""
    written: list[Path] = []
    for fmt in formats:
        written.extend(_writer(fmt)(forms, out_dir))
    return written
