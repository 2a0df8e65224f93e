"""``taxmargin review`` rendering (interfaces.md §1 "review"), read back from a recording
rich console. Numbers are the hand-worked ones of ``tests/forms_factory.py``."""

from __future__ import annotations

import dataclasses
import re

from rich.console import Console

from taxmargin.reports.forms import TaxForms
from taxmargin.reports.review import render_terminal

from forms_factory import make_forms


def _render(forms: TaxForms) -> str:
    console = Console(record=True, width=120, color_system=None)
    render_terminal(forms, console)
    return console.export_text()


def test_month_rows() -> None:
    text = _render(make_forms())
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    positions = [text.index(m) for m in months]
    assert positions == sorted(positions)
    # February: 22 box-I rows x 10.00 short-term; March: the (30.00) liquidation, 1
    assert re.search(r"February\s+│\s+220\.00\s+│\s+0\.00\s+│\s+│", text)
    assert re.search(r"March\s+│\s+\(30\.00\)\s+│\s+0\.00\s+│\s+1\s+│", text)
    assert re.search(r"July\s+│\s+0\.00\s+│\s+\(200\.00\)\s+│", text)


def test_account_rows() -> None:
    text = _render(make_forms())
    assert re.search(r"kraken\s+│\s+190\.00\s+│\s+0\.00\s+│", text)
    assert re.search(r"binance\s+│\s+0\.00\s+│\s+34\.56\s+│", text)


def test_liquidations_with_lots_and_explanation() -> None:
    text = _render(make_forms())
    assert "Liquidations: 2" in text
    assert "Liquidation 1: 2025-03-14 09:30:00 UTC, kraken (kraken_ledgers.csv:57)" in text
    assert re.search(r"0\.05000000 ETH\s+│\s+01/02/2025\s+│\s+50\.00\s+│\s+80\.00\s+│\s+"
                     r"\(30\.00\)\s+│\s+short\s+│\s+kraken_ledgers\.csv:4", text)
    assert re.search(r"1\.00000000 ETH\s+│\s+05/01/2023\s+│\s+1,234\.56\s+│\s+1,000\.00\s+│\s+"
                     r"234\.56\s+│\s+long", text)
    assert "short-term 0.00, long-term 234.56" in text
    assert ("Taxable gain of 234.56 although the margin position lost money: the ETH sold "
            "was bought in 2023 for 1,000.00.") in text


def test_input_text_is_not_markup() -> None:
    f = make_forms()
    liq = dataclasses.replace(f.review.liquidations[0], account="[bold]acct[/bold]")
    review = dataclasses.replace(f.review, liquidations=(liq,))
    text = _render(dataclasses.replace(f, review=review))
    assert "[bold]acct[/bold]" in text


def test_no_liquidations() -> None:
    f = make_forms()
    text = _render(dataclasses.replace(f, review=dataclasses.replace(f.review, liquidations=())))
    assert "Liquidations: 0" in text and "Liquidation 1" not in text
