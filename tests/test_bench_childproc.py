"""The benchmark's process runner (bench/childproc.py, issue 6): taxmargin's bytecode is
compiled before timing, as an installed package has it, and a timed command is measured
with its own exit status, output and peak memory."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import childproc  # type: ignore[import-not-found]  # noqa: E402  (bench/ is not a package)


def test_compile_bytecode_writes_what_the_interpreter_then_reads(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "mod.py").write_text("VALUE = 6 * 7\n", encoding="utf-8")
    monkeypatch.setattr(childproc, "ROOT", tmp_path)
    monkeypatch.setattr(childproc, "PACKAGE_DIRS", ("pkg",))
    done = childproc.compile_bytecode()
    assert done["compiled"] is True
    cached = Path(importlib.util.cache_from_source(str(package / "mod.py")))
    assert cached.is_file()
    # an interpreter that may not write bytecode still reads it: the module comes from the .pyc
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    code = "import pkg.mod as m; print(m.VALUE, m.__cached__)"
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["42", str(cached)]
    before = cached.stat().st_mtime_ns
    assert childproc.compile_bytecode()["compiled"] is True  # up to date: kept as it is
    assert cached.stat().st_mtime_ns == before


def test_a_broken_module_is_reported_not_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text("def (:\n", encoding="utf-8")
    monkeypatch.setattr(childproc, "ROOT", tmp_path)
    monkeypatch.setattr(childproc, "PACKAGE_DIRS", ("pkg",))
    assert childproc.compile_bytecode()["compiled"] is False


def test_measure_gives_the_commands_status_output_and_memory(tmp_path: Path) -> None:
    code = "import sys; block = bytearray(64 << 20); print('out'); print('err', file=sys.stderr); sys.exit(3)"
    done = childproc.measure([sys.executable, "-c", code], cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    assert done.peak_rss_mb >= 64 and done.seconds > 0 and done.cpu_seconds > 0
