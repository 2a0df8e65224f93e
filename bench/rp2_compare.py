"""taxmargin against rp2 (https://github.com/eprbell/rp2) on the same spot history (issue 6).

    python bench/rp2_compare.py --trades 100000 [--seed 1] [--methods fifo,lifo,hifo]

1. Generates a spot-only history (bench/spotgen.py explains why both tools must agree)
   and writes it as a taxmargin CSV and as rp2's input: an ODS spreadsheet + .ini config.
2. Installs rp2 into ``bench/.rp2-venv`` on first use (``python -m venv`` +
   ``pip install rp2==1.7.2``); skipped with a message when that is impossible. pip
   compiles rp2's bytecode as it installs it; taxmargin's is compiled before timing
   (``childproc.compile_bytecode``), so both run as installed.
3. Per method: runs ``rp2_us -m METHOD -o OUT -p PREFIX CONFIG ODS`` (one run, every
   year) and ``taxmargin import`` + ``taxmargin report --year 2024 --year 2025 --format
   json`` (fresh ledger; one report for both years, as rp2 does), each a child process
   timed by wall clock with its own peak RSS (``os.wait4``). The two years are also
   reported one command each (``separate_reports`` in the JSON: each loads and books the
   ledger again), and their forms.json must be byte for byte those of the joint report.
4. Reads rp2's ``tax_report_us.ods`` (Capital Gains sheet) and taxmargin's ``forms.json``
   and compares short- and long-term gains per year. Form 8949 amounts are rounded per
   row (tax-rules.md §1.7), so rp2's rows are rounded the same way (half-up cents) before
   summing; rp2's unrounded sums are shown too. rp2 writes floats, exact to ~1e-10 here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from childproc import BENCH, compile_bytecode, measure  # noqa: E402
from ods import read_sheet, write_ods  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from spotgen import SpotTrade, spot_history  # noqa: E402

VENV = BENCH / ".rp2-venv"
RP2 = VENV / "bin" / "rp2_us"
TAXMARGIN = str(Path(sys.executable).with_name("taxmargin"))
CENT = Decimal("0.01")
ACCOUNT, HOLDER = "coinbase", "Bob"
CONFIG = f"""[general]
assets = ETH, SOL
exchanges = {ACCOUNT}
holders = {HOLDER}

[in_header]
timestamp = 0
asset = 1
exchange = 2
holder = 3
transaction_type = 4
spot_price = 5
crypto_in = 6
fiat_fee = 7

[out_header]
timestamp = 0
asset = 1
exchange = 2
holder = 3
transaction_type = 4
spot_price = 5
crypto_out_no_fee = 6
crypto_fee = 7

[intra_header]
timestamp = 0
asset = 1
from_exchange = 2
from_holder = 3
to_exchange = 4
to_holder = 5
spot_price = 6
crypto_sent = 7
crypto_received = 8
"""
console = Console(width=150)


def ensure_rp2() -> str | None:
    """Path of ``rp2_us`` in bench/.rp2-venv (installed on first use), or why not."""
    if RP2.exists():
        return None
    made = measure([sys.executable, "-m", "venv", str(VENV)])
    if made.returncode != 0:
        return f"cannot create {VENV}: {made.stderr.strip()[-500:]}"
    pip = measure([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "rp2==1.7.2"])
    if pip.returncode != 0 or not RP2.exists():
        return f"cannot install rp2 1.7.2 into {VENV}: {pip.stderr.strip()[-800:]}"
    return None


def _iso(ts: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write_taxmargin(trades: list[SpotTrade], path: Path) -> None:
    """Cash purchases (basis = USD + fee) and cash sales (proceeds = USD - fee), §4.0(4)."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,"
                  "fee_quantity,fee_asset,usd_value,fee_usd_value\n")
        for t in trades:
            usd, fee = t.usd, t.fee
            if t.buy:
                sides = f"{usd},USD,{t.quantity},{t.asset}"
            else:
                sides = f"{t.quantity},{t.asset},{usd},USD"
            out.write(f"{_iso(t.ts)},{ACCOUNT},trade,{sides},{fee},USD,{usd},{fee}\n")


