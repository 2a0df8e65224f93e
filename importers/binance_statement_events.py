"""Binance statement rows -> events (exchange-formats.md §1.1, §8; tax-rules.md §4).

All sub-accounts (Spot, Funding, Cross Margin, Isolated Margin, futures ...) are ONE pool,
account ``binance`` (tax-rules.md §5.1, U6): moves between them are non-taxable rows and
the sub-account only appears in each event's ``note``.

Margin rules:

* ``Margin Loan`` / ``Isolated Margin Loan`` -> Borrow. The outstanding principal is
  tracked per (sub-account, coin) in time order within the file.
* ``Margin Repayment`` / ``Isolated Margin Repayment`` / ``Cross Margin Liquidation -
  Repayment`` -> Repay of at most the outstanding principal; the excess is interest folded
  into the repayment (real rows: borrow 0.08 BTC, repay 0.08000033 BTC [pub-java-margin])
  -> an Interest event from the same row (``seq`` 1). A repayment with no loan in the file
  (borrowed before the export window) is all principal, with an info Diagnostic; implied
  interest above 1 % of the principal gets a Diagnostic ``repay-interest-review``.
* ``Margin Fee`` -> Interest (Form 4952 line 1, tax-rules.md §4.4).
* Liquidations: Binance writes no liquidation-sale operation; the forced sale is ordinary
  ``Transaction Sold/Revenue/Fee`` rows followed by ``... Liquidation - Repayment``. A trade
  group of a margin sub-account is a Liquidation when a liquidation row (repayment, small
  assets takeover, liquidation fee) of the same sub-account falls within
  :data:`LIQUIDATION_WINDOW` after the group's first row (or at the same time).
  ``Small Assets Takeover`` rows are themselves grouped into Liquidation events.
  ``Isolated Margin Liquidation - Fee`` -> a Fee event at its own time (tax-rules.md §4.2:
  a cost of the forced sale; the engine attaches same-second fees to the liquidation).
* ``BNB Fee Deduction`` -> Fee (a BNB disposal, §4.6); a positive one (refund) -> Income.
* Futures rows: ``Realized Profit and Loss`` -> RealizedPnl (gain received / loss sent);
  ``Funding Fee`` -> Funding; ``Fee`` (commission) -> RealizedPnl loss, since perp trading
  fees are part of the position's P&L (§4.7(4)); insurance-fund rows -> RealizedPnl by sign.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from taxmargin.errors import Severity, short_value
from taxmargin.importers.binance_common import Collector
from taxmargin.importers.binance_groups import Leg, cluster, group_events
from taxmargin.importers.binance_vocab import DUST_FAMILY, PURCHASE_FAMILY, TAKEOVER_FAMILY, Kind
from taxmargin.models import (
    Amount, Borrow, Deposit, EventBase, Fee, Funding, Income, Interest, Liquidation,
    RealizedPnl, Repay, SourceRef, Spend, Trade, Withdrawal,
)

__all__ = ["StatementRow", "build_events", "ACCOUNT", "LIQUIDATION_WINDOW"]

ACCOUNT = "binance"
#: A margin trade group is a liquidation when a liquidation row of its sub-account follows
#: within this window (constructed sample: sale 09:12:40, liquidation repayment 09:12:41).
LIQUIDATION_WINDOW = timedelta(seconds=5)
#: Interest folded into a repayment above this share of the principal is flagged for review.
INTEREST_REVIEW_RATIO = Decimal("0.01")

#: Remark tokens that look like ids, addresses or hashes (8+ characters with a digit): not
#: copied into notes (privacy: no account or user ids in events).
_ID_LIKE = re.compile(r"\b(?=[\w-]*\d)[\w-]{8,}\b")
_POSITIVE = {Kind.BORROW, Kind.DEPOSIT, Kind.INCOME}
_NEGATIVE = {Kind.REPAY, Kind.LIQ_REPAY, Kind.INTEREST, Kind.LIQ_FEE, Kind.WITHDRAWAL, Kind.SPEND, Kind.FEE_LEG}
_LIQUIDATION_MARKS = {Kind.LIQ_REPAY, Kind.LIQ_FEE}
_FAMILY_NAMES = {DUST_FAMILY: "dust conversion to BNB", TAKEOVER_FAMILY: "liquidation small assets takeover",
                 PURCHASE_FAMILY: "Buy Crypto", "convert": "Binance Convert", "otc": "OTC trade",
                 "auto-conversion": "stablecoin auto-conversion", "eth2": "ETH 2.0 staking swap",
                 "leverage-token": "leveraged token redemption", "swap": "liquid swap trade",
                 "token-swap": "token swap", "futures-convert": "futures asset conversion"}


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One validated statement row; ``change`` is signed (P17)."""

    source: SourceRef
    time: datetime
    account: str
    account_type: str
    operation: str
    kind: Kind
    family: str
    coin: str
    change: Decimal
    remark: str

    @property
    def quantity(self) -> Amount:
        return Amount(abs(self.change), self.coin)

    @property
    def note(self) -> str:
        """``Sub-account: Operation (remark)``; id-like tokens of the remark are redacted."""
        remark = _ID_LIKE.sub("…", self.remark)
        remark = f" ({short_value(remark, 60)})" if remark else ""
        return f"{self.account}: {self.operation}{remark}"


