"""The year in review (interfaces.md §1 ``review``): gains by month and by account, every
liquidation with the lots it consumed, and the detail lines behind income, interest and
open positions. Built from the Form 8949 rows, so every number matches the forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from taxmargin.reports.forms import (
    AccountGain,
    Form8949Row,
    IncomeLine,
    InterestLine,
    LiquidationLot,
    LiquidationReview,
    MonthGain,
    OpenPosition,
    Review,
)

from taxmargin.booking import FundingPayment, IncomeItem, InterestPayment, Term
from taxmargin.frozen import positional
from taxmargin.money import CENT, ZERO, to_cents
from taxmargin.rules.us import TaxYear

__all__ = [
    "build_review",
    "explain_liquidation",
    "income_lines",
    "interest_lines",
    "liquidation_reviews",
    "open_positions",
]

_LONG = Term.LONG.value


def _usd(value: Decimal) -> str:
    """``$1,234.56`` / ``-$1,234.56`` for sentences (amounts on forms use ``fmt_money``)."""
    cents = to_cents(value)
    return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"


def _split(rows: Iterable[Form8949Row]) -> tuple[Decimal, Decimal]:
    short = long = ZERO
    for r in rows:
        if r.term == _LONG:
            long += r.gain
        else:
            short += r.gain
    return short, long


def _event_key(row: Form8949Row) -> tuple[datetime, str, str]:
    """One liquidation event = one disposal row of the exchange file (its first source)
    at one time in one account; its rows are the lots it consumed."""
    if row.disposed_utc is None:
        raise ValueError(f"Form 8949 detail row without its sale time: {row.description}")
    return (row.disposed_utc, row.account, row.sources[0] if row.sources else "")


def explain_liquidation(lots: Sequence[LiquidationLot], gain: Decimal) -> str:
    """Why a forced sale can produce a taxable gain (tax-rules.md §4.2, §7.1): the lots it
    sold had built-in gains. For context, the most recently acquired lot shows what the
    recent (typically leveraged) purchases lost at the liquidation price. Empty when the
    liquidation's total gain is not positive."""
    if gain <= 0:
        return ""
    winners = [lot for lot in lots if lot.gain > 0]
    dates = sorted({lot.date_acquired for lot in winners if lot.date_acquired is not None})
    built_in = sum((lot.gain for lot in winners), ZERO)
    text = (
        f"Taxable gain of {_usd(gain)} despite the forced sale: lots acquired on "
        f"{', '.join(d.isoformat() for d in dates)} had built-in gains of {_usd(built_in)}"
    )
    dated = [lot for lot in lots if lot.date_acquired is not None]
    if dated:
        latest_day = max(lot.date_acquired for lot in dated if lot.date_acquired is not None)
        latest = [lot for lot in dated if lot.date_acquired == latest_day]
        latest_gain = sum((lot.gain for lot in latest), ZERO)
        if latest_gain < 0:
            proceeds = sum((lot.proceeds for lot in latest), ZERO)
            basis = sum((lot.cost_basis for lot in latest), ZERO)
            text += (
                f"; the units acquired most recently ({latest_day.isoformat()}) sold for "
                f"{_usd(proceeds)} against a cost of {_usd(basis)}, a loss of {_usd(-latest_gain)}"
            )
    return text + "."


def liquidation_reviews(rows: Sequence[Form8949Row]) -> tuple[LiquidationReview, ...]:
    """Every liquidation grouped by its disposal event: lots, proceeds, basis, gain and the
    short/long split (interfaces.md §1 ``review``)."""
    events: dict[tuple[datetime, str, str], list[Form8949Row]] = {}
    for r in rows:
        if r.liquidation:
            events.setdefault(_event_key(r), []).append(r)
    out = []
    for (moment, account, source), group in sorted(events.items()):
        lots = tuple(
            LiquidationLot(r.description, r.date_acquired, r.proceeds, r.cost_basis, r.gain, r.term, r.sources)
            for r in group
        )
        short, long = _split(group)
        gain = short + long
        out.append(
            LiquidationReview(
                time=moment,
                account=account,
                source=source,
                lots=lots,
                proceeds=sum((r.proceeds for r in group), ZERO),
                cost_basis=sum((r.cost_basis for r in group), ZERO),
                gain=gain,
                short_term_gain=short,
                long_term_gain=long,
                explanation=explain_liquidation(lots, gain),
            )
        )
    return tuple(out)