def write_rp2(trades: list[SpotTrade], ods: Path, config: Path) -> None:
    config.write_text(CONFIG, encoding="utf-8")

    def sheet(asset: str) -> list[list[Any]]:
        mine = [t for t in trades if t.asset == asset]
        ins = [[_iso(t.ts).replace("Z", "+00:00"), asset, ACCOUNT, HOLDER, "BUY", t.price, t.quantity, t.fee]
               for t in mine if t.buy]
        outs = [[_iso(t.ts).replace("Z", "+00:00"), asset, ACCOUNT, HOLDER, "SELL", t.net_price, t.quantity, 0]
                for t in mine if not t.buy]
        head_in = ["timestamp", "asset", "exchange", "holder", "type", "spot_price", "crypto_in", "fiat_fee"]
        head_out = ["timestamp", "asset", "exchange", "holder", "type", "spot_price", "crypto_out_no_fee",
                    "crypto_fee"]
        return [["IN"], head_in, *ins, ["TABLE END"], [], ["OUT"], head_out, *outs, ["TABLE END"]]

    write_ods(ods, [(asset, sheet(asset)) for asset in ("ETH", "SOL")])


def _cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def rp2_gains(report: Path) -> tuple[dict[tuple[int, str], Decimal], dict[tuple[int, str], Decimal], int]:
    """Per (year, "short"|"long"): gains from rows rounded per row, and unrounded sums."""
    rounded: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    raw: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    rows = 0
    for row in read_sheet(report, "Capital Gains"):
        if len(row) < 15 or row[14] not in ("LONG", "SHORT"):
            continue
        year = int(str(row[3])[-4:])
        key = (year, str(row[14]).lower())
        proceeds, basis = Decimal(repr(row[4])), Decimal(repr(row[5]))
        rounded[key] += _cents(proceeds) - _cents(basis)
        raw[key] += proceeds - basis
        rows += 1
    return rounded, raw, rows


def taxmargin_gains(forms: Path) -> tuple[dict[str, Decimal], dict[str, Decimal], int]:
    """Per term: sum of Form 8949 row gains by part, and Schedule D lines 7 / 15."""
    doc = json.loads(forms.read_text(encoding="utf-8"))
    by_part: dict[str, Decimal] = defaultdict(Decimal)
    for row in doc["form_8949"]:
        by_part["short" if row["part"] == "I" else "long"] += Decimal(row["gain"])
    sched = doc["schedule_d"]
    return by_part, {"short": Decimal(sched["line_7"]), "long": Decimal(sched["line_15"])}, len(doc["form_8949"])


def run_method(method: str, work: Path, csv_path: Path, ods: Path, config: Path) -> dict[str, Any]:
    """rp2 and taxmargin on the same data with ``method``: times, peaks, gains per year."""
    folder = work / method
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rp2 = measure([str(RP2), "-m", method, "-o", str(folder / "rp2"), "-p", "bench_", str(config), str(ods)],
                  cwd=folder)
    if rp2.returncode != 0:
        raise RuntimeError(f"rp2 failed: {rp2.stderr[-3000:]}")
    ledger = folder / "taxmargin.db"
    common = ["--ledger", str(ledger), "--method", method, "--format", "json"]
    steps = [measure([TAXMARGIN, "import", str(csv_path), "--ledger", str(ledger)], cwd=folder),
             measure([TAXMARGIN, "report", "--year", "2024", "--year", "2025", *common, "--out", str(folder / "tm")],
                     cwd=folder)]
    # the same years as two separate reports (each loads and books the ledger again)
    apart = [measure([TAXMARGIN, "report", "--year", str(year), *common, "--out", str(folder / f"tm-{year}")],
                     cwd=folder) for year in (2024, 2025)]
    for step in (*steps, *apart):
        if step.returncode not in (0, 1):
            raise RuntimeError(f"taxmargin failed: {step.stderr[-3000:]}")
    for year in (2024, 2025):
        together, alone = folder / "tm" / f"taxmargin-{year}" / "forms.json", folder / f"tm-{year}" / "forms.json"
        if together.read_bytes() != alone.read_bytes():
            raise RuntimeError(f"report --year 2024 --year 2025 differs from report --year {year} alone")
    report = next((folder / "rp2").glob("*tax_report_us.ods"))
    rounded, raw, rp2_rows = rp2_gains(report)
    years: dict[str, Any] = {}
    tm_rows = 0
    for year in (2024, 2025):
        by_part, lines, count = taxmargin_gains(folder / "tm" / f"taxmargin-{year}" / "forms.json")
        tm_rows += count
        for term in ("short", "long"):
            ours, theirs = by_part[term], rounded[(year, term)]
            years[f"{year} {term}"] = {
                "taxmargin": str(_cents(ours)), "schedule_d": str(lines[term]), "rp2_rows_rounded": str(_cents(theirs)),
                "rp2_unrounded": str(_cents(raw[(year, term)])), "agree": ours == theirs == lines[term],
            }
    tm_seconds = sum(s.seconds for s in steps)
    tm_cpu = sum(s.cpu_seconds for s in steps)
    tm_peak = max(s.peak_rss_mb for s in steps)
    return {
        "method": method, "rp2_seconds": round(rp2.seconds, 2), "rp2_peak_rss_mb": round(rp2.peak_rss_mb, 1),
        "rp2_cpu_seconds": round(rp2.cpu_seconds, 2), "taxmargin_cpu_seconds": round(tm_cpu, 2),
        "cpu_speedup": round(rp2.cpu_seconds / tm_cpu, 1),
        "taxmargin_seconds": round(tm_seconds, 2), "taxmargin_peak_rss_mb": round(tm_peak, 1),
        "taxmargin_steps": {"import": round(steps[0].seconds, 2), "report 2024+2025": round(steps[1].seconds, 2)},
        "separate_reports": {"report 2024": round(apart[0].seconds, 2), "report 2025": round(apart[1].seconds, 2),
                             "speedup": round(rp2.seconds / (steps[0].seconds + sum(s.seconds for s in apart)), 1)},
        "speedup": round(rp2.seconds / tm_seconds, 1), "memory_ratio": round(rp2.peak_rss_mb / tm_peak, 2),
        "rows": {"rp2": rp2_rows, "taxmargin": tm_rows}, "years": years,
        "agree": all(y["agree"] for y in years.values()) and rp2_rows == tm_rows,
    }


