"""Form 8949 as data: rows (tax-rules.md §1.3, §1.7), print order (§1.1), pages and line-2
totals (§1.5), and Exception 2 summary rows with the attached statement (§1.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from taxmargin.reports.forms import (
    Form8949,
    Form8949Page,
    Form8949Row,
    StatementGroup,
    Totals,
)

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.engine.frozen import positional
from taxmargin.models import SourceRef
from taxmargin.money import CENT, ZERO, to_whole_dollars
from taxmargin.rules.rows import YearRow

__all__ = [
    "BOX_ORDER",
    "box_totals",
    "build_form_8949",
    "describe",
    "form8949_row",
    "sort_rows",
    "totals_of",
]

#: Print order (tax-rules.md §1.1, recommended): Part I A,B,C,G,H,I then Part II D,E,F,J,K,L.
BOX_ORDER: tuple[str, ...] = ("A", "B", "C", "G", "H", "I", "D", "E", "F", "J", "K", "L")
_PART_OF_BOX = {box: ("I" if i < 6 else "II") for i, box in enumerate(BOX_ORDER)}
_BOX_RANK = {box: i for i, box in enumerate(BOX_ORDER)}
_NO_SOURCE = SourceRef("", 0)
#: ``Form8949Row`` with every field positional, faster (``taxmargin.engine.frozen``)
_make_row = positional(Form8949Row)
#: Text of the enum values (``member.value``, looked up without the enum machinery)
_TERM_TEXT: dict[Term, str] = {term: term.value for term in Term}
_PURPOSE_TEXT: dict[Purpose, str] = {purpose: purpose.value for purpose in Purpose}

#: Description suffix per purpose (tax-rules.md §1.3 col (a); §4.3, §4.4, §4.6, §4.7).
_PURPOSE_NOTE: dict[Purpose, str] = {
    Purpose.SALE: "",
    Purpose.INTEREST: "margin interest payment",
    Purpose.FEE: "fee",
    Purpose.TRANSFER_FEE: "network fee",
    Purpose.SPEND: "spend",
    Purpose.PNL: "perpetual P&L",
    Purpose.SHORT: "short sale closed",
    Purpose.FUNDING: "funding payment",
}


def _units(quantity: Decimal) -> str:
    """At least 8 decimals ("0.50000000"), more when the units are finer: col (a) wants
    "the exact units sold or disposed of" [I8949 col (a)]."""
    exponent = quantity.normalize().as_tuple().exponent
    places = max(8, -exponent) if isinstance(exponent, int) else 8
    return f"{quantity:.{places}f}"


def describe(disposal: Disposal) -> str:
    """Column (a) (tax-rules.md §1.3): exact units and symbol, e.g. ``0.50000000 BTC``, then
    what kind of disposal it was in parentheses: ``(short sale closed)`` [ISD "Reporting a
    short sale"], ``(margin interest payment)`` (§7.3), ``(fee)``, ``(network fee)``,
    ``(spend)``, ``(perpetual P&L)``, ``(funding payment)``, ``(liquidation)``."""
    notes = []
    purpose_note = _PURPOSE_NOTE[disposal.purpose]
    if disposal.short_sale and disposal.purpose is not Purpose.SHORT:
        notes.append("short sale closed")
    if purpose_note:
        notes.append(purpose_note)
    if disposal.liquidation:
        notes.append("liquidation")
    text = f"{_units(disposal.quantity)} {disposal.asset}"
    return f"{text} ({', '.join(notes)})" if notes else text


def _column(value: Decimal, whole_dollars: bool) -> Decimal:
    """Cents half-up; with ``round_whole_dollars`` the cents amount rounded to dollars
    ("drop cent amounts under 50 cents ...", [I8949], tax-rules.md §1.7). ``to_cents``
    inlined (the same ``quantize``; a positional rounding argument is much faster)."""
    cents = value.quantize(CENT, ROUND_HALF_UP)
    return to_whole_dollars(cents) if whole_dollars else cents


#: Column (g) of every row: no adjustment codes yet, 0 rounded like any amount.
_NO_ADJUSTMENT = {whole: _column(ZERO, whole) for whole in (False, True)}


def form8949_row(row: YearRow, *, whole_dollars: bool = False) -> Form8949Row:
    """One Form 8949 row (tax-rules.md §1.3, §1.7): (d), (e), (g) rounded per row, then
    (h) = (d) - (e) + (g) from the rounded values so every row foots. No adjustment
    codes yet (no 1099-DA reconciliation): (f) empty, (g) 0."""
    return _row(row, whole_dollars, {})


def _source_texts(sources: tuple[SourceRef, ...], texts: dict[int, str]) -> tuple[str, ...]:
    """``str`` of each source, each distinct ``SourceRef`` object converted once and its
    text shared by every row naming it (the lots of one sale, the sales of one lot).
    ``texts`` is keyed by ``id``: valid while the rows, which hold the refs, are alive."""
    get = texts.get  # a SourceRef's text is never empty ("path:line"), so `or` is safe
    return tuple([get(id(s)) or texts.setdefault(id(s), str(s)) for s in sources])


def _row(row: YearRow, whole_dollars: bool, texts: dict[int, str]) -> Form8949Row:
    """:func:`form8949_row`, sharing source texts through ``texts`` (:func:`_source_texts`)."""
    d = row.disposal
    proceeds = _column(d.proceeds_usd, whole_dollars)
    basis = _column(d.basis_usd, whole_dollars)
    adjustment = _NO_ADJUSTMENT[whole_dollars]
    term = row.term
    # every field positional, in Form8949Row's order (part, box, description,
    # date_acquired, date_sold, proceeds, cost_basis, code, adjustment, gain, account,
    # asset, quantity, term, short_sale, liquidation, purpose, sources, acquired_utc,
    # disposed_utc, summary)
    return _make_row(
        row.part,
        row.box,
        describe(d),
        row.date_acquired,
        row.date_sold,
        proceeds,
        basis,
        "",
        adjustment,
        proceeds - basis + adjustment,
        d.account,
        d.asset,
        d.quantity,
        _TERM_TEXT[term],
        d.short_sale,
        d.liquidation,
        _PURPOSE_TEXT[d.purpose],
        _source_texts(d.sources, texts),
        d.acquired,
        d.disposed,
        False,
    )


def sort_rows(rows: Iterable[YearRow]) -> list[YearRow]:
    """Print order: by part and box (§1.1), then date sold, date acquired, source row.
    The sort is stable, so the engine's lot order breaks remaining ties."""

    def key(row: YearRow) -> tuple[int, object, object, str, int]:
        # the source row as (path, line): SourceRef's own order, without its Python __lt__
        first = row.disposal.sources[0] if row.disposal.sources else _NO_SOURCE
        return (_BOX_RANK[row.box], row.date_sold, row.date_acquired, first.path, first.line)

    return sorted(rows, key=key)


def totals_of(rows: Iterable[Form8949Row]) -> Totals:
    """Line 2 of a page (or a statement group): column sums of (d), (e), (g), (h) [F8949]."""
    proceeds = basis = adjustment = gain = ZERO
    for r in rows:
        proceeds += r.proceeds
        basis += r.cost_basis
        adjustment += r.adjustment
        gain += r.gain
    return Totals(proceeds, basis, adjustment, gain)


def _pages(box: str, rows: Sequence[Form8949Row], per_page: int) -> list[Form8949Page]:
    """ceil(rows / per_page) pages, each with its own line-2 totals (§1.5)."""
    chunks = [tuple(rows[i : i + per_page]) for i in range(0, len(rows), per_page)]
    return [
        Form8949Page(_PART_OF_BOX[box], box, n, len(chunks), chunk, totals_of(chunk))
        for n, chunk in enumerate(chunks, start=1)
    ]


def _summary_row(box: str, account: str, totals: Totals, rows: Sequence[Form8949Row]) -> Form8949Row:
    """Exception 2 row [I8949 "Exception 2"; tax-rules.md §1.6]: "<account> — see attached
    statement", (b)/(c) blank, code M, adjustment 0, the group's totals in (d),(e),(g),(h)."""
    assets = {r.asset for r in rows}
    single = len(assets) == 1
    return Form8949Row(
        part=_PART_OF_BOX[box],
        box=box,
        description=f"{account} — see attached statement",
        date_acquired=None,
        date_sold=None,
        proceeds=totals.proceeds,
        cost_basis=totals.cost_basis,
        code="M",
        adjustment=totals.adjustment,
        gain=totals.gain,
        account=account,
        asset=assets.pop() if single else "",
        quantity=sum((r.quantity for r in rows), ZERO) if single else ZERO,
        term=(Term.LONG if _PART_OF_BOX[box] == "II" else Term.SHORT).value,
        summary=True,
    )


def _statement(box: str, rows: Sequence[Form8949Row]) -> list[StatementGroup]:
    by_account: dict[str, list[Form8949Row]] = {}
    for r in rows:
        by_account.setdefault(r.account, []).append(r)
    return [
        StatementGroup(_PART_OF_BOX[box], box, account, tuple(group), totals_of(group))
        for account, group in sorted(by_account.items())
    ]


def build_form_8949(
    rows: Iterable[YearRow], *, rows_per_page: int, exception2_threshold: int, whole_dollars: bool = False
) -> Form8949:
    """Form 8949 for the year: detail rows in print order, printed pages per box, and for
    a box with more than ``exception2_threshold`` rows, Exception 2: one summary row per
    account on the pages and every row in ``statement`` grouped by (part, box, account)
    with totals equal to the summary row (tax-rules.md §1.5, §1.6)."""
    ordered = sort_rows(rows)
    texts: dict[int, str] = {}  # the rows keep every SourceRef alive while it is used
    detail = [_row(r, whole_dollars, texts) for r in ordered]
    del texts
    pages: list[Form8949Page] = []
    statement: list[StatementGroup] = []
    exception2: list[str] = []
    by_box = _by_box(detail)
    for box in BOX_ORDER:
        box_rows = by_box.get(box)
        if not box_rows:
            continue
        if len(box_rows) > exception2_threshold:
            groups = _statement(box, box_rows)
            statement.extend(groups)
            exception2.append(box)
            summaries = [_summary_row(box, g.account, g.totals, g.rows) for g in groups]
            pages.extend(_pages(box, summaries, rows_per_page))
        else:
            pages.extend(_pages(box, box_rows, rows_per_page))
    return Form8949(tuple(detail), tuple(pages), tuple(statement), tuple(exception2), rows_per_page)


def _by_box(rows: Iterable[Form8949Row]) -> dict[str, list[Form8949Row]]:
    """The rows of each box, in their order (one pass)."""
    groups: dict[str, list[Form8949Row]] = {}
    for r in rows:
        group = groups.get(r.box)
        if group is None:
            groups[r.box] = [r]
        else:
            group.append(r)
    return groups


def box_totals(form: Form8949) -> dict[str, Totals]:
    """Totals of every detail row per box: what Schedule D lines 1b-10 add up (§1.5: the
    same whether the pages carry detail rows or Exception 2 summaries)."""
    by_box = _by_box(form.rows)
    return {box: totals_of(by_box[box]) for box in BOX_ORDER if box in by_box}
