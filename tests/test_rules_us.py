"""rules.us / rules.params / year diagnostics / year-end positions, on hand-built Bookings
(tax-rules.md §1.2, §6, §9; interfaces.md §3)."""

from __future__ import annotations

import pytest
from booking_support import D, booking, t

from taxmargin.booking import (
    Disposal,
    FundingPayment,
    IncomeItem,
    InterestPayment,
    Liability,
    OpenLot,
    OpenShort,
    Purpose,
    Term,
)
from taxmargin.errors import Diagnostic, NotSupported, Severity
from taxmargin.models import SourceRef
from taxmargin.profile import Profile, parse_profile
from taxmargin.rules.params import PARAMS, params_for
from taxmargin.rules.us import form8949_box, tax_year


def src(line: int, path: str = "x.csv") -> SourceRef:
    return SourceRef(path, line)


def disp(acquired: str, disposed: str, *, line: int = 1, lot_line: int = 100, account: str = "binance",
         asset: str = "BTC", qty: str = "1", proceeds: str = "100", basis: str = "50", **kw: object) -> Disposal:
    return Disposal(account=account, asset=asset, quantity=D(qty), acquired=t(acquired), disposed=t(disposed),
                    proceeds_usd=D(proceeds), basis_usd=D(basis), sources=(src(line), src(lot_line)),
                    **kw)  # type: ignore[arg-type]


def profile(**kw: object) -> Profile:
    return parse_profile(dict(kw))


def codes(diags: tuple[Diagnostic, ...]) -> list[str]:
    return [d.code for d in diags]


# ---- §1.2 box algorithm and per-year parameters -------------------------------------------

@pytest.mark.parametrize(
    ("term", "on_1099da", "basis", "box"),
    [
        (Term.SHORT, False, False, "I"),  # no 1099-DA -> I (ST)
        (Term.LONG, False, False, "L"),  # no 1099-DA -> L (LT)
        (Term.SHORT, True, False, "H"),  # 1099-DA, box 2 unchecked -> H
        (Term.LONG, True, False, "K"),
        (Term.SHORT, True, True, "G"),  # 1099-DA, box 2 checked -> G
        (Term.LONG, True, True, "J"),
    ],
)
def test_form8949_box(term: Term, on_1099da: bool, basis: bool, box: str) -> None:
    assert form8949_box(term, reported_on_1099da=on_1099da, basis_reported=basis) == box


def test_form8949_box_2024_form_has_no_digital_asset_boxes() -> None:
    # the 2024 Form 8949 has boxes A-F only: unreported transactions are C / F
    assert form8949_box(Term.SHORT, params=params_for(2024)) == "C"
    assert form8949_box(Term.LONG, params=params_for(2024)) == "F"
    with pytest.raises(ValueError):
        form8949_box(Term.SHORT, basis_reported=True)


@pytest.mark.parametrize(
    ("year", "rows", "final"),
    [(2024, 14, True), (2025, 11, True), (2026, 11, False)],  # §1.5 [MAP8949]; §1.8 2026 pending
)
def test_params_rows_per_page(year: int, rows: int, final: bool) -> None:
    params = params_for(year)
    assert (params.rows_per_page, params.rows_per_page_final) == (rows, final)
    assert params.loss_limit_for("single") == D("3000") and params.loss_limit_for("mfs") == D("1500")


def test_params_2025_values() -> None:
    p = params_for(2025)
    # §2.4 2025 breakpoints; §3.7 2025 standard deduction (OBBBA)
    assert p.by_status(p.zero_rate_max, "single") == D("48350")
    assert p.by_status(p.zero_rate_max, "qss") == D("96700")
    assert p.by_status(p.fifteen_rate_max, "mfs") == D("300000")
    assert p.by_status(p.standard_deduction, "hoh") == D("23625")
    assert p.boxes_not_reported.short == "I" and p.boxes_not_reported.long == "L"
    assert str(p.fee_rule_switch) == "2025-01-01" and p.line_5_zero
    # §2.4 2026: 0% to 49,450 single, 98,900 MFJ; standard deduction 16,100 / 32,200
    q = params_for(2026)
    assert (q.by_status(q.zero_rate_max, "single"), q.by_status(q.zero_rate_max, "mfj")) == (D("49450"), D("98900"))
    assert (q.by_status(q.standard_deduction, "single"), q.by_status(q.standard_deduction, "mfj")) == (
        D("16100"), D("32200"))


def test_unknown_year_is_not_supported() -> None:
    with pytest.raises(NotSupported, match="2023"):
        params_for(2023)
    with pytest.raises(NotSupported):
        tax_year(booking(), Profile(), 2019)
    assert sorted(PARAMS) == [2024, 2025, 2026]


def test_unknown_method_is_not_supported() -> None:
    with pytest.raises(NotSupported, match="method"):
        tax_year(booking(), Profile(), 2025, method="average")


# ---- year selection, dates, term ----------------------------------------------------------

