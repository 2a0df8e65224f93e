"""A small scenario format for engine tests: a ``|`` table of events (design.md §8.10).

::

    time       | account | type  | sent      | received | fee    | usd   | fee_usd | extra
    2025-03-01 | x       | trade | 10 ETH    | 22000 USD| 22 USD |       |         | id=S
    2025-05-12 | x       | repay | 10 ETH    |          |        |       |         |

- The first non-blank line is the header; columns may be any subset of ``time``,
  ``account``, ``type``, ``sent``, ``received``, ``fee``, ``usd``, ``fee_usd``, ``extra``,
  in any order. Lines starting with ``#`` are comments.
- ``time``: ISO date or date-time, UTC (``2025-03-01``, ``2025-03-01T10:00:05``).
- amounts: ``QUANTITY ASSET``; ``usd``/``fee_usd``: plain decimals (``usd_value``/``fee_usd``).
- ``extra``: space-separated ``key=value``: ``id``, ``lots`` (``A;B``), ``to`` (transfer
  target), ``basis`` and ``acquired`` (deposit / realized_pnl), ``seq``, ``note``.
- every event's source is ``SourceRef(path, physical line of the row)`` (1-based, the
  header counting as a line), so tests can name rows as ``FILE:LINE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from taxmargin.booking import Booking, Disposal
from taxmargin.engine import EngineOptions, book
from taxmargin.models import EVENT_TYPES, Amount, EventBase, SourceRef
from taxmargin.policies import MethodPlan

__all__ = ["SCENARIOS", "D", "Scenario", "load", "parse", "run", "when"]

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
COLUMNS = ("time", "account", "type", "sent", "received", "fee", "usd", "fee_usd", "extra")


def D(text: str) -> Decimal:
    """An exact Decimal from text (never a float)."""
    return Decimal(text)


def when(text: str) -> datetime:
    """An aware UTC datetime from an ISO date or date-time."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _amount(text: str) -> Amount | None:
    if not text:
        return None
    quantity, asset = text.split()
    return Amount(Decimal(quantity), asset)


def _extra(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in text.split():
        key, _, value = item.partition("=")
        if key == "id":
            fields["event_id"] = value
        elif key == "lots":
            fields["lots"] = tuple(value.split(";"))
        elif key == "to":
            fields["to_account"] = value
        elif key == "basis":
            fields["basis_usd"] = Decimal(value)
        elif key == "acquired":
            fields["acquired"] = when(value)
        elif key == "seq":
            fields["seq"] = int(value)
        elif key == "note":
            fields["note"] = value
        else:
            raise ValueError(f"unknown extra key {key!r}")
    return fields


def _event(cells: dict[str, str], source: SourceRef) -> EventBase:
    kind = EVENT_TYPES[cells["type"]]
    fields: dict[str, Any] = {
        "time": when(cells["time"]),
        "account": cells.get("account") or "x",
        "source": source,
        "sent": _amount(cells.get("sent", "")),
        "received": _amount(cells.get("received", "")),
        "fee": _amount(cells.get("fee", "")),
    }
    if cells.get("usd"):
        fields["usd_value"] = Decimal(cells["usd"])
    if cells.get("fee_usd"):
        fields["fee_usd"] = Decimal(cells["fee_usd"])
    fields.update(_extra(cells.get("extra", "")))
    return kind(**fields)


def parse(table: str, path: str = "scenario.csv") -> list[EventBase]:
    """Events of a scenario table (see the module docstring)."""
    header: list[str] | None = None
    events: list[EventBase] = []
    for number, raw in enumerate(table.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if header is None:
            unknown = set(cells) - set(COLUMNS)
            if unknown:
                raise ValueError(f"unknown scenario columns {sorted(unknown)}")
            header = cells
            continue
        if len(cells) > len(header):
            raise ValueError(f"line {number}: more cells than columns")
        events.append(_event(dict(zip(header, cells)), SourceRef(path, number)))
    return events


def load(name: str) -> list[EventBase]:
    """Events of ``tests/scenarios/<name>.txt`` (sources name that file)."""
    path = SCENARIOS / f"{name}.txt"
    return parse(path.read_text(encoding="utf-8"), path=path.name)


@dataclass(frozen=True)
class Scenario:
    """Handy views of a Booking for assertions."""

    booking: Booking
    rows: list[Disposal] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", list(self.booking.disposals))

    def codes(self) -> list[str]:
        return [d.code for d in self.booking.diagnostics]

    def by_lot(self, lot_id: str) -> list[Disposal]:
        return [d for d in self.rows if d.lot_id == lot_id]

    def summary(self) -> list[tuple[str, Decimal, Decimal, Decimal]]:
        """(lot_id, quantity, proceeds, basis) per disposal, in booking order."""
        return [(d.lot_id, d.quantity, d.proceeds_usd, d.basis_usd) for d in self.rows]


def run(table: str, plan: MethodPlan | None = None, **options: str) -> Scenario:
    """Book a scenario table with a plan (default FIFO) and engine options by name."""
    return Scenario(book(parse(table), plan or MethodPlan(), EngineOptions(**options)))
