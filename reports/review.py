"""``taxmargin review``: the year in the terminal (interfaces.md §1 "review").

Realized gains by month (short-/long-term, liquidation count) and by account, then every
liquidation: the lots it consumed with proceeds, basis, gain and term, and the one-line
explanation of a taxable gain despite an economic loss (tax-rules.md §4.2, §7.1). All
numbers come from ``TaxForms.review``. Text from input files is wrapped in ``rich.text.Text``
so that brackets in an account name or description are printed, never read as markup.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from taxmargin.reports.forms import LiquidationReview, TaxForms

__all__ = ["money", "render_terminal"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def money(value: Decimal, whole: bool = False) -> Text:
    """``1,234.56`` or red ``(1,234.56)`` for a loss, as on the forms."""
    shown = f"{abs(value):,.0f}" if whole else f"{abs(value):,.2f}"
    if value < 0:
        return Text(f"({shown})", style="red")
    return Text(shown)


def _months(forms: TaxForms) -> Table:
    whole = forms.round_whole_dollars
    table = Table(title=f"Realized gain or (loss) by month, {forms.tax_year}")
    table.add_column("Month")
    table.add_column("Short-term", justify="right")
    table.add_column("Long-term", justify="right")
    table.add_column("Liquidations", justify="right")
    for m in forms.review.by_month:
        table.add_row(_MONTHS[m.month - 1], money(m.short_term, whole),
                      money(m.long_term, whole), str(m.liquidation_count or ""))
    return table


def _accounts(forms: TaxForms) -> Table:
    whole = forms.round_whole_dollars
    table = Table(title="Realized gain or (loss) by account")
    table.add_column("Account")
    table.add_column("Short-term", justify="right")
    table.add_column("Long-term", justify="right")
    for a in forms.review.by_account:
        table.add_row(Text(a.account), money(a.short_term, whole), money(a.long_term, whole))
    return table


def _liquidation(n: int, liq: LiquidationReview, whole: bool) -> Table:
    when = liq.time.astimezone(UTC)
    title = Text(f"Liquidation {n}: {when:%Y-%m-%d %H:%M:%S} UTC, {liq.account} ({liq.source})")
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("Lot consumed", footer="Total")
    table.add_column("Acquired")
    table.add_column("Proceeds", justify="right", footer=money(liq.proceeds, whole))
    table.add_column("Basis", justify="right", footer=money(liq.cost_basis, whole))
    table.add_column("Gain", justify="right", footer=money(liq.gain, whole))
    table.add_column("Term")
    table.add_column("Sources")
    for lot in liq.lots:
        acquired = "VARIOUS" if lot.date_acquired is None else f"{lot.date_acquired:%m/%d/%Y}"
        table.add_row(Text(lot.description), acquired, money(lot.proceeds, whole),
                      money(lot.cost_basis, whole), money(lot.gain, whole), lot.term,
                      Text(", ".join(lot.sources)))
    return table


def render_terminal(forms: TaxForms, console: Console) -> None:
    """Print the review of ``forms`` on ``console``."""
    whole = forms.round_whole_dollars
    console.print(_months(forms))
    console.print(_accounts(forms))
    liquidations = forms.review.liquidations
    console.print(Text(f"Liquidations: {len(liquidations)}", style="bold"))
    for n, liq in enumerate(liquidations, start=1):
        console.print(_liquidation(n, liq, whole))
        split = Text("short-term ")
        split.append(money(liq.short_term_gain, whole))
        split.append(", long-term ")
        split.append(money(liq.long_term_gain, whole))
        console.print(split)
        if liq.explanation:
            console.print(Text(liq.explanation, style="yellow"))