def test_year_assignment_follows_the_profile_zone() -> None:
    # §6.3: a sale at 2026-01-01T03:00Z is 2025 in America/New_York and 2026 in UTC
    b = booking(disposals=(disp("2025-06-01T12:00:00", "2026-01-01T03:00:00"),))
    ny = profile(timezone="America/New_York")
    assert len(tax_year(b, ny, 2025).rows) == 1 and not tax_year(b, ny, 2026).rows
    assert len(tax_year(b, Profile(), 2026).rows) == 1 and not tax_year(b, Profile(), 2025).rows
    row = tax_year(b, ny, 2025).rows[0]
    assert (str(row.date_acquired), str(row.date_sold)) == ("2025-06-01", "2025-12-31")


@pytest.mark.parametrize(
    ("acquired", "disposed", "zone", "term", "box"),
    [
        # §6.1: acq 2024-01-15 -> 2025-01-16 LT (box L); 2025-01-15 ST (box I)
        ("2024-01-15T12:00:00", "2025-01-16T12:00:00", "UTC", Term.LONG, "L"),
        ("2024-01-15T12:00:00", "2025-01-15T12:00:00", "UTC", Term.SHORT, "I"),
        # §6.3 + §6.1: sold 2025-01-16T02:00Z is 2025-01-15 in New York -> exactly one year -> ST
        ("2024-01-15T12:00:00", "2025-01-16T02:00:00", "America/New_York", Term.SHORT, "I"),
    ],
)
def test_row_term_and_box(acquired: str, disposed: str, zone: str, term: Term, box: str) -> None:
    ty = tax_year(booking(disposals=(disp(acquired, disposed),)), profile(timezone=zone), 2025)
    assert (ty.rows[0].term, ty.rows[0].box, ty.rows[0].part) == (term, box, "II" if term is Term.LONG else "I")


def test_month_end_option_u7() -> None:
    # U7: acq 2023-02-28, sold 2024-02-29: conservative ST (box C on the 2024 form); naive LT (F)
    b = booking(disposals=(disp("2023-02-28T12:00:00", "2024-02-29T12:00:00"),))
    assert tax_year(b, Profile(), 2024).rows[0].box == "C"
    naive = profile(options={"month_end_rule": "naive"})
    assert tax_year(b, naive, 2024).rows[0].term is Term.LONG
    assert ("month_end_rule", "naive") in tax_year(b, naive, 2024).options


def test_term_override_wins() -> None:
    # U2 short against the box: the engine fixes the term regardless of dates
    b = booking(disposals=(disp("2025-03-01T00:00:00", "2025-05-01T00:00:00", term_override=Term.LONG),))
    assert tax_year(b, Profile(), 2025).rows[0].term is Term.LONG


def test_items_of_the_year() -> None:
    inc = IncomeItem(t("2025-12-31T23:00:00"), "binance", "USDT", D("5"), D("5"), "income", src(7))
    inc_next = IncomeItem(t("2026-01-02T00:00:00"), "binance", "USDT", D("1"), D("1"), "funding", src(8))
    pay = InterestPayment(t("2025-05-12T00:00:00"), "kraken", "USD", D("52"), D("52"), src(9))
    fund = FundingPayment(t("2024-12-31T00:00:00"), "bybit", "USDT", D("2"), D("2"), src(10))
    ty = tax_year(booking(income=(inc, inc_next), interest=(pay,), funding_paid=(fund,)), Profile(), 2025)
    assert ty.income == (inc,) and ty.interest == (pay,) and ty.funding_paid == ()


# ---- diagnostics ---------------------------------------------------------------------------

def test_holding_boundary_warning() -> None:
    # §6.3 (2): acq 2024-01-15, sold 2025-01-16 (first LT day) -> warning; 2025-03-01 -> none
    near = disp("2024-01-15T12:00:00", "2025-01-16T12:00:00", line=3)
    far = disp("2024-01-15T12:00:00", "2025-03-01T12:00:00", line=4)
    ty = tax_year(booking(disposals=(near, far)), Profile(), 2025)
    boundary = [d for d in ty.diagnostics if d.code == "holding-boundary"]
    assert len(boundary) == 1 and boundary[0].source == src(3)
    assert "long-term" in boundary[0].message


def test_holding_boundary_mentions_u7_disagreement() -> None:
    ty = tax_year(booking(disposals=(disp("2023-02-28T12:00:00", "2024-02-29T12:00:00"),)), Profile(), 2024)
    (diag,) = [d for d in ty.diagnostics if d.code == "holding-boundary"]
    assert "U7" in diag.message


@pytest.mark.parametrize(
    ("when", "warned"),
    [
        ("2025-01-01T05:00:00", True),  # 00:00 New York = 05:00Z: exactly at the start
        ("2025-01-02T04:59:00", True),  # 23 h 59 m after the start
        ("2025-01-02T05:00:00", False),  # 24 h after: outside
        ("2025-12-31T12:00:00", True),  # 17 h before the end (2026-01-01T05:00Z)
        ("2026-01-01T03:00:00", True),  # §6.3 example: still 2025 locally, 2 h before the end
        ("2025-06-15T12:00:00", False),
    ],
)
def test_year_boundary_warning(when: str, warned: bool) -> None:
    b = booking(disposals=(disp("2024-06-01T00:00:00", when, line=5),))
    ty = tax_year(b, profile(timezone="America/New_York"), 2025)
    assert ("year-boundary" in codes(ty.diagnostics)) is warned


