"""Progress shown on standard error while the command line works (only on a terminal):
a spinner or a bar while a file is read, a bar while a large ledger is booked or a large
year's reports are written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from taxmargin.cli_output import errors

if TYPE_CHECKING:  # the pipeline's type: ``taxmargin import`` starts without it (api, PEP 562)
    from taxmargin.pipeline import Progress

__all__ = ["PROGRESS_BYTES", "PROGRESS_ROWS", "progress_bar", "reading", "spinner"]


#: Form 8949 rows from which writing the reports shows a progress bar.
PROGRESS_ROWS = 5000


def spinner(text: str) -> AbstractContextManager[object]:
    """A spinner on standard error while a file is read (only on a terminal)."""
    return errors.status(text) if errors.is_terminal else nullcontext()


#: Files from this size get a progress bar while they are parsed (smaller: a spinner).
PROGRESS_BYTES = 4 << 20


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """A progress bar on standard error while a large file is parsed (layouts report
    through ``importers.base.PARSE_PROGRESS``); a spinner for small files."""
    try:
        large = path.stat().st_size >= PROGRESS_BYTES
    except OSError:
        large = False
    if not errors.is_terminal or not large:
        with spinner(f"reading {path.name} ..."):
            yield
        return
    from rich.progress import Progress

    from taxmargin.importers.base import PARSE_PROGRESS

    with Progress(console=errors, transient=True) as bar:
        task = bar.add_task(f"reading {path.name}", total=1)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        token = PARSE_PROGRESS.set(update)
        try:
            yield
        finally:
            PARSE_PROGRESS.reset(token)


def progress_bar(label: str = "booking events", *, show: bool = True) -> Progress | None:
    """A progress bar on standard error (only on a terminal): while booking a large ledger
    (the engine reports every few thousand events, so small ledgers never show it) or while
    writing the reports of a large year (``show``)."""
    if not errors.is_terminal or not show:
        return None
    from rich.progress import Progress, TaskID

    bar = Progress(console=errors, transient=True)
    task: list[TaskID] = []

    def update(done: int, total: int) -> None:
        if not task:
            bar.start()
            task.append(bar.add_task(label, total=total))
        bar.update(task[0], completed=done)
        if done >= total:
            bar.stop()

    return update
