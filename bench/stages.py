"""One benchmark child process: times each pipeline stage, prints one JSON object.

    python bench/stages.py import FILE --ledger DB            # load_file, detect, parse, store
    python bench/stages.py parse FILE                         # load_file, detect, parse only
    python bench/stages.py report --ledger DB --year Y --out DIR --formats json,csv,...

``bench/run.py`` starts each in a fresh interpreter, so ``peak_rss_mb`` (ru_maxrss) is
that command's own peak: the import and the report run in separate processes, as
``taxmargin import`` and ``taxmargin report`` do. The report stages are the same calls,
in the same order, as ``taxmargin.api.compute_report`` (kept in step by hand).

The report child arms a tripwire: any call of ``load_file`` or of a layout's ``parse``
during the report fails the run, so "report reads only the ledger" is checked on every
benchmark (``run.py`` also hides the source file while the report runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class Stopwatch:
    """Times named stages; records the process's peak RSS after each."""

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []

    def run(self, name: str, fn: Callable[[], T]) -> T:
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stages.append({"stage": name, "seconds": round(seconds, 4), "cpu_seconds": round(cpu, 4),
                            "peak_rss_mb": round(peak_mb, 1)})
        return result


def _read(watch: Stopwatch, path: Path, prefix: str) -> tuple[Any, Any]:
    from taxmargin.importers import LAYOUTS
    from taxmargin.importers.base import detect_layout, load_file

    file = watch.run(f"{prefix}.load_file", lambda: load_file(path))
    layout = watch.run(f"{prefix}.detect", lambda: detect_layout(file, LAYOUTS))
    result = watch.run(f"{prefix}.parse", lambda: layout.parse(file))
    return file, result


def cmd_parse(args: argparse.Namespace, watch: Stopwatch) -> dict[str, Any]:
    """Importer speed only (e.g. the Binance statement): nothing is stored."""
    _, result = _read(watch, args.file, "import")
    return {"layout": result.layout, "rows_read": result.rows_read, "events": len(result.events),
            "rows_rejected": result.rows_rejected, "non_taxable": len(result.non_taxable),
            "unaccounted": result.unaccounted}


def cmd_import(args: argparse.Namespace, watch: Stopwatch) -> dict[str, Any]:
    from taxmargin.ledger import Ledger

    file, result = _read(watch, args.file, "import")

    def store() -> Any:
        with Ledger.open(args.ledger) as ledger:
            return ledger.store(file, result)

    record = watch.run("ledger.store", store)
    return {"layout": result.layout, "rows_read": result.rows_read, "events": len(result.events),
            "rows_rejected": result.rows_rejected, "events_stored": record.events_stored,
            "duplicates": record.duplicates}


def _tripwire() -> list[str]:
    """Make any source-file read during ``report`` raise (it must use the ledger only)."""
    import taxmargin.api as api
    import taxmargin.importers.base as base
    from taxmargin.importers import LAYOUTS

    calls: list[str] = []

    def trip(name: str) -> Callable[..., Any]:
        def fail(*_: Any, **__: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"report called {name}: it must read only the ledger")
        return fail

    base.load_file = trip("load_file")  # type: ignore[assignment]
    api.load_file = trip("load_file")  # type: ignore[attr-defined]
    for layout in LAYOUTS:
        type(layout).parse = trip(f"{type(layout).__name__}.parse")  # type: ignore[method-assign]
    return calls


def _eager(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``engine.book_stages`` hands out each year's booking when its end is reached (the
    pass runs as the report asks for them); timed as a stage, the whole pass runs inside
    the timer. The bookings are the same."""
    def run_all(*a: Any, **k: Any) -> Any:
        done = list(fn(*a, **k))
        done.reverse()
        return (done.pop() for _ in range(len(done)))  # handed over, not kept (memory)
    return run_all


def _timed(watch: Stopwatch, name: str, fn: Callable[..., T]) -> Callable[..., T]:
    def wrapper(*a: Any, **k: Any) -> T:
        return watch.run(name, lambda: fn(*a, **k))
    return wrapper


def cmd_report(args: argparse.Namespace, watch: Stopwatch) -> dict[str, Any]:
    """``api.compute_report`` itself, with its stage functions wrapped by timers (the
    wrappers replace the names it looks up in ``taxmargin.pipeline``), so the
    stages are exactly the CLI's; what is left of its time is reported as ``report.glue``."""
    from taxmargin import api, pipeline
    from taxmargin.profile import Profile
    from taxmargin.reports.writers import render

    calls = _tripwire()
    profile = Profile()
    events, prices = watch.run("ledger.load", lambda: api.load_events(args.ledger))
    if args.gc_freeze:  # experiment: keep the loaded events out of every later full collection
        gc.freeze()
    for attr, name in (("match_transfers", "transfers"), ("price_events", "pricing"), ("book_stages", "booking"),
                       ("tax_year", "tax_year"), ("build_forms", "build_forms")):
        setattr(pipeline, attr, _timed(watch, name, _eager(getattr(pipeline, attr)) if attr == "book_stages"
                                       else getattr(pipeline, attr)))
    before = len(watch.stages)
    report = watch.run("report.compute", lambda: api.compute_report(
        events, prices, profile, args.year, method=args.method or None))
    inner = watch.stages[before:-1]
    compute = watch.stages.pop()
    watch.stages.append({
        "stage": "report.glue",
        "seconds": round(compute["seconds"] - sum(s["seconds"] for s in inner), 4),
        "cpu_seconds": round(compute["cpu_seconds"] - sum(s["cpu_seconds"] for s in inner), 4),
        "peak_rss_mb": compute["peak_rss_mb"],
    })
    forms = report.forms
    booking_rows = len(forms.form_8949.rows)
    have, missing = api.available_formats(tuple(f for f in args.formats.split(",") if f))
    args.out.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    for fmt in have:
        for path in watch.run(f"render.{fmt}", lambda fmt=fmt: render(forms, args.out, [fmt])):
            files[path.name] = path.stat().st_size
    f8949 = forms.form_8949
    return {
        "events": len(events), "form8949_rows": booking_rows,
        "statement_groups": len(f8949.statement), "exception2": bool(f8949.statement),
        "diagnostics": len(forms.diagnostics), "files": files, "missing_renderers": list(missing),
        "source_reads": calls,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one benchmark child (see bench/run.py)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_import = sub.add_parser("import")
    p_import.add_argument("file", type=Path)
    p_import.add_argument("--ledger", type=Path, required=True)
    p_parse = sub.add_parser("parse")
    p_parse.add_argument("file", type=Path)
    p_report = sub.add_parser("report")
    p_report.add_argument("--ledger", type=Path, required=True)
    p_report.add_argument("--year", type=int, default=2025)
    p_report.add_argument("--out", type=Path, required=True)
    p_report.add_argument("--formats", default="json")
    p_report.add_argument("--method", default="")
    p_report.add_argument("--gc-freeze", action="store_true", help="experiment: gc.freeze() after loading")
    args = parser.parse_args(argv)
    watch = Stopwatch()
    started = time.perf_counter()
    info = {"import": cmd_import, "parse": cmd_parse, "report": cmd_report}[args.command](args, watch)
    total = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump({"command": args.command, "stages": watch.stages, "seconds": round(total, 4),
               "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "info": info}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    gc.disable()  # skip the final collection of millions of objects (not part of any stage)
    return 0


if __name__ == "__main__":
    import os

    code = main()
    os._exit(code)  # the interpreter's teardown of a million objects is not a pipeline stage
