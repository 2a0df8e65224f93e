"""Writing several report formats at once on a multi-core machine (issue 6, speed).

``report`` writes up to five formats from one in-memory :class:`TaxForms`. Each renderer
is single-threaded Python, and for a large year they take very different times (per Form
8949 row, roughly: json 4 us, csv 5, pdf 8, txf 12, xlsx 30; bench/README.md).
On a POSIX machine with more than one core, :func:`render_parallel` splits the formats
into groups of about equal cost (longest first, each to the lightest group) and renders
every group but the first in a forked child process while the parent renders the first.
A forked child shares the forms with the parent (copy-on-write); nothing is pickled
except each child's answer (the files it wrote, or its error message).

Nothing about the output changes: every renderer writes its own files atomically
(``reports.atomic``), exactly as in a serial run. A child never touches the terminal or
the ledger, and leaves with ``os._exit`` so no parent state (open files, the SQLite
connection, a progress bar's thread) is finalized twice.

Errors: a renderer's :class:`~taxmargin.errors.TaxMarginError` in a child is re-raised in
the parent as an :class:`~taxmargin.errors.InputError` with the same message (exit 2);
a child that dies otherwise raises ``RuntimeError`` (exit 3, an internal error). The
parent waits for every child before raising, so no child outlives the command.
"""

from __future__ import annotations

import codecs
import os
import pickle
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from taxmargin.errors import InputError, TaxMarginError

__all__ = ["COST_PER_ROW", "collect", "fork_child", "plan_groups", "workers_available", "render_parallel", "Renderer",
           "split_text"]

#: Relative cost of each format per Form 8949 row (only the ratios matter): used to
#: balance the groups. Measured at 100,000 and 1,000,000 events (bench/README.md).
COST_PER_ROW: dict[str, float] = {"json": 4.0, "csv": 5.0, "txf": 12.0, "pdf": 8.0, "xlsx": 30.0}

T = TypeVar("T")

#: ``render(formats)`` -> the paths written (``reports.writers.render`` bound to the forms).
Renderer = Callable[[Sequence[str]], list[Path]]

#: Below this many Form 8949 rows the fork costs more than it saves.
MIN_ROWS = 5_000

#: Below this many items :func:`split_text` renders everything itself.
MIN_SPLIT_ITEMS = 50_000

#: Forked children of this process still running (a renderer forks no more while another
#: process already uses the other core), and whether this process is such a child.
_busy = {"children": 0, "in_child": False}


def workers_available() -> int:
    """Cores this process may run on (1 where ``fork`` is unavailable, e.g. Windows)."""
    if not hasattr(os, "fork") or sys.platform == "win32":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def plan_groups(formats: Sequence[str], workers: int) -> list[tuple[str, ...]]:
    """At most ``workers`` non-empty groups of ``formats`` with costs as equal as the
    longest-processing-time rule makes them; each group keeps the order of ``formats``.
    The first group is the one the parent renders."""
    if workers <= 1 or len(formats) <= 1:
        return [tuple(formats)] if formats else []
    groups: list[list[str]] = [[] for _ in range(min(workers, len(formats)))]
    loads = [0.0] * len(groups)
    for name in sorted(formats, key=lambda f: -COST_PER_ROW.get(f, 10.0)):
        lightest = loads.index(min(loads))
        groups[lightest].append(name)
        loads[lightest] += COST_PER_ROW.get(name, 10.0)
    order = {name: i for i, name in enumerate(formats)}
    return [tuple(sorted(g, key=order.__getitem__)) for g in groups if g]


@dataclass(frozen=True, slots=True)
class _Child:
    pid: int
    reader: int
    formats: tuple[str, ...]


def _each(render: Renderer, formats: Sequence[str]) -> dict[str, list[Path]]:
    """Render the formats one by one: format -> the files it wrote."""
    return {name: render((name,)) for name in formats}


def _render_answer(render: Renderer, formats: tuple[str, ...]) -> tuple[str, object]:
    """A child's answer: ("ok", {format: paths}), or ("error", message) for a
    :class:`TaxMarginError` (raised again in the parent as an ``InputError``)."""
    try:
        return ("ok", _each(render, formats))
    except TaxMarginError as exc:
        return ("error", str(exc))


