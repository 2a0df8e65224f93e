"""Markdown tables for bench/README.md from result files (no hand copying of figures).

    python bench/report_md.py run bench/out/results.json       # stage table(s)
    python bench/report_md.py growth bench/out/growth.json     # growth table
    python bench/report_md.py rp2 bench/out/rp2_compare.json   # rp2 table
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_table import stage_rows  # noqa: E402


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def run_table(run: dict[str, Any]) -> str:
    info = run["report"]["info"]
    lines = [f"{run['events']:,} events, {info['form8949_rows']:,} Form 8949 rows for {run['year']} "
             f"(Exception 2: {'yes' if info['exception2'] else 'no'})", "",
             "| stage | wall s | CPU s | peak RSS MB |", "|---|---:|---:|---:|"]
    for stage, wall, cpu, peak in stage_rows(run):
        bold = stage.startswith(("=", "CLI"))
        name = f"**{stage.lstrip('= ')}**" if bold else stage
        lines.append(f"| {name} | {_num(wall)} | {_num(cpu)} | {_num(peak, 0)} |")
    return "\n".join(lines)


def growth_table(doc: dict[str, Any]) -> str:
    growth = doc["growth"]
    ns = growth["events"]
    head = "| stage | " + " | ".join(f"CPU s @ {n:,}" for n in ns) + " | b (CPU) | MB @ " + f"{ns[-1]:,} | c (memory) |"
    lines = [head, "|---|" + "---:|" * (len(ns) + 3)]
    for stage, g in growth["stages"].items():
        cpus = g.get("cpu_seconds") or [None] * len(ns)
        b = g.get("time_exponent_cpu")
        lines.append(f"| {stage.lstrip('= ')} | " + " | ".join(_num(c) for c in cpus)
                     + f" | {_num(b)} | {_num(g['peak_rss_mb'][-1], 0)} | {_num(g['memory_exponent'])} |")
    return "\n".join(lines)


def rp2_table(doc: dict[str, Any]) -> str:
    lines = ["| method | rp2 s | taxmargin s (import + report) | speed-up | speed-up, a report per year | "
             "CPU s rp2 / taxmargin | CPU speed-up | rp2 MB | taxmargin MB | memory ratio | 8949 rows | "
             "gains equal to the cent |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in doc["results"]:
        agree = sum(1 for y in r["years"].values() if y["agree"])
        steps = " + ".join(f"{v:.2f}" for v in r["taxmargin_steps"].values())
        apart = r.get("separate_reports", {}).get("speedup")
        lines.append(
            f"| {r['method'].upper()} | {r['rp2_seconds']:.1f} | {r['taxmargin_seconds']:.2f} ({steps}) | "
            f"{r['speedup']}x | {'' if apart is None else f'{apart}x'} | "
            f"{r['rp2_cpu_seconds']:.1f} / {r['taxmargin_cpu_seconds']:.1f} | {r['cpu_speedup']}x | "
            f"{r['rp2_peak_rss_mb']:,.0f} | {r['taxmargin_peak_rss_mb']:,.0f} | {r['memory_ratio']}x | "
            f"{r['rows']['taxmargin']:,} | {'yes' if r['agree'] else 'NO'} ({agree} of {len(r['years'])}) |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    kind, path = argv[0], Path(argv[1])
    doc = json.loads(path.read_text())
    if kind == "run":
        print("\n\n".join(run_table(r) for r in doc["runs"]))
    elif kind == "growth":
        print(growth_table(doc))
    elif kind == "rp2":
        print(rp2_table(doc))
    else:
        raise SystemExit(f"unknown table {kind!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
