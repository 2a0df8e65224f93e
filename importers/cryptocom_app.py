"""Crypto.com App ("Crypto Wallet" / fiat wallet) transaction history.

Layouts (exchange-formats.md §10):

* ``cryptocom-app-v1`` (2019 -> 2022-04) — ``Timestamp (UTC),Transaction Description,Currency,
  Amount,To Currency,To Amount,Native Currency,Native Amount,Native Amount (in USD),
  Transaction Kind`` [BT-cryptocom] (parser since 79a9bc8), rotki's fixture
  ``cryptocom_trades_list.csv`` (BOM) [ROTKI-cdc], [CFF].
* ``cryptocom-app-v2`` (2022-04 ->) — v1 + ``Transaction Hash`` [BT-cryptocom] (b6b82da);
  real 2024-2025 sample [ETG-cdc]; confirmed as the current header by BittyTax's parser,
  which declares exactly these two versions.

Pitfalls handled: P1 (BOM of the rotki file), P7/P8 (long decimals, exact Decimal), P11
(newest first), P17 (signs). Time zone: ``Timestamp (UTC)`` = UTC. ``Amount`` is signed (negative = out); the sign of
``Native Amount`` is unreliable and ignored (P17, §10). ``Native Amount (in USD)`` is a USD
value stated by the file: it becomes the event's ``usd_value`` (zero = not stated); its
up-to-43-digit values are rounded to 18 places (beyond the quantity limit).

Kinds (tables below, each from the sources in §10). One-row trades: ``Currency``/``Amount``
out, ``To Currency``/``To Amount`` in; limit orders count only at ``*_commit`` (``*_lock``
and ``*_unlock`` are holds, non-taxable); card/fiat purchases (``crypto_purchase``) take the
fiat leg from ``Native Currency``/``Native Amount``; credited/debited pairs are in
:mod:`~taxmargin.importers.cryptocom_app_pairs`; income (rewards, cashback, referral,
Earn interest, staking rewards counted once — the staking pitfall of §10: lock, unlock
and unstake are moves) -> Income; merchant payments, card top-ups, reward reversals ->
Spend; on-chain and App<->Exchange transfers -> Deposit/Withdrawal (the Exchange is a
separate export: the transfer stage pairs them); transfers to/from other Crypto.com users
-> Withdrawal (a gift is not a disposal) / Deposit (basis unknown); Earn, lock-up, stake,
Supercharger, Invest moves -> non-taxable. Fiat-wallet rows have no kind: "Deposit" /
"Withdrawal" in the description decides [BT-cryptocom]. Unknown kinds are rejected (kinds
keep being added, §10). No margin exists in the App (§14). Account name ``cryptocom``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    RowContext,
)
from taxmargin.importers.bybit_shared import (
    Collector,
    layouts,
    number,
    read_rows,
    row_time,
    usd_value,
    where,
)
from taxmargin.importers.cryptocom_app_pairs import PairRow, book_pairs, family_of

from taxmargin.models import (
    Amount,
    Deposit,
    EventBase,
    Income,
    Spend,
    Trade,
    Withdrawal,
)

__all__ = ["LAYOUTS", "CryptocomAppV1", "CryptocomAppV2"]

ACCOUNT = "cryptocom"
ONE_ROW_TRADES = frozenset({
    "crypto_exchange", "viban_purchase", "van_purchase", "crypto_viban_exchange", "crypto_to_van_sell_order",
    "recurring_buy_order", "trading.limit_order.crypto_wallet.exchange"})
CARD_PURCHASES = frozenset({"crypto_purchase", "trading.crypto_purchase.google_pay"})
INCOME = frozenset({
    "crypto_earn_interest_paid", "crypto_earn_extra_interest_paid",
    "finance.crypto_earn.loyalty_program_extra_interest_paid.crypto_wallet", "mco_stake_reward",
    "finance.lockup.dpos_compound_interest.crypto_wallet", "finance.dpos.compound_interest.crypto_wallet",
    "finance.dpos.non_compound_interest.crypto_wallet", "supercharger_reward_to_app_credited",
    "rewards_platform_deposit_credited", "referral_bonus", "referral_gift", "referral_card_cashback",
    "transfer_cashback", "pay_checkout_reward", "reimbursement", "gift_card_reward", "admin_wallet_credited",
    "campaign_reward", "reward.loyalty_program.trading_rebate.crypto_wallet", "referral_commission",
    "referral_crypto_cashback", "staking_reward", "council_node_interest_created", "mobile_airtime_reward",
    "crypto_payment_refund"})
SPEND = frozenset({"crypto_payment", "card_top_up", "reimbursement_reverted", "card_cashback_reverted",
                   "transfer_cashback_reverted", "admin_wallet_debited"})
DEPOSITS = frozenset({"crypto_deposit", "exchange_to_crypto_transfer", "viban_deposit"})
WITHDRAWALS = frozenset({"crypto_withdrawal", "crypto_to_exchange_transfer", "viban_withdrawal",
                         "viban_card_top_up"})
P2P = frozenset({"crypto_transfer", "transfer.p2p_transfer.crypto_wallet.crypto_wallet.credit",
                 "transfer.p2p_transfer.crypto_wallet.crypto_wallet.debit"})
MOVES = frozenset({
    "crypto_earn_program_created", "crypto_earn_program_withdrawn", "lockup_lock", "lockup_unlock",
    "lockup_upgrade", "lockup_swap_rebate", "finance.lockup.dpos_lock.crypto_wallet",
    "finance.lockup.dpos_unlock.crypto_wallet", "finance.dpos.staking.crypto_wallet",
    "finance.dpos.unstaking.crypto_wallet", "supercharger_deposit", "supercharger_withdrawal",
    "council_node_deposit_created", "council_node_withdrawn", "dynamic_coin_swap_bonus_exchange_deposit",
    "airdrop_locked", "cro_airdrop_adjusted", "viban_deposit_precredit", "viban_deposit_precredit_repayment",
    "invest_deposit", "invest_withdrawal"})


def _is_commit(kind: str) -> bool:
    return kind.startswith("trading.limit_order.") and kind.endswith("_commit")


def _is_hold(kind: str) -> bool:
    return kind.startswith("trading.limit_order.") and kind.endswith(("_lock", "_unlock"))


def _fiat_kind(ctx: RowContext) -> str:
    text = ctx.get("Transaction Description").lower()
    return "fiat_deposit" if "deposit" in text else "fiat_withdrawal" if "withdrawal" in text else ""


def _event(ctx: RowContext, kind: str, when: datetime, amount: Decimal) -> EventBase | str:
    """The event of a one-row kind, or what is wrong with the row."""
    base = where(when, ACCOUNT, ctx.source)
    asset, usd = ctx.get("Currency").upper(), usd_value(ctx, "Native Amount (in USD)")
    note = ctx.get("Transaction Description")
    moved = Amount(abs(amount), asset)
    if kind in ONE_ROW_TRADES or _is_commit(kind):
        to_amount, to_asset = number(ctx, "To Amount"), ctx.get("To Currency").upper()
        if amount >= 0 or to_amount is None or to_amount <= 0 or not to_asset:
            return "one-row trade needs a negative Amount and a positive To Amount with its currency"
        return Trade(**base, sent=moved, received=Amount(to_amount, to_asset), usd_value=usd, note=note)
    if kind in CARD_PURCHASES:
        native, fiat = number(ctx, "Native Amount"), ctx.get("Native Currency").upper()
        if amount <= 0 or not native or not fiat or fiat == asset:
            return "card purchase needs a positive Amount and a Native Amount in another currency"
        return Trade(**base, sent=Amount(abs(native), fiat), received=moved, usd_value=usd, note=note)
    incoming = kind in INCOME or kind in DEPOSITS or kind == "fiat_deposit" or (kind in P2P and amount > 0)
    if (amount > 0) != incoming:
        return "the sign of Amount does not fit this kind"
    if kind in INCOME:
        return Income(**base, received=moved, usd_value=usd, note=note)
    if kind in SPEND:
        return Spend(**base, sent=moved, usd_value=usd, note=note)
    tx_hash = ctx.get("Transaction Hash")
    event_id = f"{ACCOUNT}:{tx_hash}" if tx_hash else ""
    if incoming:
        return Deposit(**base, received=moved, usd_value=usd, note=note, event_id=event_id)
    return Withdrawal(**base, sent=moved, usd_value=usd, note=note, event_id=event_id)


_KNOWN = ONE_ROW_TRADES | CARD_PURCHASES | INCOME | SPEND | DEPOSITS | WITHDRAWALS | P2P | MOVES


class _AppHistory(CsvLayout):
    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        pairs: list[PairRow] = []
        seen_hashes: dict[str, int] = {}
        for ctx in read_rows(self, file, col):
            when = row_time(ctx, "Timestamp (UTC)", UTC)
            amount = number(ctx, "Amount")
            kind = ctx.get("Transaction Kind") or _fiat_kind(ctx)
            if not ctx.get("Currency"):
                ctx.fail("Currency", "is required")
            family = family_of(kind)
            if not (kind in _KNOWN or family or _is_commit(kind) or _is_hold(kind)
                    or kind in ("fiat_deposit", "fiat_withdrawal")):
                ctx.fail("Transaction Kind", "unknown transaction kind")
            if when is None or amount is None or ctx.errors:
                col.reject(ctx.errors)
            elif kind in MOVES or _is_hold(kind):
                col.skip(ctx.source, f"move between own Crypto.com sub-accounts or an order hold ({kind})")
            elif family:
                usd = usd_value(ctx, "Native Amount (in USD)")
                pairs.append(PairRow(ctx, when, ctx.get("Currency").upper(), amount, usd, family))
            else:
                self._single(col, ctx, kind, when, amount, seen_hashes)
        book_pairs(col, pairs)
        return col.result()

    @staticmethod
    def _single(col: Collector, ctx: RowContext, kind: str, when: datetime, amount: Decimal,
                seen: dict[str, int]) -> None:
        event = _event(ctx, kind, when, amount)
        if isinstance(event, str):
            ctx.fail("Amount", event)
        elif event.event_id:
            first = seen.setdefault(event.event_id, ctx.source.line)
            if first != ctx.source.line:
                ctx.fail("Transaction Hash", f"same transaction hash as line {first}")
        if ctx.errors or isinstance(event, str):
            col.reject(ctx.errors)
        else:
            col.event(event, [ctx.source])


class CryptocomAppV1(_AppHistory):
    name = "cryptocom-app-v1"
    description = "Crypto.com App transaction history, 10 columns (2019-2022)"
    columns = ("Timestamp (UTC)", "Transaction Description", "Currency", "Amount", "To Currency", "To Amount",
               "Native Currency", "Native Amount", "Native Amount (in USD)", "Transaction Kind")
    strict_columns = True


class CryptocomAppV2(_AppHistory):
    name = "cryptocom-app-v2"
    description = "Crypto.com App transaction history with Transaction Hash (2022-)"
    columns = (*CryptocomAppV1.columns, "Transaction Hash")


LAYOUTS: tuple[Layout, ...] = layouts(CryptocomAppV1(), CryptocomAppV2())