def test_year_boundary_also_warns_for_events_just_outside_the_year() -> None:
    # 2026-01-01T06:00Z is 2026-01-01 01:00 in New York: a 2026 event, 1 h after the 2025 end
    b = booking(interest=(InterestPayment(t("2026-01-01T06:00:00"), "kraken", "USD", D("1"), D("1"), src(2)),))
    ty = tax_year(b, profile(timezone="America/New_York"), 2025)
    (diag,) = [d for d in ty.diagnostics if d.code == "year-boundary"]
    assert "tax year 2026" in diag.message and diag.source == src(2)


def test_booking_diagnostics_are_filtered_to_the_year() -> None:
    d2024 = disp("2023-01-01T00:00:00", "2024-05-01T00:00:00", line=10, lot_line=11)
    d2025 = disp("2023-01-01T00:00:00", "2025-05-01T00:00:00", line=20, lot_line=21)
    diags = (
        Diagnostic(Severity.WARNING, "missing-price", "2024 sale", src(10)),  # other year: dropped
        Diagnostic(Severity.WARNING, "missing-basis", "lot of the 2025 sale", src(21)),  # behind a row: kept
        Diagnostic(Severity.WARNING, "missing-price", "2025 sale", src(20)),  # kept
        Diagnostic(Severity.INFO, "note", "no source"),  # kept
        Diagnostic(Severity.WARNING, "negative-balance", "undated row", src(99)),  # unknown: kept
    )
    ty = tax_year(booking(disposals=(d2024, d2025), diagnostics=diags), Profile(), 2025)
    kept = [d.message for d in ty.diagnostics if d in diags]
    assert kept == ["lot of the 2025 sale", "2025 sale", "no source", "undated row"]


def test_may_be_broker_reported() -> None:
    # §1.2: 2025 sales at a US custodial broker may be on a 1099-DA; one warning per account
    rows = (
        disp("2025-02-01T00:00:00", "2025-03-01T00:00:00", account="coinbase", line=1),
        disp("2025-02-01T00:00:00", "2025-03-02T00:00:00", account="coinbase", line=2),
        disp("2025-02-01T00:00:00", "2025-03-03T00:00:00", account="bybit", line=3),  # offshore
        disp("2025-02-01T00:00:00", "2025-03-04T00:00:00", account="kraken", line=4,
             purpose=Purpose.SHORT, short_sale=True),  # short sales are not reported (N2024-57)
    )
    ty = tax_year(booking(disposals=rows), Profile(), 2025)
    flagged = [d for d in ty.diagnostics if d.code == "may-be-broker-reported"]
    assert len(flagged) == 1 and flagged[0].message.startswith("2 Form 8949 rows at coinbase")


def test_form_draft_note_for_2026() -> None:
    assert "form-draft" in codes(tax_year(booking(), Profile(), 2026).diagnostics)
    assert "form-draft" not in codes(tax_year(booking(), Profile(), 2025).diagnostics)


# ---- year-end positions --------------------------------------------------------------------

def test_open_positions_as_of_year_end() -> None:
    lot_open = OpenLot("binance", "BTC", D("0.3"), D("30"), t("2025-03-01T00:00:00"), src(1), "L1")
    lot_later = OpenLot("binance", "ETH", D("2"), D("4000"), t("2026-02-01T00:00:00"), src(2), "L2")
    # 0.2 of lot L1 sold in 2026: it was open at 2025 year end -> L1 at year end = 0.5, basis 50
    sold_later = disp("2025-03-01T00:00:00", "2026-03-01T00:00:00", qty="0.2", basis="20",
                      line=3, lot_line=1, lot_id="L1")
    short = OpenShort("kraken", "ETH", D("10"), D("21978"), t("2025-03-01T00:00:00"), src(4))
    b = booking(disposals=(sold_later,), open_lots=(lot_open, lot_later), open_shorts=(short,),
                liabilities=(Liability("kraken", "ETH", D("10")),))
    ty = tax_year(b, Profile(), 2025)
    assert [(lot.asset, lot.quantity, lot.basis_usd) for lot in ty.open_lots] == [("BTC", D("0.5"), D("50"))]
    assert ty.open_shorts == (short,)
    assert "open-positions" in codes(ty.diagnostics)  # booked events continue into 2026


def test_options_used_lists_the_register_and_the_engine_first() -> None:
    b = booking(options=(("short_against_box", "literal"), ("fee_rule", "reg-1012-h"), ("method", "fifo"),
                         ("method", "hifo")))
    ty = tax_year(b, Profile(), 2025, method="hifo")
    opts = dict(ty.options)
    assert len(opts) == len(ty.options)  # names are unique
    assert ty.method == "hifo" and opts["method"] == "fifo, hifo"  # what the engine used
    assert opts["short_against_box"] == "literal"  # the engine's value wins
    assert opts["fee_rule"] == "reg-1012-h" and opts["funding_treatment"] == "ordinary_in_nondeductible_out"
    assert ty.options[0] == ("short_against_box", "literal")
