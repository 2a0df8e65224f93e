"""Run a child process and measure it: wall clock and its own peak RSS (``os.wait4``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Measured", "measure", "stage_child", "BENCH", "ROOT"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str


def measure(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run ``argv`` to completion: wall-clock seconds, and from ``os.wait4`` the child's own
    ru_maxrss (MB) and CPU seconds (user + system; robust when the machine is shared)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, proc.returncode,
                        out.read(), err.read())


def stage_child(*args: str) -> dict[str, Any]:
    """``bench/stages.py ARGS`` in a fresh interpreter; its JSON report."""
    done = measure([sys.executable, str(BENCH / "stages.py"), *args], cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"stages.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = round(done.seconds, 3)
    return report
