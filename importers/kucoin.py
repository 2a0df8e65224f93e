"""Importer module 'kucoin' (layouts are filled in by its issue)."""

from __future__ import annotations

from taxmargin.importers.base import Layout

LAYOUTS: tuple[Layout, ...] = ()
