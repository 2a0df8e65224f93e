"""Form 8949 as data: rows (tax-rules.md §1.3, §1.7), print order (§1.1), pages and line-2
totals (§1.5), and Exception 2 summary rows with the attached statement (§1.6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from taxmargin.reports.forms import (
    Form8949,
    Form8949Page,
    Form8949Row,
    StatementGroup,
    Totals,
)

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.frozen import positional
from taxmargin.models import SourceRef
from taxmargin.money import CENT, ZERO, to_whole_dollars
from taxmargin.rules.rows import YearRow

__all__ = [
    "BOX_ORDER",
    "box_totals",
    "build_form_8949",
    "describe",
    "detail_rows",
    "form8949_row",
    "form_8949_and_totals",
    "sort_rows",
    "totals_of",
]

#: Print order (tax-rules.md §1.1, recommended): Part I A,B,C,G,H,I then Part II D,E,F,J,K,L.
BOX_ORDER: tuple[str, ...] = ("A", "B", "C", "G", "H", "I", "D", "E", "F", "J", "K", "L")
_PART_OF_BOX = {box: ("I" if i < 6 else "II") for i, box in enumerate(BOX_ORDER)}
_BOX_RANK = {box: i for i, box in enumerate(BOX_ORDER)}
_NO_SOURCE = SourceRef("", 0)
#: ``Form8949Row`` with every field positional, faster (``taxmargin.frozen``)
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
    "the exact units sold or disposed of" [I8949 col (a)]. Built from the plain text of
    the value with its trailing zeros dropped, then padded to 8 decimals: the same text as
    ``f"{quantity:.{max(8, places)}f}"`` with ``places`` those of ``quantity.normalize()``,
    without building a digit tuple (the plain text: ``str``, faster than ``format``, where
    it has no exponent)."""
    plain = str(quantity)
    if "E" in plain:  # ``str`` is the plain text unless it has an exponent
        plain = format(quantity, "f")
    point = plain.find(".")
    if point < 0:  # an integer (or not a finite number, printed as the format prints it)
        return plain + ".00000000" if quantity.is_finite() else f"{quantity:.8f}"
    plain = plain.rstrip("0")
    decimals = len(plain) - point - 1
    return plain if decimals >= 8 else plain + _ZEROS[decimals]


#: Zeros that pad a text with ``n`` decimals to 8 (index ``n``; "." kept when n = 0).
_ZEROS = tuple("0" * (8 - n) for n in range(8))


def _note_suffix(purpose: Purpose, short_sale: bool, liquidation: bool) -> str:
    """The parenthesized part of a description (:func:`describe`), empty if none."""
    notes = []
    if short_sale and purpose is not Purpose.SHORT:
        notes.append("short sale closed")
    if _PURPOSE_NOTE[purpose]:
        notes.append(_PURPOSE_NOTE[purpose])
    if liquidation:
        notes.append("liquidation")
    return f" ({', '.join(notes)})" if notes else ""


#: :func:`_note_suffix` of every (purpose, short_sale, liquidation), computed once.
_SUFFIX: dict[tuple[Purpose, bool, bool], str] = {
    (purpose, short, liquidation): _note_suffix(purpose, short, liquidation)
    for purpose in Purpose
    for short in (False, True)
    for liquidation in (False, True)
}
#: The suffix of an ordinary row (neither a short sale nor a liquidation), per purpose.
_PLAIN_SUFFIX: dict[Purpose, str] = {purpose: _SUFFIX[purpose, False, False] for purpose in Purpose}


def describe(disposal: Disposal) -> str:
    """Column (a) (tax-rules.md §1.3): exact units and symbol, e.g. ``0.50000000 BTC``, then
    what kind of disposal it was in parentheses: ``(short sale closed)`` [ISD "Reporting a
    short sale"], ``(margin interest payment)`` (§7.3), ``(fee)``, ``(network fee)``,
    ``(spend)``, ``(perpetual P&L)``, ``(funding payment)``, ``(liquidation)``."""
    suffix = _SUFFIX[disposal.purpose, disposal.short_sale, disposal.liquidation]
    return f"{_units(disposal.quantity)} {disposal.asset}{suffix}"


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
    return detail_rows((row,), whole_dollars=whole_dollars)[0]


