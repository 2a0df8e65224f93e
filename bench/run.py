"""Benchmark the pipeline stage by stage (issue 6).

    python bench/run.py --events N [--formats json|all|LIST] [--binance] [--cli] [--json FILE]
    python bench/run.py --growth 10000,100000,1000000 [--formats ...]

For each N: generate (or reuse) ``bench/out/events-N-sSEED.csv``, then in fresh processes
(so each peak RSS is that process's own): ``import`` (load_file, detect, parse, ledger
store), ``report`` (ledger load, transfers, pricing, booking, tax_year, build_forms, each
renderer) with the source CSV hidden (report must read only the ledger), optionally the
Binance statement's parse, and with ``--cli`` the real commands ``taxmargin import`` /
``taxmargin report --format json`` end to end, then ``report`` again on the unchanged
ledger. ``--growth`` fits time and memory against N (least squares on log-log).
taxmargin's bytecode is compiled first, as an install would (``childproc.compile_bytecode``).
Results: a rich table, ``--json`` (default bench/out/results.json) and a line appended to
bench/out/history.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from childproc import BENCH, ROOT, compile_bytecode, measure, stage_child  # noqa: E402
from report_table import print_growth, print_run  # noqa: E402

OUT = BENCH / "out"
ALL_FORMATS = "json,csv,xlsx,pdf,txf"
CLI = str(Path(sys.executable).with_name("taxmargin"))


def ensure_history(events: int, seed: int, binance: bool) -> tuple[Path, Path | None, dict[str, Any]]:
    """The generated files for (events, seed), made once and reused."""
    base = OUT / f"events-{events}-s{seed}"
    csv_path, bn_path, summary_path = Path(f"{base}.csv"), Path(f"{base}-binance.csv"), Path(f"{base}.json")
    fresh = summary_path.exists() and csv_path.exists() and (bn_path.exists() or not binance)
    if fresh:
        summary: dict[str, Any] = json.loads(summary_path.read_text())
        fresh = summary.get("version") == _generator_version()
    if not fresh:
        argv = [sys.executable, str(BENCH / "generate.py"), "--events", str(events), "--seed", str(seed),
                "--out", str(csv_path), "--summary", str(summary_path)]
        if binance:
            argv += ["--binance", str(bn_path)]
        done = measure(argv, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        summary = json.loads(summary_path.read_text())
        summary["generate_seconds"] = round(done.seconds, 2)
        summary_path.write_text(json.dumps(summary, indent=1) + "\n")
    return csv_path, (bn_path if binance else None), summary


def _generator_version() -> int:
    from generate import GENERATOR_VERSION

    return GENERATOR_VERSION


class Hidden:
    """Renames a file away while a block runs (a report must not need the source)."""

    def __init__(self, path: Path) -> None:
        self.path, self.moved = path, path.with_name(path.name + ".hidden")

    def __enter__(self) -> None:
        self.path.rename(self.moved)

    def __exit__(self, *_: object) -> None:
        self.moved.rename(self.path)


def run_cli(csv_path: Path, work: Path, year: int, formats: str = "json") -> dict[str, Any]:
    """The real commands, wall clock and peak RSS each; then report again, source hidden.
    With ``formats`` beyond json, also ``report --format FORMATS`` (the workbook and PDF
    target), whose CPU and peak RSS include the processes it forks (``os.wait4``)."""
    ledger, out = work / "cli.db", work / "cli-out"
    ledger.unlink(missing_ok=True)
    imported = measure([CLI, "import", str(csv_path), "--ledger", str(ledger)], cwd=work)
    report_argv = [CLI, "report", "--year", str(year), "--ledger", str(ledger), "--format", "json", "--out", str(out)]
    reported = measure(report_argv, cwd=work)
    with Hidden(csv_path):
        again = measure(report_argv, cwd=work)
    for name, done in (("import", imported), ("report", reported), ("report again", again)):
        if done.returncode not in (0, 1):
            raise RuntimeError(f"taxmargin {name} failed ({done.returncode}): {done.stderr[-3000:]}")
    def fig(done: Any) -> dict[str, float]:
        return {"seconds": round(done.seconds, 3), "cpu_seconds": round(done.cpu_seconds, 3),
                "peak_rss_mb": round(done.peak_rss_mb, 1)}

    extra: dict[str, Any] = {}
    if formats != "json":
        argv = [CLI, "report", "--year", str(year), "--ledger", str(ledger), "--format", formats,
                "--out", str(work / "cli-out-formats")]
        full = measure(argv, cwd=work)
        if full.returncode not in (0, 1):
            raise RuntimeError(f"taxmargin report --format {formats} failed: {full.stderr[-3000:]}")
        extra = {"report_formats": {**fig(full), "formats": formats},
                 "end_to_end_formats_seconds": round(imported.seconds + full.seconds, 3),
                 "end_to_end_formats_cpu_seconds": round(imported.cpu_seconds + full.cpu_seconds, 3)}
    return {
        **extra,
        "import": fig(imported), "report_json": fig(reported),
        "report_again_source_hidden": {**fig(again), "exit": again.returncode},
        "end_to_end_seconds": round(imported.seconds + reported.seconds, 3),
        "end_to_end_cpu_seconds": round(imported.cpu_seconds + reported.cpu_seconds, 3),
        "peak_rss_mb": round(max(imported.peak_rss_mb, reported.peak_rss_mb), 1),
    }


def run_one(events: int, seed: int, formats: str, binance: bool, cli: bool, year: int) -> dict[str, Any]:
    csv_path, bn_path, summary = ensure_history(events, seed, binance)
    work = OUT / f"run-{events}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ledger = work / "taxmargin.db"
    imported = stage_child("import", str(csv_path), "--ledger", str(ledger))
    with Hidden(csv_path):
        reported = stage_child("report", "--ledger", str(ledger), "--year", str(year),
                               "--out", str(work / "out"), "--formats", formats)
    result: dict[str, Any] = {"events": events, "seed": seed, "year": year, "formats": formats,
                              "generate_seconds": summary.get("generate_seconds"),
                              "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
                              "import": imported, "report": reported}
    if reported["info"]["source_reads"]:
        raise RuntimeError(f"report read the source: {reported['info']['source_reads']}")
    if bn_path is not None:
        result["binance"] = stage_child("parse", str(bn_path))
        result["binance"]["csv_mb"] = round(bn_path.stat().st_size / 1e6, 1)
    if cli:
        result["cli"] = run_cli(csv_path, work, year, formats)
    result["totals"] = _totals(imported, reported)
    return result


def _totals(imported: dict[str, Any], reported: dict[str, Any]) -> dict[str, float]:
    """In-process stage sums (wall and CPU): forms.json end to end, plus the workbook and
    PDFs, plus every renderer timed."""
    out: dict[str, float] = {}
    for key, suffix in (("seconds", "end_to_end"), ("cpu_seconds", "cpu")):
        core = sum(s[key] for s in imported["stages"]) + sum(
            s[key] for s in reported["stages"] if not s["stage"].startswith("render."))
        renders = {s["stage"]: s[key] for s in reported["stages"] if s["stage"].startswith("render.")}
        json_only = core + renders.get("render.json", 0.0)
        out[f"json_{suffix}"] = round(json_only, 3)
        out[f"workbook_pdf_{suffix}"] = round(
            json_only + renders.get("render.xlsx", 0.0) + renders.get("render.pdf", 0.0), 3)
        out[f"all_renderers_{suffix}" if key == "seconds" else "all_cpu"] = round(core + sum(renders.values()), 3)
    out["peak_rss_mb"] = max(imported["peak_rss_mb"], reported["peak_rss_mb"])
    return out


def machine() -> dict[str, Any]:
    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(),
            "note": "shared 2-core machine: other jobs may have run at the same time (noisy timings)"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--events", type=int)
    what.add_argument("--growth", help="comma-separated event counts, e.g. 10000,100000,1000000")
    what.add_argument("--show", type=Path, help="print the tables of an earlier results JSON (no run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--formats", default="json", help="json | all | a list such as json,xlsx,pdf")
    parser.add_argument("--binance", action="store_true", help="also time the Binance statement importer")
    parser.add_argument("--cli", action="store_true", help="also time the real taxmargin commands end to end")
    parser.add_argument("--json", type=Path, default=OUT / "results.json")
    args = parser.parse_args(argv)
    if args.show is not None:
        shown = json.loads(args.show.read_text())
        for run in shown["runs"]:
            print_run(run)
        if len(shown["runs"]) > 1:
            print_growth(shown["runs"])
        return 0
    formats = ALL_FORMATS if args.formats == "all" else args.formats
    sizes = [args.events] if args.events else [int(n) for n in args.growth.split(",") if n.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    bytecode = compile_bytecode()
    runs = []
    for n in sizes:
        runs.append(run_one(n, args.seed, formats, args.binance, args.cli, args.year))
        print_run(runs[-1])
    doc = {"machine": {**machine(), "bytecode": bytecode}, "runs": runs}
    if len(runs) > 1:
        doc["growth"] = print_growth(runs)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=1) + "\n")
    with open(OUT / "history.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(doc) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
