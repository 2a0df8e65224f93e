"""Rich tables for bench/run.py, and the log-log growth fit."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["print_run", "print_growth", "fit_exponent", "stage_rows"]

console = Console(width=130)


def fit_exponent(ns: list[int], values: list[float]) -> float | None:
    """Least-squares slope b of log(value) = a + b log(N); None with fewer than 2 points."""
    points = [(math.log(n), math.log(v)) for n, v in zip(ns, values) if v > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


Row = tuple[str, float, float | None, float]


def stage_rows(run: dict[str, Any]) -> list[Row]:
    """(stage, wall seconds, CPU seconds or None, peak RSS MB of its process so far)."""
    def rows_of(stages: list[dict[str, Any]], prefix: str = "") -> list[Row]:
        return [(prefix + s["stage"], s["seconds"], s.get("cpu_seconds"), s["peak_rss_mb"]) for s in stages]

    rows = rows_of(run["import"]["stages"]) + rows_of(run["report"]["stages"])
    if "binance" in run:
        rows += rows_of(run["binance"]["stages"], "binance ")
    totals = run["totals"]
    rendered = {s["stage"] for s in run["report"]["stages"]}
    rows.append(("= forms.json end to end (stages)", totals["json_end_to_end"], totals.get("json_cpu"),
                 totals["peak_rss_mb"]))
    if {"render.xlsx", "render.pdf"} <= rendered:
        rows.append(("= + xlsx + pdf (stages)", totals["workbook_pdf_end_to_end"], totals.get("workbook_pdf_cpu"),
                     totals["peak_rss_mb"]))
    rows.append(("= every renderer run (stages)", totals["all_renderers_end_to_end"], totals.get("all_cpu"),
                 totals["peak_rss_mb"]))
    if "cli" in run:
        cli = run["cli"]
        rows.append(("CLI taxmargin import", cli["import"]["seconds"], cli["import"].get("cpu_seconds"),
                     cli["import"]["peak_rss_mb"]))
        rows.append(("CLI taxmargin report --format json", cli["report_json"]["seconds"],
                     cli["report_json"].get("cpu_seconds"), cli["report_json"]["peak_rss_mb"]))
        rows.append(("= CLI end to end (json)", cli["end_to_end_seconds"], cli.get("end_to_end_cpu_seconds"),
                     cli["peak_rss_mb"]))
        if "report_formats" in cli:
            full = cli["report_formats"]
            rows.append((f"CLI taxmargin report --format {full['formats']}", full["seconds"],
                         full.get("cpu_seconds"), full["peak_rss_mb"]))
            rows.append((f"= CLI end to end ({full['formats']})", cli["end_to_end_formats_seconds"],
                         cli.get("end_to_end_formats_cpu_seconds"), max(full["peak_rss_mb"], cli["import"]["peak_rss_mb"])))
        again = cli["report_again_source_hidden"]
        rows.append(("CLI report again, source hidden", again["seconds"], again.get("cpu_seconds"),
                     again["peak_rss_mb"]))
    return rows


def print_run(run: dict[str, Any]) -> None:
    info = run["report"]["info"]
    table = Table(title=f"{run['events']:,} events ({run['csv_mb']} MB CSV), year {run['year']}: "
                        f"{info['form8949_rows']:,} Form 8949 rows, Exception 2: {info['exception2']}")
    table.add_column("stage")
    table.add_column("wall s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("µs / event (wall)", justify="right")
    table.add_column("peak RSS MB", justify="right")
    for stage, seconds, cpu, peak in stage_rows(run):
        per = seconds / run["events"] * 1e6
        style = "bold" if stage.startswith(("=", "CLI")) else None
        table.add_row(stage, f"{seconds:.2f}", "" if cpu is None else f"{cpu:.2f}", f"{per:.1f}", f"{peak:.0f}",
                      style=style)
    console.print(table)


def print_growth(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Time (wall and CPU) and memory against N per stage, with fitted exponents."""
    ns = [r["events"] for r in runs]
    by_stage: dict[str, list[tuple[float, float | None, float]]] = {}
    for run in runs:
        for stage, seconds, cpu, peak in stage_rows(run):
            by_stage.setdefault(stage, []).append((seconds, cpu, peak))
    table = Table(title="growth: time ~ N^b, memory ~ N^c (least squares on log-log)")
    table.add_column("stage")
    for n in ns:
        table.add_column(f"CPU s @ {n:,}", justify="right")
    table.add_column("b (CPU)", justify="right")
    table.add_column("b (wall)", justify="right")
    table.add_column(f"MB @ {ns[-1]:,}", justify="right")
    table.add_column("c (memory)", justify="right")
    out: dict[str, Any] = {}
    for stage, values in by_stage.items():
        if len(values) != len(ns):
            continue
        cpus = [v[1] for v in values]
        b_wall = fit_exponent(ns, [v[0] for v in values])
        b_cpu = None if any(c is None for c in cpus) else fit_exponent(ns, [float(c or 0) for c in cpus])
        c = fit_exponent(ns, [v[2] for v in values])
        out[stage] = {"seconds": [v[0] for v in values], "cpu_seconds": cpus, "peak_rss_mb": [v[2] for v in values],
                      "time_exponent_wall": b_wall, "time_exponent_cpu": b_cpu, "memory_exponent": c}
        table.add_row(stage, *("-" if v[1] is None else f"{v[1]:.2f}" for v in values),
                      "-" if b_cpu is None else f"{b_cpu:.2f}", "-" if b_wall is None else f"{b_wall:.2f}",
                      f"{values[-1][2]:.0f}", "-" if c is None else f"{c:.2f}")
    console.print(table)
    return {"events": ns, "stages": out}