def show(results: list[dict[str, Any]], trades: int) -> None:
    table = Table(title=f"taxmargin vs rp2 1.7.2 CLI, {trades:,} spot trades (wall clock, peak RSS per process)")
    for col in ("method", "rp2 s", "taxmargin s", "speed-up", "speed-up, a report per year", "CPU s rp2 / taxmargin",
                "CPU speed-up", "rp2 MB",
                "taxmargin MB", "memory ratio", "8949 rows", "gains agree to the cent"):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(r["method"], f"{r['rp2_seconds']:.1f}", f"{r['taxmargin_seconds']:.1f}", f"{r['speedup']}x",
                      f"{r['separate_reports']['speedup']}x",
                      f"{r['rp2_cpu_seconds']:.1f} / {r['taxmargin_cpu_seconds']:.1f}", f"{r['cpu_speedup']}x",
                      f"{r['rp2_peak_rss_mb']:.0f}", f"{r['taxmargin_peak_rss_mb']:.0f}", f"{r['memory_ratio']}x",
                      f"{r['rows']['rp2']:,} / {r['rows']['taxmargin']:,}", "yes" if r["agree"] else "NO")
    console.print(table)
    gains = Table(title="gains per year and term: taxmargin (8949 rows; Schedule D) vs rp2 (rows rounded; raw)")
    for col in ("method", "year term", "taxmargin", "Sched. D", "rp2 rounded rows", "rp2 raw sum", "agree"):
        gains.add_column(col, justify="right")
    for r in results:
        for key, y in r["years"].items():
            gains.add_row(r["method"], key, y["taxmargin"], y["schedule_d"], y["rp2_rows_rounded"],
                          y["rp2_unrounded"], "yes" if y["agree"] else "NO")
    console.print(gains)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", default="fifo,lifo,hifo")
    parser.add_argument("--json", type=Path, default=BENCH / "out" / "rp2_compare.json")
    args = parser.parse_args(argv)
    problem = ensure_rp2()
    if problem is not None:
        console.print(f"[yellow]rp2 comparison skipped: {problem}[/yellow]")
        return 0
    work = BENCH / "out" / f"rp2-{args.trades}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    trades = spot_history(args.trades, args.seed)
    csv_path, ods, config = work / "spot.csv", work / "spot.ods", work / "crypto.ini"
    write_taxmargin(trades, csv_path)
    write_rp2(trades, ods, config)
    bytecode = compile_bytecode()
    results = [run_method(m.strip(), work, csv_path, ods, config) for m in args.methods.split(",") if m.strip()]
    show(results, args.trades)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"trades": args.trades, "seed": args.seed, "bytecode": bytecode, "results": results}, indent=1) + "\n")
    return 0 if all(r["agree"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
