"""How the ledger stores an event's cells (schema version 3) and reads them back.

An event's canonical generic-CSV cells (``codec.event_to_values``: 17 cells, ``time`` in
the fixed-width stored form) are its *stored text* when joined by U+001F
(``codec.stored_text``); the content fingerprint is the BLAKE2b-128 of that text, as in
versions 1 and 2. The ``events`` table keeps ``time`` in its own column (booking order)
and the other 16 cells joined the same way in ``cells``: one column instead of 16 makes
storing and loading a million events several seconds faster (issue 6).

Only ``note`` (the last cell) may contain U+001F in the text a generic CSV gives (its other
cells are printable); an event from elsewhere with U+001F in another cell, or an account
name starting with U+001E, is stored with ``cells`` = U+001E + a JSON array of its 16
cells, which the plain form never starts with. :func:`unpack` reads both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from taxmargin.codec import event_to_values
from taxmargin.models import EventBase

__all__ = ["SEP", "dedup_base", "dedup_key", "fingerprint", "pack", "stored_cells", "unpack"]

SEP = "\x1f"
_JSON = "\x1e"
_blake2b = hashlib.blake2b


def pack(values: Sequence[str]) -> tuple[str, str, str]:
    """``(stored text, time, cells)`` of an event's 17 canonical cells (module docstring)."""
    text = SEP.join(values)
    cells = text[len(values[0]) + 1 :]
    if (text.count(SEP) != 16 and any(SEP in value for value in values[:16])) or cells[:1] == _JSON:
        cells = _JSON + json.dumps(list(values[1:]), ensure_ascii=False)
    return text, values[0], cells


def stored_cells(event: EventBase, text: str | None) -> tuple[str, str, str]:
    """``(stored text, time, cells)`` of ``event``, from ``text`` when a layout gave it
    (``importers.base.StoredTexts``: only generic-CSV texts, whose cells before ``note``
    never contain U+001F), else by formatting the event."""
    if text is None:
        return pack(event_to_values(event, fixed_width_time=True))
    time, _, cells = text.partition(SEP)
    return text, time, cells


def unpack(cells: str) -> list[str]:
    """The 16 cells after ``time`` (``ValueError`` for a value that is not a stored form)."""
    if cells[:1] == _JSON:
        values = json.loads(cells[1:])
        if not isinstance(values, list) or len(values) != 16 or not all(isinstance(v, str) for v in values):
            raise ValueError("not a stored cell list")
        return values
    values = cells.split(SEP, 15)
    if len(values) != 16:
        raise ValueError("not a stored cell list")
    return values


def fingerprint(text: str) -> bytes:
    """The content fingerprint of a stored text (versions 1-3: BLAKE2b-128 of its UTF-8)."""
    return _blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def dedup_base(event: EventBase, print_: bytes) -> bytes:
    """What an event is de-duplicated by: its ``(account, id)``, else its fingerprint."""
    if event.event_id:
        text = f"{event.account}\x1f{event.event_id}".encode("utf-8", "surrogatepass")
        return b"i" + _blake2b(text, digest_size=16).digest()
    return b"f" + print_


def dedup_key(base: bytes, k: int) -> int:
    """The 64-bit key of the ``k``-th event of an import with ``base`` (``taxmargin.ledger``)."""
    return int.from_bytes(_blake2b(base + k.to_bytes(4, "big"), digest_size=8).digest(), "big", signed=True)
