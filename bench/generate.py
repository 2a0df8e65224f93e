"""Generate a deterministic benchmark history (issue 6).

    python bench/generate.py --events N --seed S --out FILE [--binance FILE] [--summary FILE]

``--out`` gets the taxmargin CSV (interfaces.md §2) with N events over 2024-2025;
``--binance`` also writes the binance account's events as a Binance Transaction History
statement v2 (exchange-formats.md §1.1), for importer timing; ``--summary`` writes the
generator's expected pool totals (JSON, amounts in 1e-8 units). Rows stream to disk: the
memory used does not grow with N. The same N and seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from histgen import History  # noqa: E402
from rows import BinanceWriter, GenericWriter  # noqa: E402

__all__ = ["generate", "main"]

GENERATOR_VERSION = 2


def generate(events: int, seed: int, out: Path, binance: Path | None = None) -> dict[str, Any]:
    """Write ``events`` events to ``out`` (and ``binance``); return the summary."""
    with ExitStack() as stack:
        stream = stack.enter_context(open(out, "w", encoding="utf-8", newline="", buffering=1 << 20))
        bn = None
        if binance is not None:
            bn_stream = stack.enter_context(open(binance, "w", encoding="utf-8", newline="", buffering=1 << 20))
            bn = BinanceWriter(bn_stream)
        writer = GenericWriter(stream)
        history = History(seed, writer, bn)
        history.run(events)
    return {
        "version": GENERATOR_VERSION,
        "events": history.count,
        "seed": seed,
        "types": dict(sorted(writer.counts.items())),
        "binance_rows": bn.rows if bn is not None else 0,
        "pools": {f"{a}/{s}": asdict(p) for (a, s), p in sorted(history.book.pools.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--binance", type=Path)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    started = time.perf_counter()
    summary = generate(args.events, args.seed, args.out, args.binance)
    if args.summary is not None:
        args.summary.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    took = time.perf_counter() - started
    print(f"{summary['events']} events -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {took:.1f} s",
          file=sys.stderr)
    if args.binance is not None:
        print(f"{summary['binance_rows']} Binance statement rows -> {args.binance}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
