"""Several tax years of one ``report`` on two cores (issue 6, speed).

``taxmargin report --year 2024 --year 2025`` books the ledger once
(``pipeline.prepare_years``); what is left per year — the rules, the forms, the files and
the summary — depends on that year's booking only. On a POSIX machine with more than one
core, :func:`run_years` forks one child as soon as the booking pass has reached the end
of the child's years, which does those first years while the parent books on and does the
rest (split where the two shares of events are closest). A
forked child shares the booking with the parent (copy-on-write); nothing is pickled but
what the child printed and its exit status.

Output: each side prints into a buffer (``cli_output.captured``: the same text, styles
included, as on the real console), and the parent then prints the child's buffer and its
own, so the years appear in order, as in a serial run. The files are the same either way
(each renderer writes its files atomically); a child neither forks further renderers
(``fanout``) nor touches the ledger, and leaves with ``os._exit``.

Errors: a year's expected problem is printed with that year and gives exit status 2 (the
other years are still written); a child that fails otherwise makes the parent raise
``RuntimeError`` after printing what the child printed (exit 3), and the parent always
waits for the child first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Protocol, cast

from taxmargin.fanout import MIN_ROWS, _busy, collect, fork_child, workers_available

__all__ = ["Captured", "run_years", "split_point"]


class Captured(Protocol):
    """What ``cli_output.captured`` yields: the text printed to each stream so far."""

    def texts(self) -> tuple[str, str]: ...


#: ``job(year)`` -> the exit status of that year (0, or 2 after printing an expected error).
Job = Callable[[int], int]
#: A context manager capturing what is printed inside it.
Capture = Callable[[], AbstractContextManager[Captured]]


def split_point(weights: Sequence[int]) -> int:
    """The ``k`` in 1..len-1 where ``sum(weights[:k])`` and ``sum(weights[k:])`` are closest
    (the larger of the two is smallest; the first such ``k``)."""
    total, left = sum(weights), 0
    best, best_k = None, 1
    for k in range(1, len(weights)):
        left += weights[k - 1]
        worst = max(left, total - left)
        if best is None or worst < best:
            best, best_k = worst, k
    return best_k


def run_years(years: Sequence[int], weights: Mapping[int, int], job: Job, capture: Capture,
              replay: Callable[[str, str], None], ready: Callable[[Sequence[int]], None] | None = None) -> int:
    """Run ``job`` for every year, in order; returns the highest exit status. Serial with
    one core, one year, or weights (events) below ``fanout.MIN_ROWS`` in all; otherwise the
    first years in a forked child (module docstring). ``ready(child_years)`` is called
    just before the fork (the booking pass runs up to the child's last year, so the child
    starts while the parent books on: ``pipeline.Prepared.book_to``). ``replay(out, err)``
    prints text captured in a process."""
    shares = [weights.get(year, 0) for year in years]
    if len(years) < 2 or workers_available() < 2 or sum(shares) < MIN_ROWS or _busy["in_child"]:
        return max((job(year) for year in years), default=0)
    k = split_point(shares)
    if ready is not None:
        ready(years[:k])
    pid, reader = fork_child(partial(_child, years[:k], job, capture))
    _busy["children"] += 1
    failure: BaseException | None = None
    codes: list[int] = []
    try:
        with capture() as ours:
            try:
                codes.extend(job(year) for year in years[k:])
            except BaseException as exc:  # wait for the child first
                failure = exc
    finally:
        kind, payload = collect(pid, reader, "it")
        _busy["children"] -= 1
    out, err, theirs = cast(tuple[str, str, list[int]], payload) if kind == "ok" else ("", "", [])
    replay(out, err)
    replay(*ours.texts())
    if failure is not None:
        raise failure
    if kind != "ok":
        raise RuntimeError(f"the process writing the years {', '.join(map(str, years[:k]))} failed: {payload}")
    return max((*theirs, *codes), default=0)


def _child(years: Sequence[int], job: Job, capture: Capture) -> tuple[str, object]:
    """In the forked child: the years into a buffer; ("ok", (out, err, exit statuses))."""
    with capture() as captured:
        codes = [job(year) for year in years]
    return ("ok", (*captured.texts(), codes))
