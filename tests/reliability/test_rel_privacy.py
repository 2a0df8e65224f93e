"""Issue 7.6 "privacy": exports carry account identifiers (Binance ``User_ID``, Bybit's
``UID:`` preamble and ``Uid`` column, Coinbase's ``User,<name>,<uuid>`` line) and remarks
may hold API keys; none of them may reach a report (forms.json, the CSVs, the TXF, every
cell of the workbook, the text of every PDF) or what the commands print. The taxpayer
number is masked unless ``show_full_ssn`` asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from rel_support import FIXTURES, no_traceback, run_cli

BINANCE_USER = "831234567"
BYBIT_UID = "55667788"
COINBASE_NAME = "Jane Q Sample"
COINBASE_UUID = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SSN = "123-45-6789"
SECRETS = (BINANCE_USER, BYBIT_UID, COINBASE_NAME, COINBASE_UUID, API_KEY, API_KEY[:16], SSN, "123456789")


def exports(folder: Path) -> list[str]:
    """The project's fixtures with their placeholder ids replaced by distinctive ones."""
    binance = (FIXTURES / "binance" / "statement_v2_margin.csv").read_text(encoding="utf-8-sig")
    binance = binance.replace('"99"', f'"{BINANCE_USER}"')
    lines = binance.splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + f',"API key {API_KEY} (sent by mistake)"'
    (folder / "binance.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    bybit = (FIXTURES / "bybit" / "bybit_uta.csv").read_text(encoding="utf-8").replace("70011122", BYBIT_UID)
    (folder / "bybit.csv").write_text(bybit, encoding="utf-8")
    coinbase = (FIXTURES / "coinbase" / "coinbase_v5_usd.csv").read_text(encoding="utf-8")
    coinbase = coinbase.replace("User,Test User,00000000-0000-4000-8000-000000000000",
                                f"User,{COINBASE_NAME},{COINBASE_UUID}")
    (folder / "coinbase.csv").write_text(coinbase, encoding="utf-8")
    assert BINANCE_USER in binance and BYBIT_UID in bybit and COINBASE_UUID in coinbase  # the ids are there
    return ["binance.csv", "bybit.csv", "coinbase.csv"]


def texts(out: Path) -> dict[str, str]:
    """Every report file as the text a reader (or a spreadsheet, or a PDF viewer) sees."""
    found: dict[str, str] = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".xlsx":
            wb = load_workbook(path, read_only=True)
            found[path.name] = "\n".join(
                str(cell) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for cell in row
                if cell is not None
            )
            wb.close()
        elif path.suffix == ".pdf":
            found[path.name] = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        else:
            found[path.name] = path.read_text(encoding="utf-8")
    return found


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    folder = tmp_path_factory.mktemp("privacy")
    files = exports(folder)
    (folder / "me.toml").write_text(f'name = "Alex Demo"\nssn = "{SSN}"\n', encoding="utf-8")
    printed = []
    for command in (("import", *files), ("check",), ("report", "--year", "2024", "--profile", "me.toml", "--out", "r24"),
                    ("report", "--year", "2025", "--profile", "me.toml", "--out", "r25"),
                    ("review", "--year", "2025", "--profile", "me.toml")):
        done = run_cli(folder, *command)
        assert no_traceback(done), done.stderr
        printed.append(done.stdout + done.stderr)
    outputs = {f"{year}/{name}": text for year in ("r24", "r25") for name, text in texts(folder / year).items()}
    return folder, outputs, "\n".join(printed)


def test_every_report_format_was_written(reports: tuple[Path, dict[str, str], str]) -> None:
    _, outputs, _ = reports
    names = {name.split("/")[1] for name in outputs}
    assert {"forms.json", "form8949.csv", "form8949.pdf", "schedule_d.pdf", "form4952.pdf", "review.pdf",
            "taxmargin-2025.xlsx", "taxmargin-2025.txf"} <= names
    assert len(outputs["r25/form8949.csv"].splitlines()) > 2  # rows from the fixtures, not empty forms
    # the control: text the reports do print is found by this reading of every format
    for name in ("forms.json", "form8949.pdf", "taxmargin-2025.xlsx"):
        assert "Alex Demo" in outputs[f"r25/{name}"], name
    assert "bybit" in outputs["r25/form8949.csv"] and "binance" in outputs["r24/taxmargin-2024.xlsx"]


@pytest.mark.parametrize("secret", SECRETS)
def test_no_identifier_reaches_a_report(reports: tuple[Path, dict[str, str], str], secret: str) -> None:
    _, outputs, _ = reports
    leaks = [name for name, text in outputs.items() if secret in text]
    assert leaks == []


@pytest.mark.parametrize("secret", SECRETS)
def test_no_identifier_is_printed(reports: tuple[Path, dict[str, str], str], secret: str) -> None:
    _, _, printed = reports
    assert secret not in printed


def test_the_taxpayer_number_is_masked_unless_asked(reports: tuple[Path, dict[str, str], str]) -> None:
    folder, outputs, _ = reports
    assert "XXX-XX-6789" in outputs["r25/forms.json"] and "XXX-XX-6789" in outputs["r25/form8949.pdf"]
    (folder / "full.toml").write_text(f'ssn = "{SSN}"\n[report]\nshow_full_ssn = true\n', encoding="utf-8")
    done = run_cli(folder, "report", "--year", "2025", "--profile", "full.toml", "--out", "full", "--format", "json,pdf")
    assert done.returncode == 0
    shown = texts(folder / "full")
    assert SSN in shown["forms.json"] and SSN in shown["form8949.pdf"]  # the control: asked for, printed


def test_error_messages_show_no_more_of_a_row_than_needed(tmp_path: Path) -> None:
    # a bad Binance row: the message names FILE:LINE, the column and its value, not the
    # User_ID of the row; an unknown file's preamble id is masked in "header seen"
    (tmp_path / "b.csv").write_text(
        '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n'
        f'"{BINANCE_USER}","2024-03-01 08:00:00","Spot","Deposit","USDT","lots",""\n', encoding="utf-8")
    (tmp_path / "u.csv").write_text(f"UID: {BYBIT_UID},Company Name: ,Country: \nfoo,bar\n1,2\n", encoding="utf-8")
    done = run_cli(tmp_path, "import", "b.csv", "u.csv")
    assert done.returncode == 2 and no_traceback(done)
    assert "b.csv:2: column 'Change': not a number (value 'lots')" in done.stdout
    assert "u.csv: unknown format; header seen: 'UID: …'" in done.stderr
    assert BINANCE_USER not in done.stdout + done.stderr and BYBIT_UID not in done.stdout + done.stderr
