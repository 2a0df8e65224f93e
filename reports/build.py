"""``TaxYear -> TaxForms``: every printed number, computed and rounded once (design.md §6:
"Forms are computed first (data keyed by line number), then drawn").

Rounding (tax-rules.md §1.7): Form 8949 rows are rounded to cents (or, with
``round_whole_dollars``, to whole dollars) column by column; Schedule D and Form 4952 are
computed from those rounded values and the profile amounts rounded the same way. Income,
funding and review figures are exact cents.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from taxmargin.reports.build_8949 import form_8949_and_totals
from taxmargin.reports.build_review import (
    build_review,
    income_lines,
    interest_lines,
    open_positions,
)
from taxmargin.reports.forms import Carryforward, Form4952, ScheduleD, TaxForms

from taxmargin.errors import Diagnostic, Severity
from taxmargin.gcpause import gc_paused
from taxmargin.money import ZERO, fmt_money, to_cents
from taxmargin.profile import Profile
from taxmargin.rules.us import TaxYear, form_4952, schedule_d

__all__ = ["build_forms", "lending_income", "mask_ssn"]


def mask_ssn(ssn: str, *, show_full: bool = False) -> str:
    """The identifying number as printed: ``XXX-XX-1234`` (last four digits only) unless the
    profile asks for the full number (interfaces.md §3 ``ssn``). Empty stays empty."""
    if show_full or not ssn.strip():
        return ssn.strip()
    digits = "".join(ch for ch in ssn if ch.isdigit())
    return f"XXX-XX-{digits[-4:]}"


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def lending_income(ty: TaxYear) -> Decimal:
    """Income items of kind "income" (lending interest, rewards): Form 4952 line 4a only
    with option ``lending_income_in_4a`` (U10); funding received never (U10 default)."""
    return _sum(i.usd_value for i in ty.income if i.kind == "income")


def _form_4952(ty: TaxYear, profile: Profile, sched_d: ScheduleD) -> Form4952:
    lending = lending_income(ty) if profile.options.lending_income_in_4a else ZERO
    return form_4952(
        interest_paid=_sum(p.usd_value for p in ty.interest),
        carryover_interest=profile.carryover.investment_interest,
        investment_income=profile.investment_income,
        lending_income=lending,
        schedule_d_line_15=sched_d.line_15,
        schedule_d_line_16=sched_d.line_16,
        election_4g=profile.form_4952.election_4g,
        itemizes=profile.options.itemizes,
        params=ty.params,
        whole_dollars=profile.round_whole_dollars,
    )


def _build_diagnostics(ty: TaxYear, f4952: Form4952) -> list[Diagnostic]:
    """Notes that need the finished forms: interest on loans whose proceeds left the
    account (§3.2 tracing) and a deduction lost to the standard deduction (§3.4, U8)."""
    out = []
    flagged = [p for p in ty.interest if p.personal_use_flag]
    if flagged:
        amount = to_cents(_sum(p.usd_value for p in flagged))
        out.append(
            Diagnostic(
                Severity.WARNING,
                "interest-tracing",
                f"Form 4952 line 1 includes ${fmt_money(amount)} of interest on loans whose proceeds "
                "left the trading account; the share used personally is not investment interest "
                "(tax-rules.md §3.2): reduce line 1 by it",
                flagged[0].source,
            )
        )
    if f4952.lost_if_not_itemizing > 0:
        out.append(
            Diagnostic(
                Severity.INFO,
                "interest-not-itemized",
                f"Form 4952 line 8 ${fmt_money(f4952.line_8)} is deductible only on Schedule A; with the "
                f"standard deduction it is lost, and only line 7 ${fmt_money(f4952.line_7)} carries "
                "forward (tax-rules.md §3.4, U8)",
            )
        )
    return out


@gc_paused()  # one row per disposal, no reference cycles (taxmargin.gcpause)
def build_forms(year: TaxYear, profile: Profile) -> TaxForms:
    """Form 8949 (§1), Schedule D with the carryover worksheet (§2), Form 4952 (§3), the
    carryforward for next year's profile, income, open positions, review and diagnostics."""
    whole = profile.round_whole_dollars
    f8949, box_totals = form_8949_and_totals(  # the box totals summed with the pages (issue 6)
        year.rows,
        rows_per_page=year.params.rows_per_page,
        exception2_threshold=profile.report.exception2_threshold,
        whole_dollars=whole,
    )
    sched_d = schedule_d(
        box_totals,
        carryover=profile.carryover,
        filing_status=profile.filing_status,
        params=year.params,
        taxable_income=profile.taxable_income,
        whole_dollars=whole,
    )
    f4952 = _form_4952(year, profile, sched_d)
    worksheet = sched_d.carryover_worksheet
    return TaxForms(
        tax_year=year.year,
        method=year.method,
        timezone=profile.timezone,
        taxpayer_name=profile.name,
        taxpayer_id=mask_ssn(profile.ssn, show_full=profile.report.show_full_ssn),
        filing_status=profile.filing_status,
        round_whole_dollars=whole,
        form_8949=f8949,
        schedule_d=sched_d,
        form_4952=f4952,
        carryforward=Carryforward(worksheet.short_term_carryover, worksheet.long_term_carryover, f4952.line_7),
        income_ordinary=to_cents(_sum(i.usd_value for i in year.income)),
        funding_paid_nondeductible=to_cents(_sum(f.usd_value for f in year.funding_paid)),
        open_positions=open_positions(year),
        diagnostics=tuple(year.diagnostics) + tuple(_build_diagnostics(year, f4952)),
        review=build_review(f8949.rows),
        income_lines=income_lines(year),
        interest_lines=interest_lines(year),
        options_used=year.options,
    )