def fork_child(work: Callable[[], tuple[str, object]]) -> tuple[int, int]:
    """Fork a child that runs ``work`` and sends its answer — ``(kind, payload)``, or
    ``("crash", traceback)`` if it raises — pickled through a pipe, then leaves with
    ``os._exit`` (status 0 for an "ok" answer, else 1) without touching the parent's state.
    Returns (pid, the pipe's reading end) for :func:`collect`. Also used by
    ``taxmargin.yearfork``."""
    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
        os.close(reader)
        _busy["in_child"] = True
        code = 1
        try:
            answer = work()
            code = 0 if answer[0] == "ok" else 1
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises
            answer = ("crash", traceback.format_exc())
        try:
            with os.fdopen(writer, "wb") as pipe:
                pickle.dump(answer, pipe)
        finally:
            os._exit(code)
    os.close(writer)
    return pid, reader


def collect(pid: int, reader: int, what: str) -> tuple[str, object]:
    """The answer of the child :func:`fork_child` started, once it has left; ("crash",
    "WHAT ended without an answer ...") when it died without one."""
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return ("crash", f"{what} ended without an answer (wait status {status})")
    answer: tuple[str, object] = pickle.loads(data)
    return answer


def _fork(render: Renderer, formats: tuple[str, ...]) -> _Child:
    pid, reader = fork_child(lambda: _render_answer(render, formats))
    return _Child(pid, reader, formats)


def _collect(child: _Child) -> tuple[str, object]:
    return collect(child.pid, child.reader, f"the process writing {', '.join(child.formats)}")


def render_parallel(render: Renderer, formats: Sequence[str], rows: int,
                    done: Callable[[int], None] | None = None) -> list[Path]:
    """Render ``formats`` (in parallel where it pays: several cores, at least
    :data:`MIN_ROWS` rows, several formats); returns the files written, in format order.
    ``done(n)`` is called with the number of formats finished so far."""
    workers = workers_available() if rows >= MIN_ROWS else 1
    groups = plan_groups(formats, workers)
    if len(groups) <= 1:
        written: list[Path] = []
        for n, name in enumerate(formats, start=1):
            written.extend(render((name,)))
            if done is not None:
                done(n)
        return written
    children = [_fork(render, group) for group in groups[1:]]
    _busy["children"] += len(children)
    by_format: dict[str, list[Path]] = {}
    failure: BaseException | None = None
    try:
        by_format.update(_each(render, groups[0]))
    except BaseException as exc:  # wait for the children before raising
        failure = exc
    finished = len(groups[0])
    if done is not None and failure is None:
        done(finished)
    for child in children:
        kind, payload = _collect(child)
        _busy["children"] -= 1
        if kind == "ok" and isinstance(payload, dict):
            by_format.update(payload)
            finished += len(child.formats)
            if done is not None and failure is None:
                done(finished)
        elif failure is None:
            failure = InputError(str(payload)) if kind == "error" else RuntimeError(str(payload))
    if failure is not None:
        raise failure
    return [path for name in formats for path in by_format[name]]


#: ``render(items, offset)``: the text of ``items``, which start at index ``offset`` of the
#: whole sequence (a renderer puts a separator before a slice that does not start at 0).
SliceRenderer = Callable[[Sequence[T], int], Iterable[str]]


def _render_to(render: SliceRenderer[T], items: Sequence[T], offset: int, spool: IO[bytes]) -> None:
    """In a forked child: the text of ``items`` into ``spool`` (UTF-8), then leave; the
    exit status tells the parent whether it is complete."""
    code = 1
    try:
        for piece in render(items, offset):
            spool.write(piece.encode("utf-8"))
        spool.flush()
        code = 0
    except BaseException:  # noqa: BLE001 - the parent renders these items itself
        pass
    finally:
        os._exit(code)


def split_text(render: SliceRenderer[T], items: Sequence[T]) -> Iterator[str]:
    """``render(items, 0)`` as text pieces, in order; on a multi-core POSIX machine, for at
    least :data:`MIN_SPLIT_ITEMS` items and when no other renderer process is running, the
    second half is rendered at the same time by a forked child into an anonymous spool
    file, which is read back after the first half. ``render`` must be pure: its text for
    a slice depends on that slice and its offset only, and the texts of two adjacent
    slices joined are exactly the text of both together. Should the child fail, the parent renders the second half itself."""
    if (len(items) < MIN_SPLIT_ITEMS or workers_available() < 2 or _busy["children"]
            or _busy["in_child"]):
        yield from render(items, 0)
        return
    half = len(items) // 2
    with tempfile.TemporaryFile() as spool:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child leaves by os._exit
            _render_to(render, items[half:], half, spool)
        try:
            yield from render(items[:half], 0)
        finally:
            _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            yield from render(items[half:], half)
            return
        spool.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        while block := spool.read(1 << 20):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)