def detail_rows(rows: Iterable[YearRow], *, whole_dollars: bool = False) -> list[Form8949Row]:
    """:func:`form8949_row` of each row, in one loop (issue 6: a million rows): the
    description's note per (purpose, short sale, liquidation) is looked up (:data:`_SUFFIX`),
    the rounding inlined, and each distinct ``SourceRef`` object converted to text once,
    its text shared by every row naming it (the lots of one sale, the sales of one lot;
    keyed by ``id``, valid while the rows, which hold the refs, are alive)."""
    texts: dict[int, str] = {}
    get_text, put_text = texts.get, texts.setdefault  # a "path:line" text is never empty
    adjustment = _NO_ADJUSTMENT[whole_dollars]
    plain_suffix, suffix_of, term_text, purpose_text = _PLAIN_SUFFIX, _SUFFIX, _TERM_TEXT, _PURPOSE_TEXT
    long, make, units, cent, half_up = Term.LONG, _make_row, _units, CENT, ROUND_HALF_UP
    out: list[Form8949Row] = []
    append = out.append
    for row in rows:
        d = row.disposal
        term, purpose, short_sale, liquidation = row.term, d.purpose, d.short_sale, d.liquidation
        proceeds = d.proceeds_usd.quantize(cent, half_up)
        basis = d.basis_usd.quantize(cent, half_up)
        if whole_dollars:
            proceeds, basis = to_whole_dollars(proceeds), to_whole_dollars(basis)
        suffix = suffix_of[purpose, short_sale, liquidation] if short_sale or liquidation else plain_suffix[purpose]
        refs = d.sources
        if len(refs) == 2:  # the common case (the sale's row, the lot's row): no comprehension
            first, second = refs
            sources: tuple[str, ...] = (get_text(id(first)) or put_text(id(first), str(first)),
                                        get_text(id(second)) or put_text(id(second), str(second)))
        else:
            sources = tuple([get_text(id(s)) or put_text(id(s), str(s)) for s in refs])
        gain = proceeds - basis
        if not gain:  # (h) = (d) - (e) + (g), (g) = 0.00: a non-zero cents amount is unchanged
            gain += adjustment  # by adding it, a zero (-0.00 too) becomes 0.00
        # every field positional, in Form8949Row's order (part, box, description,
        # date_acquired, date_sold, proceeds, cost_basis, code, adjustment, gain, account,
        # asset, quantity, term, short_sale, liquidation, purpose, sources, acquired_utc,
        # disposed_utc, summary)
        append(make(
            "II" if term is long else "I",
            row.box,
            f"{units(d.quantity)} {d.asset}{suffix}",
            row.date_acquired,
            row.date_sold,
            proceeds,
            basis,
            "",
            adjustment,
            gain,
            d.account,
            d.asset,
            d.quantity,
            term_text[term],
            short_sale,
            liquidation,
            purpose_text[purpose],
            sources,
            d.acquired,
            d.disposed,
            False,
        ))
    return out


def sort_rows(rows: Iterable[YearRow]) -> list[YearRow]:
    """Print order: by part and box (§1.1), then date sold, date acquired, source row.
    The sort is stable, so the engine's lot order breaks remaining ties. The keys are
    built in one pass and the row indexes sorted by them (the same stable order as a
    ``key`` function, without a Python call per row)."""
    rows = list(rows)
    rank, none = _BOX_RANK, _NO_SOURCE
    # the source row as (path, line): SourceRef's own order, without its Python __lt__
    firsts = [d.sources[0] if d.sources else none for d in [r.disposal for r in rows]]
    keys = [
        (rank[r.box], r.date_sold, r.date_acquired, first.path, first.line)
        for r, first in zip(rows, firsts)
    ]
    return [rows[i] for i in sorted(range(len(rows)), key=keys.__getitem__)]


def totals_of(rows: Iterable[Form8949Row]) -> Totals:
    """Line 2 of a page (or a statement group): column sums of (d), (e), (g), (h) [F8949],
    each added up in row order from 0 (``sum`` over the column, a C loop)."""
    return _column_sums(rows if isinstance(rows, (list, tuple)) else list(rows))


def _column_sums(items: Sequence[Form8949Row] | Sequence[Totals]) -> Totals:
    """The four column sums of rows or of totals (both name their columns alike), each
    added up in order from 0 (``sum`` over the column, a C loop)."""
    return Totals(
        sum(map(_PROCEEDS, items), ZERO),
        sum(map(_BASIS, items), ZERO),
        sum(map(_ADJUSTMENT, items), ZERO),
        sum(map(_GAIN, items), ZERO),
    )


