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

__all__ = ["Measured", "measure", "stage_child", "compile_bytecode", "BENCH", "ROOT", "PACKAGE_DIRS"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: The folders of the installed ``taxmargin`` package (``pyproject.toml``'s package-dir).
PACKAGE_DIRS = ("taxmargin", "importers", "reports", "fixtures")


def compile_bytecode() -> dict[str, Any]:
    """Write the bytecode (``__pycache__/*.pyc``) of taxmargin's modules before timing.

    pip compiles a package's modules when it installs a wheel: rp2 in ``bench/.rp2-venv``
    starts from its ``.pyc`` files. taxmargin runs from this checkout (an editable
    install), whose bytecode Python writes on the first run, unless
    ``PYTHONDONTWRITEBYTECODE`` is set (as on the project machine): every command then
    compiles its ~120 modules from source again, about 0.1 s each time. Compiling once,
    as an install does, times both tools as installed. Up-to-date files are kept."""
    import compileall

    ok = all(compileall.compile_dir(ROOT / folder, quiet=1) for folder in PACKAGE_DIRS)
    return {"compiled": bool(ok), "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "")}


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
    ru_maxrss (MB) and CPU seconds (user + system; robust when the machine is shared).

    Data an earlier command left unwritten (rp2's reports, an earlier ledger) is flushed to
    disk first (``os.sync``, not timed): a command that ``fsync``s its files, as taxmargin
    does, would otherwise wait for it as well as for its own."""
    os.sync()
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
