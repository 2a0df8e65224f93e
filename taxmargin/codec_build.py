"""Fast construction of the frozen event values for bulk paths (issue 6: a million events).

A frozen ``slots`` dataclass's ``__init__`` takes keyword arguments and sets every field
through ``object.__setattr__`` (~1.5 µs for an event); the codec's bulk paths (the generic
CSV's plainly valid rows, the ledger's load) build exactly the same values by setting the
slots directly (``taxmargin.frozen.builder``, ~0.6 µs). The
values are indistinguishable from ones built by their constructors (equal, same fields,
frozen), which a test checks for every event type.

The builders are derived once from the model's dataclass fields and checked: a class with
a ``__post_init__``, or a field that is not a slot, or a field outside :data:`FIELDS`, gets
its dataclass constructor instead (correct, only slower) — so a change in
``taxmargin.models`` can never make the fast path build a different value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

from taxmargin.frozen import builder
from taxmargin.models import EVENT_TYPES, Amount, EventBase, SourceRef

__all__ = ["FIELDS", "Builder", "amount", "builders", "source_ref", "specific_fields"]

#: The builders' parameters, in order: every field an event class may have.
FIELDS: tuple[str, ...] = (
    "time", "account", "source", "event_id", "sent", "received", "fee", "fee_usd", "usd_value", "lots",
    "note", "seq", "to_account", "basis_usd", "acquired",
)  # fmt: skip

#: ``builder(time, account, source, event_id, sent, received, fee, fee_usd, usd_value, lots,
#: note, seq, to_account, basis_usd, acquired)``; parameters the class lacks are ignored: the
#: caller checks that it gives none (:func:`specific_fields`).
Builder: TypeAlias = Callable[
    [datetime, str, SourceRef, str, Amount | None, Amount | None, Amount | None, Decimal | None,
     Decimal | None, tuple[str, ...], str, int, str, Decimal | None, datetime | None],
    EventBase,
]


def _compile(cls: type[Any], params: tuple[str, ...]) -> Callable[..., Any]:
    """``f(*params)`` building ``cls`` fast (``taxmargin.frozen.builder``), or through its
    constructor when it is not a class that can be built that way."""
    try:
        return builder(cls, params)
    except TypeError:
        names = tuple(f.name for f in dataclasses.fields(cls))

        def construct(*args: Any) -> Any:
            values = dict(zip(params, args))
            return cls(**{name: values[name] for name in names})

        return construct


#: event class -> its :data:`Builder`
_BUILDERS: dict[type[EventBase], Builder] = {cls: _compile(cls, FIELDS) for cls in EVENT_TYPES.values()}


def builders() -> dict[type[EventBase], Builder]:
    """Every registered event class with its builder."""
    return dict(_BUILDERS)


def specific_fields(cls: type[EventBase]) -> frozenset[str]:
    """Which of ``to_account``, ``basis_usd``, ``acquired`` the class has: a builder ignores
    the others, so its caller must refuse values for them (as the class's constructor
    refuses an unexpected keyword)."""
    return frozenset(f.name for f in dataclasses.fields(cls)) & frozenset(FIELDS[12:])


#: ``amount(quantity, asset)`` and ``source_ref(path, line)``: the same values as
#: ``Amount(...)`` / ``SourceRef(...)``, built the same way.
amount: Callable[[Decimal, str], Amount] = _compile(Amount, ("quantity", "asset"))
source_ref: Callable[[str, int], SourceRef] = _compile(SourceRef, ("path", "line"))