_PROCEEDS = attrgetter("proceeds")
_BASIS = attrgetter("cost_basis")
_ADJUSTMENT = attrgetter("adjustment")
_GAIN = attrgetter("gain")


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
    by_account = _group(rows, _ACCOUNT)
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
    return form_8949_and_totals(
        rows, rows_per_page=rows_per_page, exception2_threshold=exception2_threshold, whole_dollars=whole_dollars
    )[0]


def form_8949_and_totals(
    rows: Iterable[YearRow], *, rows_per_page: int, exception2_threshold: int, whole_dollars: bool = False
) -> tuple[Form8949, dict[str, Totals]]:
    """:func:`build_form_8949` and its :func:`box_totals` (what Schedule D adds up), the
    latter from the page or statement-group totals already summed rather than from
    every row again (issue 6). The same sums: Decimal addition of these amounts (cents or
    whole dollars of inputs below ``money.MAX_MAGNITUDE``, far inside the 60 digits of
    ``money.DECIMAL_CONTEXT``) is exact, so neither a sum nor its exponent depends on how
    the additions are grouped, and every sum starts from 0 (rounding half up, a zero
    total is 0.00, never -0.00) (tax-rules.md §1.5: the box totals are the rows' sums)."""
    detail = detail_rows(sort_rows(rows), whole_dollars=whole_dollars)
    pages: list[Form8949Page] = []
    statement: list[StatementGroup] = []
    exception2: list[str] = []
    totals: dict[str, Totals] = {}
    for box, box_rows in _box_runs(detail).items():  # print order
        if len(box_rows) > exception2_threshold:
            groups = _statement(box, box_rows)
            statement.extend(groups)
            exception2.append(box)
            summaries = [_summary_row(box, g.account, g.totals, g.rows) for g in groups]
            pages.extend(_pages(box, summaries, rows_per_page))
            totals[box] = _sum_totals([g.totals for g in groups])
        else:
            box_pages = _pages(box, box_rows, rows_per_page)
            pages.extend(box_pages)
            totals[box] = _sum_totals([p.totals for p in box_pages])
    form = Form8949(tuple(detail), tuple(pages), tuple(statement), tuple(exception2), rows_per_page)
    return form, totals


def _sum_totals(parts: Sequence[Totals]) -> Totals:
    """The column sums of some totals, each added up in order from 0."""
    return _column_sums(parts)


def _by_box(rows: Iterable[Form8949Row]) -> dict[str, list[Form8949Row]]:
    """The rows of each box, in their order, the boxes in order of first appearance."""
    return _group(rows, _BOX)


def _box_runs(rows: list[Form8949Row]) -> dict[str, list[Form8949Row]]:
    """:func:`_by_box` of rows in print order (:func:`sort_rows`), where each box's rows
    are one run: cut out at each box's first index (C-level scans, no pass per row)."""
    boxes = list(map(_BOX, rows))
    distinct = list(dict.fromkeys(boxes))
    starts = [boxes.index(box) for box in distinct] + [len(rows)]
    return {box: rows[start:end] for box, start, end in zip(distinct, starts, starts[1:])}


def _group(rows: Iterable[Form8949Row], field: attrgetter[str]) -> dict[str, list[Form8949Row]]:
    """The rows of each value of ``field``, in their order, the values in order of first
    appearance: one pass appending each row to its value's list (its ``append`` looked
    up per row; faster than a filtering pass per value from two values on)."""
    rows = rows if isinstance(rows, (list, tuple)) else list(rows)
    groups: dict[str, list[Form8949Row]] = {}
    appends: dict[str, Callable[[Form8949Row], None]] = {}
    for r, value in zip(rows, map(field, rows)):
        append = appends.get(value)
        if append is None:
            append = appends[value] = groups.setdefault(value, []).append
        append(r)
    return groups


_BOX = attrgetter("box")
_ACCOUNT = attrgetter("account")


def box_totals(form: Form8949) -> dict[str, Totals]:
    """Totals of every detail row per box: what Schedule D lines 1b-10 add up (§1.5: the
    same whether the pages carry detail rows or Exception 2 summaries)."""
    by_box = _by_box(form.rows)
    return {box: totals_of(by_box[box]) for box in BOX_ORDER if box in by_box}