def build_review(rows: Sequence[Form8949Row]) -> Review:
    """Gains by month of sale (all twelve months) and by account, and the liquidations.
    One pass: each row's gain is added to its month's and its account's short or long
    sum, in row order (issue 6)."""
    liquidations = liquidation_reviews(rows)
    months: dict[int, list[Decimal]] = {month: [ZERO, ZERO] for month in range(1, 13)}  # short, long
    events: dict[int, set[tuple[datetime, str, str]]] = {month: set() for month in range(1, 13)}
    accounts: dict[str, list[Decimal]] = {}
    for r in rows:
        side = 1 if r.term == _LONG else 0
        gain = r.gain
        if r.date_sold is not None:
            month = r.date_sold.month
            months[month][side] += gain
            if r.liquidation:
                events[month].add(_event_key(r))
        sums = accounts.get(r.account)
        if sums is None:
            sums = accounts[r.account] = [ZERO, ZERO]
        sums[side] += gain
    by_month = [MonthGain(month, short, long, len(events[month])) for month, (short, long) in months.items()]
    by_account = tuple(AccountGain(a, *accounts[a]) for a in sorted(accounts))
    return Review(tuple(by_month), by_account, liquidations)


#: Positional constructors (``taxmargin.frozen``): one line per income item, interest
#: payment, funding payment and open position, a hundred thousand each in a large year
#: (issue 6); the amounts below are ``money.to_cents`` inlined (the same ``quantize``).
_income_line = positional(IncomeLine)
_interest_line = positional(InterestLine)
_open_position = positional(OpenPosition)


def income_lines(ty: TaxYear) -> tuple[IncomeLine, ...]:
    """Each ordinary-income receipt of the year at FMV, in cents (tax-rules.md §4.5, §4.7)."""
    items: Sequence[IncomeItem] = sorted(ty.income, key=lambda i: (i.time, i.source))
    make, cent, half_up = _income_line, CENT, ROUND_HALF_UP
    return tuple([
        make(i.time, i.account, i.asset, i.quantity, i.usd_value.quantize(cent, half_up), i.kind, str(i.source))
        for i in items
    ])


def interest_lines(ty: TaxYear) -> tuple[InterestLine, ...]:
    """Form 4952 line 1 detail (interest paid, §3.6) and nondeductible funding paid (U3)."""
    paid: Sequence[InterestPayment] = ty.interest
    funding: Sequence[FundingPayment] = ty.funding_paid
    make, cent, half_up = _interest_line, CENT, ROUND_HALF_UP
    lines = [
        make(p.time, p.account, p.asset, p.quantity, p.usd_value.quantize(cent, half_up), str(p.source), "interest",
             p.personal_use_flag)
        for p in paid
    ] + [
        make(f.time, f.account, f.asset, f.quantity, f.usd_value.quantize(cent, half_up), str(f.source),
             "funding-paid", False)
        for f in funding
    ]
    return tuple(sorted(lines, key=lambda line: (line.time, line.source, line.kind)))


def open_positions(ty: TaxYear) -> tuple[OpenPosition, ...]:
    """Year-end schedule (tax-rules.md §4.3): open shorts (proceeds remembered), outstanding
    liabilities, open lots (basis)."""
    make, cent, half_up = _open_position, CENT, ROUND_HALF_UP
    shorts = [
        make("short", s.account, s.asset, s.quantity, s.proceeds_usd.quantize(cent, half_up), s.opened, str(s.source))
        for s in ty.open_shorts
    ]
    debts = [make("liability", x.account, x.asset, x.quantity, None, None, "") for x in ty.liabilities]
    lots = [
        make("lot", lot.account, lot.asset, lot.quantity, lot.basis_usd.quantize(cent, half_up), lot.acquired,
             str(lot.source))
        for lot in ty.open_lots
    ]
    return tuple(shorts + debts + lots)
