"""Run ``mypy --strict`` over the installed package layout.

``importers/`` and ``reports/`` install as ``taxmargin.importers`` and
``taxmargin.reports`` (pyproject package-dir), a mapping mypy cannot follow from the source
tree. This builds a temporary mirror of symlinks with the installed layout and checks it.
Usage: ``python tests/typecheck.py`` (exit status is mypy's).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_mirror(target: Path) -> Path:
    """``target/taxmargin`` with every file of taxmargin/ plus importers/ and reports/."""
    package = target / "taxmargin"
    package.mkdir()
    for entry in (ROOT / "taxmargin").iterdir():
        if entry.name in {"__pycache__"}:
            continue
        (package / entry.name).symlink_to(entry)
    (package / "importers").symlink_to(ROOT / "importers")
    (package / "reports").symlink_to(ROOT / "reports")
    return package


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="taxmargin-mypy-") as tmp:
        package = build_mirror(Path(tmp))
        command = [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(Path(tmp) / ".mypy_cache"),
            str(package),
        ]
        return subprocess.call(command, cwd=tmp)


if __name__ == "__main__":
    raise SystemExit(main())
