"""Profile every pipeline stage (cProfile), to find the hot spots behind bench/run.py.

    python bench/profile_stages.py FILE.csv [--year 2025] [--formats json,csv,xlsx,pdf,txf]
        [--top 12] [--out bench/out/profile.txt] [--skip-import]

Runs the stages in one process, each under its own profiler, and prints per stage the
functions with the most own time (tottime), with their share of the stage. Profiling
slows Python code roughly 1.5-2x; read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class Profiles:
    def __init__(self, top: int) -> None:
        self.top = top
        self.text = io.StringIO()

    def run(self, name: str, fn: Callable[[], T]) -> T:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        result = profiler.runcall(fn)
        took = time.perf_counter() - started
        stats = pstats.Stats(profiler)
        total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
        out = self.text
        out.write(f"\n== {name}: {took:.2f} s under the profiler\n")
        out.write(f"{'own %':>6} {'cum %':>6} {'calls':>10}  function\n")
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
        for (file, line, func), (_, calls, own, cum, _) in rows[: self.top]:
            where = f"{Path(file).name}:{line}" if line else file
            out.write(f"{own / total:6.1%} {cum / total:6.1%} {calls:>10}  {func} ({where})\n")
        print(out.getvalue().split(f"== {name}")[-1].join([f"== {name}", ""]), end="", flush=True)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--formats", default="json")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    from taxmargin import api, pipeline
    from taxmargin.importers import LAYOUTS
    from taxmargin.importers.base import detect_layout, load_file
    from taxmargin.ledger import Ledger
    from taxmargin.profile import Profile
    from taxmargin.reports.writers import render

    prof = Profiles(args.top)
    with tempfile.TemporaryDirectory() as tmp:
        db, out_dir = Path(tmp) / "p.db", Path(tmp) / "out"
        file = load_file(args.file)
        layout = detect_layout(file, LAYOUTS)
        result = prof.run("import.parse", lambda: layout.parse(file))

        def store() -> Any:
            with Ledger.open(db) as ledger:
                return ledger.store(file, result)

        prof.run("ledger.store", store)
        del result, file
        events, prices = prof.run("ledger.load", lambda: api.load_events(db))
        for attr, name in (("match_transfers", "transfers"), ("price_events", "pricing"),
                           ("book_stages", "booking"), ("tax_year", "tax_year"), ("build_forms", "build_forms")):
            fn = getattr(pipeline, attr)  # the names compute_report looks up
            if attr == "book_stages":  # a lazy pass (the report asks for each year's booking): run it whole
                fn = lambda *a, _fn=fn, **k: iter(list(_fn(*a, **k))[::-1].pop, None)  # noqa: E731
            setattr(pipeline, attr, lambda *a, _fn=fn, _name=name, **k: prof.run(_name, lambda: _fn(*a, **k)))
        report = api.compute_report(events, prices, Profile(), args.year)
        for fmt in args.formats.split(","):
            prof.run(f"render.{fmt}", lambda fmt=fmt: render(report.forms, out_dir, [fmt]))
    if args.out is not None:
        args.out.write_text(prof.text.getvalue(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
