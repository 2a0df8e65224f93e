"""Fetching the stored event rows in a helper process while the events are built (issue 6).

Loading a million events spends about a fifth of its time in SQLite handing rows to
Python (``fetchmany``). For a large ledger, ``Ledger.events`` lets a helper process
(``python -m taxmargin.ledger_fetch LEDGER``) run the query and send the rows through a pipe
as pickled chunks (cheaper to read than to fetch), so fetching and building overlap on two
cores. The helper only reads; it sends ``None`` after the last chunk. Anything unexpected
(the helper fails or stops, a row the load cannot read) makes :func:`fetched_rows` end
without ``None``: the caller then reads the ledger itself, which reports any problem
exactly as before.
"""

from __future__ import annotations

import pickle
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["FETCH_ROWS", "fetched_rows", "main"]

#: Ledgers from this many events are fetched by the helper process.
FETCH_ROWS = 200_000
#: Rows per chunk sent through the pipe.
CHUNK_ROWS = 5_000


def fetched_rows(path: Path, sql: str, timeout: float) -> Iterator[list[tuple[Any, ...]] | None]:
    """The rows of ``sql`` on the ledger at ``path`` a chunk at a time, then ``None``; the
    iteration ends without ``None`` when the helper did not deliver them all. Closing the
    iterator early stops the helper."""
    helper = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "taxmargin.ledger_fetch", str(path), sql, repr(timeout)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    pipe: IO[bytes] = helper.stdout  # type: ignore[assignment]  # (stdout=PIPE)
    try:
        while True:
            try:
                chunk = pickle.load(pipe)
            except (EOFError, pickle.UnpicklingError, OSError):
                return
            yield chunk
            if chunk is None:
                return
    finally:
        pipe.close()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def main(argv: list[str]) -> int:
    """The helper: ``LEDGER SQL TIMEOUT``; chunks of rows to standard output, then None."""
    path, sql, timeout = argv
    out = sys.stdout.buffer
    conn = sqlite3.connect(path, timeout=float(timeout))
    try:
        cursor = conn.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
        out.flush()
    except (sqlite3.Error, BrokenPipeError):
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
