"""Two-row trades of the Crypto.com App export (credited + debited rows at one second).

Kinds ``dust_conversion_*``, ``dynamic_coin_swap_*`` ("MCO/CRO Overall Swap"),
``interest_swap_*``, ``crypto_wallet_swap_*`` and ``lockup_swap_*`` (exchange-formats.md
§10). Rows are paired by second and kind family. ``crypto_wallet_swap_*`` and
``lockup_swap_*`` rows at a second that also has ``dynamic_coin_swap_*`` rows are
components of that swap, duplicated in 2020 exports ("Overall Swap" CRO 1382.306147552291
= "CRO Stake" 1382.195 + "Wallet Swap" 0.111147552291 [ROTKI-cdc]): they are non-taxable
duplicates. Standing alone (2025 "Balance Conversion" USDT -> USDC [ETG-cdc]) they are the
trade.

A dust conversion may credit one coin for several debited coins: the credited quantity
(only it, unlike rotki, which also scales the debited amounts) is allocated to each
debited coin in proportion to that row's ``Native Amount (in USD)``, giving one Trade per
debited coin (tax-rules.md §4.0(2): each coin given up is a separate disposal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from taxmargin.importers.base import RowContext
from taxmargin.importers.bybit_shared import Collector

from taxmargin.models import Amount, Trade
from taxmargin.money import ZERO

__all__ = ["FAMILIES", "PairRow", "book_pairs", "family_of"]

ACCOUNT = "cryptocom"
FAMILIES = ("dust_conversion", "dynamic_coin_swap", "interest_swap", "crypto_wallet_swap", "lockup_swap")
_COMPONENTS = frozenset({"crypto_wallet_swap", "lockup_swap"})


@dataclass(frozen=True, slots=True)
class PairRow:
    ctx: RowContext
    time: datetime
    currency: str
    amount: Decimal  # signed
    usd: Decimal | None
    family: str


def family_of(kind: str) -> str | None:
    for family in FAMILIES:
        if kind in (f"{family}_credited", f"{family}_debited"):
            return family
    return None


def book_pairs(col: Collector, rows: Sequence[PairRow]) -> None:
    groups: dict[tuple[datetime, str], list[PairRow]] = defaultdict(list)
    for row in rows:
        groups[(row.time, row.family)].append(row)
    swaps = {when for when, family in groups if family == "dynamic_coin_swap"}
    for (when, family), group in groups.items():
        if family in _COMPONENTS and when in swaps:
            for row in group:
                col.skip(row.ctx.source, "component of the Overall Swap at the same second (duplicate)")
        else:
            _pair(col, group)


def _sides(rows: Sequence[PairRow], credited: bool) -> dict[str, tuple[Decimal, Decimal | None]]:
    """Per currency: (total quantity, total USD value or None if any row lacks one)."""
    out: dict[str, tuple[Decimal, Decimal | None]] = {}
    for row in rows:
        if (row.amount > 0) != credited:
            continue
        qty, usd = out.get(row.currency, (ZERO, ZERO))
        out[row.currency] = (qty + abs(row.amount), None if usd is None or row.usd is None else usd + row.usd)
    return out


def _pair(col: Collector, rows: Sequence[PairRow]) -> None:
    sources = [r.ctx.source for r in rows]
    got, gave = _sides(rows, True), _sides(rows, False)
    if not got or not gave:
        col.fail(sources, "Transaction Kind", rows[0].ctx.get("Transaction Kind"), "trade leg without its counter-leg")
        return
    if len(got) > 1 and len(gave) > 1:
        col.fail(sources, "Transaction Kind", rows[0].ctx.get("Transaction Kind"),
                 "several coins credited and debited at one second: the split is not in the file")
        return
    single_is_credit = len(got) == 1
    (one_asset, (one_qty, one_usd)), many = (next(iter(got.items())), gave) if single_is_credit \
        else (next(iter(gave.items())), got)
    weights = {asset: usd for asset, (_, usd) in many.items()}
    if len(many) > 1 and any(not w for w in weights.values()):
        col.fail(sources, "Native Amount (in USD)", "", "several coins converted at once and a USD value is "
                 "missing: the split of the other side is not in the file")
        return
    parts = _allocate(one_qty, {a: w or Decimal(1) for a, w in weights.items()})
    usd_parts = _allocate(one_usd, {a: w or Decimal(1) for a, w in weights.items()}) if one_usd else {}
    first = min(rows, key=lambda r: r.ctx.source)
    note = first.ctx.get("Transaction Description") or first.family
    for seq, (asset, (qty, usd)) in enumerate(sorted(many.items())):
        one = Amount(parts[asset], one_asset)
        other = Amount(qty, asset)
        sent, received = (other, one) if single_is_credit else (one, other)
        value = usd_parts.get(asset) if single_is_credit else usd
        trade = Trade(time=first.time, account=ACCOUNT, source=first.ctx.source, sent=sent, received=received,
                      usd_value=value, note=note, seq=seq)
        col.event(trade, sources if seq == 0 else [])


def _allocate(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """Split ``total`` by ``weights`` at its own precision; the last part takes the
    remainder so the parts add up to ``total`` exactly."""
    exponent = total.as_tuple().exponent
    places = min(exponent if isinstance(exponent, int) else 0, -8)
    unit = Decimal(1).scaleb(places)
    names = sorted(weights)
    whole = sum(weights.values(), ZERO)
    parts: dict[str, Decimal] = {}
    for name in names[:-1]:
        parts[name] = (total * weights[name] / whole).quantize(unit)
    parts[names[-1]] = total - sum(parts.values(), ZERO)
    return parts
