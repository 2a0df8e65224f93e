"""PDF output (``report --format pdf``): form8949.pdf, schedule_d.pdf, form4952.pdf and
review.pdf, drawn with the reportlab canvas from ``TaxForms`` alone (issue 5).

- form8949.pdf: the Form 8949 pages (``pdf_8949``, tax-rules.md §1) followed, when a box
  uses Exception 2, by the attached statement (``pdf_statement``, §1.6).
- schedule_d.pdf: Parts I-III and the Capital Loss Carryover Worksheet (``pdf_schedule_d``,
  §2).
- form4952.pdf: lines 1-8, the 4g election, required status, carryforward (``pdf_4952``,
  §3).
- review.pdf: gains by month (chart) and account, every liquidation (``pdf_review``).

Each file is written to a temporary name and renamed (``reports.atomic``), so an
interrupted run leaves the previous complete file or none.

Speed (issue 6): what repeats on every page (the statement's header and continued group
titles, the top of each box's Form 8949 pages) is one form XObject referenced by each
page; the statement's rows are monospaced lines written as one text object per page
(``pdf_mono``, ``pdf_statement_layout``). 796,411 statement rows take ~6 s.
"""

from __future__ import annotations

from pathlib import Path

from taxmargin.reports.forms import TaxForms
from taxmargin.reports.pdf_4952 import write_form_4952
from taxmargin.reports.pdf_8949 import draw_form_pages
from taxmargin.reports.pdf_common import pdf_canvas
from taxmargin.reports.pdf_review import write_review
from taxmargin.reports.pdf_schedule_d import write_schedule_d
from taxmargin.reports.pdf_statement import draw_statement

__all__ = ["FILES", "write", "write_form_8949"]

FILES = ("form8949.pdf", "schedule_d.pdf", "form4952.pdf", "review.pdf")


def write_form_8949(forms: TaxForms, target: Path) -> Path:
    """Form 8949 pages, then the Exception 2 statement (if any)."""
    with pdf_canvas(target, "Form 8949", forms) as c:
        drawn = draw_form_pages(c, forms) + draw_statement(c, forms)
        if drawn == 0:  # no disposals: one page saying so, never an empty file
            c.setFont("Helvetica", 10)
            c.drawString(72, 720, f"No sales or other dispositions of capital assets in "
                         f"{forms.tax_year}: Form 8949 is not needed.")
            c.showPage()
    return target


def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write the four PDFs into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    return [
        write_form_8949(forms, out_dir / FILES[0]),
        write_schedule_d(forms, out_dir / FILES[1]),
        write_form_4952(forms, out_dir / FILES[2]),
        write_review(forms, out_dir / FILES[3]),
    ]