def _sign_ok(row: StatementRow, out: Collector) -> bool:
    """Rejects rows whose sign contradicts the operation; zero rows are non-taxable."""
    if row.change == 0:
        out.skip(row.source, "Change is zero: no balance effect")
        return False
    wrong = (row.kind in _POSITIVE and row.change < 0) or (row.kind in _NEGATIVE and row.change > 0)
    if wrong:
        expected = "positive" if row.kind in _POSITIVE else "negative"
        out.fail(row.source, "Change", format(row.change, "f"),
                 f"must be {expected} for operation '{row.operation}'")
        return False
    return True


class _LoanBook:
    """Outstanding principal per (sub-account, coin), in file time order."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], Decimal] = {}

    @staticmethod
    def _key(row: StatementRow) -> tuple[str, str]:
        return (row.account.replace(" ", ""), row.coin)  # "CrossMargin" = "Cross Margin"

    def borrow(self, row: StatementRow) -> None:
        key = self._key(row)
        self.open[key] = self.open.get(key, Decimal(0)) + row.change

    def repay(self, row: StatementRow) -> tuple[Decimal, Decimal, bool]:
        """(principal, interest, loan_known) of a repayment row."""
        key = self._key(row)
        owed = self.open.get(key, Decimal(0))
        paid = -row.change
        if owed <= 0:
            return paid, Decimal(0), False
        principal = min(paid, owed)
        self.open[key] = owed - principal
        return principal, paid - principal, True


def _make(cls: type[EventBase], row: StatementRow, *, sent: Amount | None = None, received: Amount | None = None,
          note: str = "", seq: int = 0) -> EventBase:
    """An event of ``row`` in the one pool ``binance``; the note names the sub-account."""
    return cls(time=row.time, account=ACCOUNT, source=row.source, sent=sent, received=received,
               note=note or row.note, seq=seq)


def _by_sign(row: StatementRow, gain: type[EventBase], loss: type[EventBase], note: str = "") -> EventBase:
    """``gain`` receiving the units when Change > 0, else ``loss`` sending them."""
    if row.change > 0:
        return _make(gain, row, received=row.quantity, note=note)
    return _make(loss, row, sent=row.quantity, note=note)


def _repay(row: StatementRow, loans: _LoanBook, out: Collector) -> None:
    principal, interest, known = loans.repay(row)
    out.event(_make(Repay, row, sent=Amount(principal, row.coin)), 1)
    if interest > 0:
        note = f"{row.note}: interest included in the repayment of {-row.change} {row.coin}"
        out.event(_make(Interest, row, sent=Amount(interest, row.coin), note=note, seq=1), 0)
    if interest > principal * INTEREST_REVIEW_RATIO:
        out.note(Severity.WARNING, "repay-interest-review",
                 f"repayment of {-row.change} {row.coin} exceeds the {principal} borrowed in this file by "
                 f"{interest}, booked as interest; if part of it repays a loan made before this export, "
                 "the interest is overstated", row.source)
    if not known:
        out.note(Severity.INFO, "repay-without-borrow",
                 f"repayment of {-row.change} {row.coin} with no loan earlier in this file: booked as principal",
                 row.source)


#: Rows that become one event whose side follows the sign (gain/received, loss/sent).
_SIGNED: dict[Kind, tuple[type[EventBase], type[EventBase]]] = {
    Kind.BORROW: (Borrow, Borrow),
    Kind.INTEREST: (Interest, Interest),
    Kind.LIQ_FEE: (Fee, Fee),
    Kind.DEPOSIT: (Deposit, Withdrawal),
    Kind.WITHDRAWAL: (Deposit, Withdrawal),
    Kind.BY_SIGN: (Deposit, Withdrawal),
    Kind.INCOME: (Income, Income),
    Kind.SPEND: (Spend, Spend),
    Kind.PNL: (RealizedPnl, RealizedPnl),
    Kind.FUNDING: (Funding, Funding),
}


def _single(row: StatementRow, loans: _LoanBook, out: Collector) -> None:
    """Events of a row that is not a trade leg (signs were checked by :func:`_sign_ok`)."""
    kind = row.kind
    if kind in _SIGNED:
        if kind is Kind.BORROW:
            loans.borrow(row)
        out.event(_by_sign(row, *_SIGNED[kind]))
    elif kind in (Kind.REPAY, Kind.LIQ_REPAY):
        _repay(row, loans, out)
    elif kind is Kind.BNB_FEE:
        out.event(_by_sign(row, Income, Fee, row.note + (": refund of a fee" if row.change > 0 else "")))
    elif kind is Kind.FUTURES_FEE:
        note = row.note + (": fee rebate" if row.change > 0 else ": trading fee, part of realized P&L (tax-rules.md §4.7)")
        out.event(_by_sign(row, Income, RealizedPnl, note))
    elif kind is Kind.INTERNAL:
        out.skip(row.source, "internal transfer between Binance sub-accounts: one pool per exchange account (U6)")
    else:  # Kind.EARN_MOVE
        out.skip(row.source, "earn subscription/redemption: the units stay the owner's")


def _is_liquidation(group: Sequence[Leg], account: str, marks: dict[str, list[datetime]]) -> bool:
    """A liquidation row of ``account`` in [first leg, last leg + window] (marks are sorted)."""
    times = marks.get(account, [])
    index = bisect.bisect_left(times, group[0].time)
    return index < len(times) and times[index] <= max(leg.time for leg in group) + LIQUIDATION_WINDOW


def _emit_group(group: list[Leg], key: tuple[str, str, str], marks: dict[str, list[datetime]], out: Collector) -> None:
    account, account_type, family = key
    rows = len(group)
    label = _FAMILY_NAMES.get(family, family)
    if family == PURCHASE_FAMILY and all(leg.change > 0 for leg in group):
        for leg in group:
            out.event(Deposit(time=leg.time, account=ACCOUNT, source=leg.source, received=Amount(leg.change, leg.asset),
                              note=f"{account}: Buy Crypto (paid by card or fiat outside this file; price not stated)"))
        return
    liquidation = family == TAKEOVER_FAMILY or (account_type == "margin" and _is_liquidation(group, account, marks))
    note = f"{account}: {label} ({rows} row{'s' if rows > 1 else ''})"
    if liquidation:
        note += "; forced liquidation"
    outcome = group_events(group, account=ACCOUNT, note=note, kind=Liquidation if liquidation else Trade)
    for event, count in outcome.events:
        out.event(event, count)
    out.reject(outcome.errors)
    out.diagnostics.extend(outcome.diagnostics)


def _check_transfers(rows: Sequence[StatementRow], out: Collector) -> None:
    """Warn when the two rows of an internal transfer do not net to zero (one side missing)."""
    nets: dict[tuple[datetime, str], tuple[Decimal, SourceRef]] = {}
    for row in rows:
        if row.kind is Kind.INTERNAL:
            net, source = nets.get((row.time, row.coin), (Decimal(0), row.source))
            nets[(row.time, row.coin)] = (net + row.change, source)
    for (time, coin), (net, source) in nets.items():
        if net != 0:
            out.note(Severity.WARNING, "unbalanced-transfer",
                     f"internal transfer rows of {coin} at {time:%Y-%m-%d %H:%M:%S} net to {net}, not 0: "
                     "the other side may be outside this export, and the pool balance will be off", source)


def build_events(rows: Sequence[StatementRow], out: Collector) -> None:
    """Turn validated statement rows into events (module doc), recording into ``out``."""
    ordered = [r for r in sorted(rows, key=lambda r: (r.time, r.source.line)) if _sign_ok(r, out)]
    legs: dict[tuple[str, str, str], list[Leg]] = {}
    marks: dict[str, list[datetime]] = {}
    loans = _LoanBook()
    for row in ordered:
        if row.kind in _LIQUIDATION_MARKS or row.family == TAKEOVER_FAMILY:
            marks.setdefault(row.account, []).append(row.time)
        if row.kind in (Kind.TRADE_LEG, Kind.FEE_LEG):
            key = (row.account, row.account_type, row.family)
            legs.setdefault(key, []).append(Leg(row.time, row.source, row.coin, row.change, row.kind is Kind.FEE_LEG))
        else:
            _single(row, loans, out)
    for key, family_legs in legs.items():
        for group in cluster(family_legs, chain=key[2] == DUST_FAMILY):
            _emit_group(group, key, marks, out)
    _check_transfers(ordered, out)
