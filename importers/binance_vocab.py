"""Vocabulary of the Binance Transaction History statement (exchange-formats.md §1.1).

Each ``Operation`` maps to a :class:`Kind` (what event it becomes) and, for trade legs, a
*family*: legs are only grouped with legs of the same family in the same sub-account, so a
dust conversion and an ordinary trade in one second stay apart. Futures sub-accounts have
their own table (there ``Fee`` is a commission, not a trade leg). Names come from
[BT-binance], [ROTKI], [pub-es-taxonomy], [pub-java-margin] as listed in §1.1; any other
value is rejected ("an importer must fail loudly on unknown values").
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Kind", "ACCOUNTS", "operation_kind", "DUST_FAMILY", "TAKEOVER_FAMILY", "PURCHASE_FAMILY"]


class Kind(Enum):
    """What a statement row becomes."""

    TRADE_LEG = "trade leg"  # grouped into Trade events (Change signed)
    FEE_LEG = "trade fee"  # grouped, must be negative
    BORROW = "borrow"  # Change > 0
    REPAY = "repay"  # Change < 0; excess over the open loan = interest
    LIQ_REPAY = "liquidation repay"  # Change < 0; marks a liquidation
    INTEREST = "interest"  # Change < 0
    LIQ_FEE = "liquidation fee"  # Change < 0 -> Fee; marks a liquidation
    BNB_FEE = "bnb fee"  # < 0 Fee, > 0 refund (Income)
    DEPOSIT = "deposit"  # Change > 0
    WITHDRAWAL = "withdrawal"  # Change < 0 (network fee included, P: "Withdraw fee is included")
    BY_SIGN = "deposit or withdrawal"  # sign decides
    INCOME = "income"  # Change > 0
    SPEND = "spend"  # Change < 0
    INTERNAL = "internal transfer"  # non-taxable (one pool per exchange account, U6)
    EARN_MOVE = "earn move"  # non-taxable subscription / redemption
    PNL = "realized pnl"  # sign decides gain / loss
    FUNDING = "funding"  # sign decides received / paid
    FUTURES_FEE = "futures fee"  # < 0 part of realized P&L (tax-rules.md §4.7(4)); > 0 rebate


#: Sub-accounts ("Account" column) and their type.
ACCOUNTS: dict[str, str] = {
    **{name: "spot" for name in ("Spot", "Funding", "Earn", "Savings", "Pool", "Card", "Strategy", "P2P")},
    **{name: "margin" for name in ("Cross Margin", "CrossMargin", "Isolated Margin")},
    **{name: "futures" for name in ("USD-MFutures", "USD-M Futures", "USDT-Futures", "Coin-MFutures", "Coin-M Futures")},
}

DUST_FAMILY = "dust"
TAKEOVER_FAMILY = "takeover"
PURCHASE_FAMILY = "purchase"

_TRADE_OPS = ("Buy", "Sell", "Fee", "Transaction Related", "Transaction Buy", "Transaction Spend",
              "Transaction Sold", "Transaction Revenue", "Transaction Fee")
_FAMILIES: dict[str, str] = {
    **{op: "trade" for op in _TRADE_OPS},
    "Binance Convert": "convert",
    "Large OTC trading": "otc",
    "Small assets exchange BNB": DUST_FAMILY,
    "Small Assets Exchange BNB": DUST_FAMILY,
    "Stablecoins Auto-Conversion": "auto-conversion",
    "ETH 2.0 Staking": "eth2",
    "Leverage Token Redemption": "leverage-token",
    "Liquid Swap Sell": "swap",
    "Swap Farming Transaction": "swap",
    "Token Swap - Redenomination/Rebranding": "token-swap",
    "Cross Margin Liquidation - Small Assets Takeover": TAKEOVER_FAMILY,
    "Buy Crypto": PURCHASE_FAMILY,
    "Buy Crypto With Card": PURCHASE_FAMILY,
}

_GENERAL: dict[str, Kind] = {
    **{op: Kind.TRADE_LEG for op in _FAMILIES},
    "Fee": Kind.FEE_LEG,
    "Transaction Fee": Kind.FEE_LEG,
    "Margin loan": Kind.BORROW,
    "Margin Loan": Kind.BORROW,
    "Isolated Margin Loan": Kind.BORROW,
    "Margin Repayment": Kind.REPAY,
    "Isolated Margin Repayment": Kind.REPAY,
    "Cross Margin Liquidation - Repayment": Kind.LIQ_REPAY,
    "Margin Fee": Kind.INTEREST,
    "Isolated Margin Liquidation - Fee": Kind.LIQ_FEE,
    "BNB Fee Deduction": Kind.BNB_FEE,
    **{op: Kind.DEPOSIT for op in ("Deposit", "Fiat Deposit")},
    **{op: Kind.WITHDRAWAL for op in ("Withdraw", "Fiat Withdraw", "Fiat Withdrawal")},
    **{op: Kind.BY_SIGN for op in ("Send", "Fiat OCBS - Add Fiat and Fees")},
    **{op: Kind.INCOME for op in (
        "Savings Interest", "Simple Earn Flexible Interest", "Simple Earn Locked Rewards",
        "POS savings interest", "Staking Rewards", "ETH 2.0 Staking Rewards", "Launchpool Interest",
        "BNB Vault Rewards", "Swap Farming Rewards", "Liquid Swap rewards", "Super BNB Mining",
        "Airdrop Assets", "Distribution", "Cash Voucher distribution", "Cash Voucher Distribution",
        "Mission Reward Distribution", "Commission History", "Commission Rebate", "Referral Kickback",
        "Referral Commission", "Commission Fee Shared With You", "Crypto Box", "Binance Card Cashback",
        "Card Cashback", "HODLer Airdrops Distribution", "Megadrop Rewards", "Token Swap - Distribution", "Campaign Related Reward", "Simple Earn Flexible Airdrop",
        "Pool Distribution", "Savings distribution", "Savings Distribution", "DOT Slot Auction Rewards",
        "Launchpool Earnings Withdrawal", "Asset Recovery", "Leveraged Coin Consolidation",
        "Referrer rebates", "Referee rebates")},
    "Binance Card Spending": Kind.SPEND,
    **{op: Kind.INTERNAL for op in (
        "Transfer Between Main Account/Futures and Margin Account", "Transfer Between Main and Funding Wallet",
        "Transfer Between Spot Account and UM Futures Account", "Transfer Between Spot Account and CM Futures Account",
        "Transfer Between Main Account And Mining Account", "Transfer Between Main And Mining Account",
        "Transfer Between Spot and Funding", "Transfer Between Spot and Strategy", "transfer_in", "transfer_out")},
    **{op: Kind.EARN_MOVE for op in (
        "Savings purchase", "Savings Principal redemption", "POS savings purchase", "POS savings redemption",
        "Staking Purchase", "Staking Redemption", "Simple Earn Flexible Subscription",
        "Simple Earn Flexible Redemption", "Simple Earn Locked Subscription", "Simple Earn Locked Redemption",
        "Launchpool Subscription/Redemption", "Launchpad Subscribe", "Liquid Swap Add", "Liquid Swap Add/Sell",
        "Liquidity Farming Remove")},
}

_FUTURES: dict[str, Kind] = {
    "Realized Profit and Loss": Kind.PNL,
    "Realize profit and loss": Kind.PNL,
    "Insurance Fund Compensation": Kind.PNL,
    "Insurance Fund Refund": Kind.PNL,
    "Funding Fee": Kind.FUNDING,
    "Fee": Kind.FUTURES_FEE,
    "Referrer rebates": Kind.INCOME,
    "Referee rebates": Kind.INCOME,
    "Asset Conversion Transfer": Kind.TRADE_LEG,
    "Futures Convert": Kind.TRADE_LEG,
    **{op: Kind.INTERNAL for op in (
        "transfer_in", "transfer_out", "Transfer Between Spot Account and UM Futures Account",
        "Transfer Between Spot Account and CM Futures Account",
        "Transfer Between Main Account/Futures and Margin Account")},
}
#: Documented as a wildcard (``Launchpool Airdrop*``, exchange-formats.md §1.1).
_INCOME_PREFIXES = ("Launchpool Airdrop",)
_FUTURES_FAMILIES = {"Asset Conversion Transfer": "futures-convert", "Futures Convert": "futures-convert"}


def operation_kind(account_type: str, operation: str) -> tuple[Kind, str] | None:
    """(kind, family) of ``operation`` in a sub-account of ``account_type``; None = unknown.

    ``family`` is "" for rows that are not trade legs.
    """
    if account_type == "futures":
        kind = _FUTURES.get(operation)
        return None if kind is None else (kind, _FUTURES_FAMILIES.get(operation, ""))
    kind = _GENERAL.get(operation)
    if kind is None and operation.startswith(_INCOME_PREFIXES):
        kind = Kind.INCOME
    if kind is None:
        return None
    return kind, _FAMILIES.get(operation, "")
