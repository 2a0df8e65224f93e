"""Form 4952, Investment Interest Expense Deduction (tax-rules.md §3.1-§3.7).

Pure function of the year's interest, the profile's carryover and investment income, the
Schedule D result and the line 4g election.
"""

from __future__ import annotations

from decimal import Decimal

from taxmargin.errors import NotSupported, ProfileError
from taxmargin.money import ZERO, fmt_money, to_cents, to_whole_dollars
from taxmargin.profile import InvestmentIncome
from taxmargin.reports.forms import Form4952
from taxmargin.rules.params import YearParams

__all__ = ["form_4952", "form_4952_required"]


def _amount(value: Decimal, whole_dollars: bool) -> Decimal:
    cents = to_cents(value)
    return to_whole_dollars(cents) if whole_dollars else cents


def form_4952_required(line_1: Decimal, line_2: Decimal, line_4c: Decimal, line_5: Decimal) -> tuple[bool, str]:
    """Whether Form 4952 must be filed, with the reason (tax-rules.md §3.7 [ISA "Line 9";
    P550 "Exception to use of Form 4952"]).

    Not required if all three hold: (1) investment interest expense is less than
    investment income from interest and ordinary dividends minus qualified dividends
    (line 4c); (2) no other deductible investment expenses (line 5); (3) no disallowed
    investment interest carried from last year (line 2). With no interest at all there
    is nothing to deduct and the form is not needed.
    """
    if line_1 + line_2 == 0:
        return False, "no investment interest paid this year and no carryforward from last year"
    if line_2 > 0:
        return True, f"disallowed investment interest of ${fmt_money(line_2)} is carried over from last year"
    if line_5 > 0:
        return True, "there are deductible investment expenses (line 5)"
    if line_1 >= line_4c:
        return True, (
            f"investment interest ${fmt_money(line_1)} is not less than investment income from interest "
            f"and non-qualified dividends ${fmt_money(line_4c)}"
        )
    return False, (
        f"investment interest ${fmt_money(line_1)} is less than investment income from interest and "
        f"non-qualified dividends ${fmt_money(line_4c)}, no other investment expenses and no carryover: "
        "deduct it on Schedule A line 9 without Form 4952"
    )


def _line_4e(line_4d: Decimal, line_15: Decimal, line_16: Decimal) -> Decimal:
    """Smaller of line 4d and net capital gain [F4952 line 4e]. Net capital gain = net LT
    gain minus net ST loss = min(Sch D line 15, line 16) when both are gains, else 0
    (§3.1; §2.4 Schedule D Tax Worksheet line 7)."""
    net_capital_gain = min(line_15, line_16) if line_15 > 0 and line_16 > 0 else ZERO
    return min(line_4d, net_capital_gain)


def form_4952(
    *,
    interest_paid: Decimal,
    carryover_interest: Decimal,
    investment_income: InvestmentIncome,
    lending_income: Decimal,
    schedule_d_line_15: Decimal,
    schedule_d_line_16: Decimal,
    election_4g: Decimal,
    itemizes: bool,
    params: YearParams,
    whole_dollars: bool = False,
) -> Form4952:
    """Form 4952 lines 1-8 (tax-rules.md §3.1 [F4952; IRC163d]).

    1 = investment interest paid this year (cash method, §3.6); 2 = last year's line 7;
    3 = 1 + 2; 4a = interest + ordinary dividends (+ the year's lending income when U10
    option ``lending_income_in_4a``); 4b = qualified dividends; 4c = 4a - 4b;
    4d = max(0, Schedule D line 16): net gain from dispositions including capital-loss
    carryovers [LENEHAN; UT4d]; 4e = min(4d, net capital gain); 4f = 4d - 4e; 4g = the
    election (0 <= 4g <= 4b + 4e, §3.3); 4h = 4c + 4f + 4g; 5 = 0 (§3.5);
    6 = max(0, 4h - 5); 7 = max(0, 3 - 6) (carried forward, §3.4, U8: whether or not the
    taxpayer itemizes); 8 = min(3, 6) (Schedule A line 9). ``lost_if_not_itemizing`` =
    line 8 when the standard deduction is taken (§3.4).
    """
    if investment_income.qualified_dividends > investment_income.ordinary_dividends:
        raise ProfileError(
            "profile: key 'investment_income.qualified_dividends': must not exceed ordinary_dividends "
            "(qualified dividends are included in ordinary dividends, Form 4952 line 4b)"
        )
    line_1 = _amount(interest_paid, whole_dollars)
    line_2 = _amount(carryover_interest, whole_dollars)
    line_3 = line_1 + line_2
    line_4a = _amount(
        investment_income.interest + investment_income.ordinary_dividends + lending_income, whole_dollars
    )
    line_4b = _amount(investment_income.qualified_dividends, whole_dollars)
    line_4c = line_4a - line_4b
    line_4d = max(ZERO, schedule_d_line_16)
    line_4e = _line_4e(line_4d, schedule_d_line_15, schedule_d_line_16)
    line_4f = line_4d - line_4e
    line_4g = _amount(election_4g, whole_dollars)
    if line_4g > line_4b + line_4e:
        raise ProfileError(
            f"profile: key 'form_4952.election_4g': {fmt_money(line_4g)} is more than the "
            f"qualified dividends (line 4b {fmt_money(line_4b)}) plus net capital gain "
            f"(line 4e {fmt_money(line_4e)}) available to elect (Form 4952 line 4g, tax-rules.md §3.3)"
        )
    line_4h = line_4c + line_4f + line_4g
    if not params.line_5_zero:
        raise NotSupported(f"Form 4952 line 5 (investment expenses) for {params.year}")
    line_5 = ZERO  # §3.5: miscellaneous itemized deductions are not allowed (2018+, OBBBA)
    line_6 = max(ZERO, line_4h - line_5)
    line_7 = max(ZERO, line_3 - line_6)
    line_8 = min(line_3, line_6)
    required, reason = form_4952_required(line_1, line_2, line_4c, line_5)
    return Form4952(
        line_1=line_1, line_2=line_2, line_3=line_3,
        line_4a=line_4a, line_4b=line_4b, line_4c=line_4c, line_4d=line_4d, line_4e=line_4e,
        line_4f=line_4f, line_4g=line_4g, line_4h=line_4h, line_5=line_5,
        line_6=line_6, line_7=line_7, line_8=line_8,
        required=required, required_reason=reason,
        lost_if_not_itemizing=ZERO if itemizes else line_8,
    )
