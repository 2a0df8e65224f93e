"""Write-then-rename so an interrupted ``report`` leaves the previous complete output or
none, never a half-written file (issue 7, interrupted runs).

The content goes to a hidden temporary file beside the target (``.NAME.XXXX.tmp``, same
folder, so the rename is atomic), is flushed to disk (``fsync``), and only then renamed
over the target; the folder is synced after the rename where the system allows it, so a
power cut cannot leave an empty file under the target's name either. A process killed
before the rename leaves at most the hidden temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_path", "atomic_text", "atomic_bytes"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; not every system can open a folder (Windows): best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; reports are ordinary files
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_text(target: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a text stream whose content replaces ``target`` only when the block succeeds."""
    with atomic_path(target) as tmp:
        with tmp.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle


def atomic_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
