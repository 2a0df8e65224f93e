"""forms.json (interfaces.md §4): the direct image of ``TaxForms``; computes nothing.

Every key of interfaces.md §4 is present with its documented name; amounts are strings
with two decimals (``money.fmt_money``), negatives with a leading ``-``; dates ISO.
Extra keys (allowed by the contract): ``taxpayer``, ``filing_status``,
``round_whole_dollars``, ``options``, ``form_4952_required``(``_reason``),
``form_4952_lost_if_not_itemizing``, ``funding_paid_nondeductible``,
``schedule_d.line_17_both_gains``, ``schedule_d.loss_limit``, ``carryover_worksheet``,
``form_8949_exception2_boxes``, ``income_lines``, ``interest_lines``, ``review``.

The file is written as a stream (issue 6: a million rows must not become one giant
string): objects one key per line, list items one per line as compact JSON from the C
encoder; ``json.loads`` of the file equals :func:`forms_to_dict`. The ``form_8949`` rows'
values and JSON text are made in ``reports.jsonout_rows`` (re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO

from taxmargin.reports.atomic import atomic_text
from taxmargin.reports.forms import (
    CarryoverWorksheet,
    Form4952,
    Form8949Row,
    IncomeLine,
    InterestLine,
    LiquidationReview,
    OpenPosition,
    Review,
    ScheduleD,
    TaxForms,
    Totals,
)
from taxmargin.reports.jsonout_rows import (
    ROW_KEYS,
    RowValues,
    lines_json,
    positions_json,
    row_json,
    row_to_dict,
    row_values,
    rows_json,
    rows_values,
)

from taxmargin.errors import Diagnostic
from taxmargin.fanout import split_text
from taxmargin.gcpause import gc_paused
from taxmargin.money import fmt_money, fmt_quantity

__all__ = [
    "FILE_NAME", "ROW_KEYS", "RowValues", "forms_to_dict", "row_json", "row_to_dict", "row_values", "rows_json",
    "rows_values", "write",
]

FILE_NAME = "forms.json"

_4952_LINES = (
    "line_1", "line_2", "line_3", "line_4a", "line_4b", "line_4c", "line_4d", "line_4e",
    "line_4f", "line_4g", "line_4h", "line_5", "line_6", "line_7", "line_8",
)


def _date(value: date | None, empty: str = "") -> str:
    return value.isoformat() if value is not None else empty


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _totals(t: Totals) -> dict[str, str]:
    return {
        "proceeds": fmt_money(t.proceeds),
        "cost_basis": fmt_money(t.cost_basis),
        "adjustment": fmt_money(t.adjustment),
        "gain": fmt_money(t.gain),
    }


def _schedule_d(sd: ScheduleD) -> dict[str, object]:
    return {
        "line_1b": _totals(sd.line_1b),
        "line_2": _totals(sd.line_2),
        "line_3": _totals(sd.line_3),
        "line_8b": _totals(sd.line_8b),
        "line_9": _totals(sd.line_9),
        "line_10": _totals(sd.line_10),
        "line_6": fmt_money(sd.line_6),
        "line_7": fmt_money(sd.line_7),
        "line_14": fmt_money(sd.line_14),
        "line_15": fmt_money(sd.line_15),
        "line_16": fmt_money(sd.line_16),
        "line_21": fmt_money(sd.line_21),
        "line_17_both_gains": sd.line_17_both_gains,
        "loss_limit": fmt_money(sd.loss_limit),
    }


def _worksheet(ws: CarryoverWorksheet) -> dict[str, object]:
    return {
        "lines": {f"line_{n}": fmt_money(v) for n, v in ws.lines},
        "short_term_carryover": fmt_money(ws.short_term_carryover),
        "long_term_carryover": fmt_money(ws.long_term_carryover),
        "taxable_income_assumed": ws.taxable_income_assumed,
    }


def _form_4952(f: Form4952) -> dict[str, str]:
    return {name: fmt_money(getattr(f, name)) for name in _4952_LINES}


def _position(p: OpenPosition) -> dict[str, object]:
    return {
        "kind": p.kind,
        "account": p.account,
        "asset": p.asset,
        "quantity": fmt_quantity(p.quantity),
        "usd": fmt_money(p.usd) if p.usd is not None else None,
        "since": _time(p.since),
        "source": p.source or None,
    }


def _diagnostic(d: Diagnostic) -> dict[str, object]:
    return {
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
        "source": str(d.source) if d.source is not None else None,
    }


def _line(x: IncomeLine | InterestLine) -> dict[str, object]:
    out: dict[str, object] = {
        "time": x.time.isoformat(),
        "account": x.account,
        "asset": x.asset,
        "quantity": fmt_quantity(x.quantity),
        "usd": fmt_money(x.usd),
        "kind": x.kind,
        "source": x.source,
    }
    if isinstance(x, InterestLine):
        out["flagged"] = x.flagged
    return out


def _liquidation(liq: LiquidationReview) -> dict[str, object]:
    return {
        "time": liq.time.isoformat(),
        "account": liq.account,
        "source": liq.source,
        "lots": [
            {
                "description": lot.description,
                "date_acquired": _date(lot.date_acquired, "VARIOUS"),
                "proceeds": fmt_money(lot.proceeds),
                "cost_basis": fmt_money(lot.cost_basis),
                "gain": fmt_money(lot.gain),
                "term": lot.term,
                "sources": list(lot.sources),
            }
            for lot in liq.lots
        ],
        "proceeds": fmt_money(liq.proceeds),
        "cost_basis": fmt_money(liq.cost_basis),
        "gain": fmt_money(liq.gain),
        "short_term_gain": fmt_money(liq.short_term_gain),
        "long_term_gain": fmt_money(liq.long_term_gain),
        "explanation": liq.explanation,
    }


def _review(r: Review) -> dict[str, object]:
    return {
        "by_month": [
            {"month": m.month, "short_term": fmt_money(m.short_term), "long_term": fmt_money(m.long_term),
             "liquidations": m.liquidation_count}
            for m in r.by_month
        ],
        "by_account": [
            {"account": a.account, "short_term": fmt_money(a.short_term), "long_term": fmt_money(a.long_term)}
            for a in r.by_account
        ],
        "liquidations": [_liquidation(liq) for liq in r.liquidations],
    }


class _Json:
    """A list of the streamed document whose items are compact JSON text already
    (``jsonout_rows.lines_json``, ``positions_json``): written one per line as they are."""

    __slots__ = ("items",)

    def __init__(self, items: list[str]) -> None:
        self.items = items


class _Rows:
    """The ``form_8949`` list of the streamed document: each row is rendered as it is
    written (:func:`row_json`), never held as a dict."""

    __slots__ = ("rows",)

    def __init__(self, rows: tuple[Form8949Row, ...]) -> None:
        self.rows = rows


def _document(forms: TaxForms, form_8949: object, *, streamed: bool = False) -> dict[str, object]:
    """The document with ``form_8949`` as given; ``streamed``: the open positions and the
    income and interest lines as JSON text (:class:`_Json`), else as dicts."""
    f4952 = forms.form_4952
    if streamed:
        positions: object = _Json(positions_json(forms.open_positions))
        income: object = _Json(lines_json(forms.income_lines))
        interest: object = _Json(lines_json(forms.interest_lines))
    else:
        positions = [_position(p) for p in forms.open_positions]
        income = [_line(x) for x in forms.income_lines]
        interest = [_line(x) for x in forms.interest_lines]
    return {
        "tax_year": forms.tax_year,
        "method": forms.method,
        "timezone": forms.timezone,
        "form_8949": form_8949,
        "schedule_d": _schedule_d(forms.schedule_d),
        "form_4952": _form_4952(f4952),
        "carryforward": {
            "short_term_loss": fmt_money(forms.carryforward.short_term_loss),
            "long_term_loss": fmt_money(forms.carryforward.long_term_loss),
            "investment_interest": fmt_money(forms.carryforward.investment_interest),
        },
        "income": {"ordinary": fmt_money(forms.income_ordinary)},
        "open_positions": positions,
        "diagnostics": [_diagnostic(d) for d in forms.diagnostics],
        "taxpayer": {"name": forms.taxpayer_name, "id": forms.taxpayer_id},
        "filing_status": forms.filing_status,
        "round_whole_dollars": forms.round_whole_dollars,
        "options": dict(forms.options_used),
        "form_4952_required": f4952.required,
        "form_4952_required_reason": f4952.required_reason,
        "form_4952_lost_if_not_itemizing": fmt_money(f4952.lost_if_not_itemizing),
        "funding_paid_nondeductible": fmt_money(forms.funding_paid_nondeductible),
        "carryover_worksheet": _worksheet(forms.schedule_d.carryover_worksheet),
        "form_8949_exception2_boxes": list(forms.form_8949.exception2_boxes),
        "income_lines": income,
        "interest_lines": interest,
        "review": _review(forms.review),
        "generated": _time(forms.generated),
    }


def forms_to_dict(forms: TaxForms) -> dict[str, object]:
    """The forms.json document (interfaces.md §4). ``form_8949`` lists the detail rows,
    never Exception 2 summaries."""
    return _document(forms, [row_to_dict(r) for r in forms.form_8949.rows])


#: One JSON value on one line (the C encoder: ``indent`` is None): ``json.dumps(value,
#: ensure_ascii=False)`` with its encoder made once, not once per list item.
_compact: Callable[[object], str] = json.JSONEncoder(ensure_ascii=False).encode


#: Items of a streamed list written per ``write`` call.
_CHUNK = 2048


def _items(lines: Iterator[str], pad: str) -> Iterator[str]:
    """List items, one per line, comma-separated, a chunk of lines per piece of text."""
    lead = pad
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == _CHUNK:
            yield lead + f",\n{pad}".join(chunk)
            lead, chunk = f",\n{pad}", []
    if chunk:
        yield lead + f",\n{pad}".join(chunk)
    yield "\n"


def _row_items(rows: Sequence[Form8949Row], offset: int, pad: str) -> Iterator[str]:
    """``rows`` as list items, one per line after ``pad``, separated by ``",\n"``; a
    slice that does not start the list (``offset`` > 0) starts with that separator. Two
    adjacent slices' texts joined are the text of both (``fanout.split_text`` renders the
    halves of a large list in two processes)."""
    sep = ",\n" + pad
    lead = sep if offset else pad
    for start in range(0, len(rows), _CHUNK):
        yield lead + sep.join(rows_json(rows[start : start + _CHUNK]))
        lead = sep


def _pretty(value: object, pad: str) -> Iterator[str]:
    """``value`` as text: objects one key per line, lists one compact item per line."""
    inner = pad + "  "
    if isinstance(value, _Rows):
        if not value.rows:
            yield "[]"
            return
        yield "[\n"
        yield from split_text(partial(_row_items, pad=inner), value.rows)
        yield "\n" + pad + "]"
    elif isinstance(value, _Json):
        if value.items:
            yield "[\n"
            yield from _items(iter(value.items), inner)
            yield pad + "]"
        else:
            yield "[]"
    elif isinstance(value, list) and value:
        yield "[\n"
        yield from _items(map(_compact, value), inner)
        yield pad + "]"
    elif isinstance(value, dict) and value:
        yield "{\n"
        last = len(value) - 1
        for index, (key, item) in enumerate(value.items()):
            yield f"{inner}{_compact(key)}: "
            yield from _pretty(item, inner)
            yield ",\n" if index < last else "\n"
        yield pad + "}"
    else:
        yield _compact(value)


def write_stream(forms: TaxForms, handle: IO[str]) -> None:
    """Write the forms.json document to ``handle`` piece by piece."""
    for part in _pretty(_document(forms, _Rows(forms.form_8949.rows), streamed=True), ""):
        handle.write(part)
    handle.write("\n")


@gc_paused()  # short-lived text only (taxmargin.gcpause)
def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write ``out_dir/forms.json`` atomically (``reports.atomic``); returns ``[path]``."""
    target = out_dir / FILE_NAME
    with atomic_text(target) as handle:
        write_stream(forms, handle)
    return [target]
