"""binance.com importers: the layouts of every binance.com export taxmargin reads.

Layouts (one class per version; detection reads the header only, never the file name):

==================================== ============================================================
``binance-statement-v1``             Transaction History, ``UTC_Time,Account,Operation,Coin,Change,Remark``
``binance-statement-v2``             Transaction History, ``User_ID,UTC_Time,...`` (quoted, BOM,
                                     whole-row-quoted variants)
``binance-statement-v3``             Transaction History 2026, ``\\ufeffUser ID,Time,...``, ``YY-MM-DD``
``binance-spot-trades-old``          ``Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin``
``binance-spot-trades-old-semicolon`` the same, ``;``-delimited EU Excel re-save (decimal commas)
``binance-spot-trades-new``          ``Date(UTC),Pair,Side,Price,Executed,Amount,Fee`` (suffixed amounts)
``binance-spot-trades-new-quantity`` the same with ``Quantity`` instead of ``Executed``
``binance-order-history``            ``Date(UTC),Pair,Type,Order Price,...,status`` + nested fill rows
``binance-order-history-semicolon``  the same, ``;``-delimited
``binance-futures-transactions``     ``Date(UTC),type,Amount,Asset,Symbol,Transaction ID``
==================================== ============================================================

Sources: docs exchange-formats.md §1 — [BT-binance] BittyTax parser, [ROTKI] rotki importer
and fixture, [CTM] CoinTaxman (2026 header), [ET-MP]/[ET-files]/[ET-B4] everytrade parsers
and files, [pub-java-margin] real isolated-margin rows, [pub-es-taxonomy] operation
taxonomy, [pub-go-binance] futures income types.

Time zones: ``UTC_Time`` and ``Date(UTC)`` state UTC; the 2026 statement's ``Time`` states
none -> UTC assumed with a Diagnostic ``assumed-timezone``.

Account: every sub-account (Spot, Funding, Earn, Cross Margin, Isolated Margin, futures
wallets) is the one pool ``binance`` (tax-rules.md §5.1, U6); internal transfers are
non-taxable rows. The sub-account is kept in each event's note.

Decisions (statement):

* Grouping (importers/binance_groups.py): legs of one sub-account and operation family at
  one second form a group; a group missing a sent or received leg is merged with its
  neighbour at most 1 s away; dust conversions chain across 1-s steps (2020-11-20
  20:22:20/21 in the rotki sample is one conversion). Identical rows are separate fills
  (P12). Several assets on one side sharing one asset on the other (2025-10-29 18:36:00:
  EUR for ETH and BTC; dust: SOL and BTC for BNB) -> one Trade per asset, the shared side
  split in equal parts (arbitrary, flagged ``ambiguous-group``; per-asset totals exact).
  One-legged groups -> RowError on each row + ``one-legged-trade``.
* Margin (importers/binance_statement_events.py): loans -> Borrow; repayments -> Repay of
  the outstanding principal + Interest for the excess (isolated 0.08000033 BTC = 0.08 +
  0.00000033); ``Margin Fee`` -> Interest; a margin trade group followed within 5 s by a
  liquidation row of its sub-account -> Liquidation; ``Isolated Margin Liquidation - Fee``
  -> Fee; ``BNB Fee Deduction`` -> Fee.
  Implied interest above 1 % of the principal -> Diagnostic ``repay-interest-review``.
* Withdrawals: ``Change`` already includes the network fee (P: "Withdraw fee is included"),
  so the withdrawal is the whole amount with no separate fee.
* Other choices: ``Buy Crypto`` rows with no paying leg -> Deposit (price not in the file);
  ``ETH 2.0 Staking`` (ETH -> BETH), ``Token Swap - Redenomination/Rebranding`` and
  ``Binance Convert`` -> trades at FMV; earn subscriptions/redemptions -> non-taxable;
  a positive ``BNB Fee Deduction`` (refund) -> Income; futures commissions and insurance
  clearance -> RealizedPnl losses (tax-rules.md §4.7(4)); a ``Change`` of zero ->
  non-taxable; a sign that contradicts the operation -> RowError.
* Other files (§1.2): the futures ``Transaction ID`` becomes ``event_id``; spot and order
  histories have no ids. Convert history, deposit/withdrawal histories, fiat and
  Auto-Invest files are not implemented: the statement carries the same rows.

Pitfalls handled: P1 (BOM), P3 (quoting variants incl. whole-row quoting), P4 (semicolons,
decimal commas), P5 (asset suffixes split by pair, ``1INCH``), P7 (``-3.605E-05``), P8 (long
decimals, exact), P9 (two-digit years), P10 (zone in header), P11 (unsorted rows), P12
(identical rows kept), P13 (multi-row trades, second boundary), P17 (signed Change).
"""

from __future__ import annotations

from taxmargin.importers import binance_futures, binance_orders, binance_spot, binance_statement
from taxmargin.importers.base import Layout

__all__ = ["LAYOUTS"]

LAYOUTS: tuple[Layout, ...] = (
    *binance_statement.LAYOUTS,
    *binance_spot.LAYOUTS,
    *binance_orders.LAYOUTS,
    *binance_futures.LAYOUTS,
)
