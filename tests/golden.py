"""Golden files of normalized events: one JSON object per line, beside each fixture.

``assert_golden(fixture, events)`` compares the events an importer produced from
``fixture`` with ``<fixture>.events.jsonl``. Set ``UPDATE_GOLDEN=1`` to (re)write the file;
a new golden file must be read and checked by hand before it is committed.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from taxmargin.models import EventBase


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def event_record(event: EventBase) -> dict[str, Any]:
    record: dict[str, Any] = {"type": event.type_name}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if value in (None, "", ()) or (f.name == "seq" and value == 0):
            continue
        record[f.name] = _plain(value)
    return record


def golden_text(events: Sequence[EventBase]) -> str:
    return "".join(json.dumps(event_record(e), sort_keys=True) + "\n" for e in events)


def assert_golden(fixture: Path, events: Sequence[EventBase]) -> None:
    golden = fixture.with_name(fixture.name + ".events.jsonl")
    text = golden_text(events)
    if os.environ.get("UPDATE_GOLDEN") == "1" or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {golden.name} was missing and has been written; check it by hand")
        return
    expected = golden.read_text(encoding="utf-8")
    assert text == expected, f"events differ from {golden.name} (UPDATE_GOLDEN=1 rewrites it)"
