"""A result's events built only when someone looks at them (issue 6: a million rows).

A large taxmargin CSV is stored while it is parsed (``taxmargin.ledger_stream``): the
writer needs each row's stored text, source and ``seq``, never the event values, and the
command line reports only counts and row errors. Building the events (their ``Decimal``
amounts, times and frozen values) is two fifths of the parse, on the one core that the
writer waits for; so the streamed parse (``GenericCsv.parse_into`` with a sink) builds only
the events it must compare (rows with an ``id``, rows the full validator reads) and its
:class:`~taxmargin.importers.base.ImportResult` holds a :class:`LazyEvents`: a tuple of
the right length whose items are built, by parsing the file again, on first use.

It is a ``tuple`` subclass so that the result keeps its type; every tuple operation is
overridden to work on the built events (a tuple subclass's own storage stays empty), and
``==`` with a plain tuple of the same events is true either way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Self, SupportsIndex, overload

from taxmargin.models import EventBase

__all__ = ["LazyEvents"]


class LazyEvents(tuple[EventBase, ...]):
    """``count`` events, built by ``load()`` (which must return exactly that many) on first
    use. ``LazyEvents(iterable)`` is an ordinary, already built one (``dataclasses.astuple``
    rebuilds tuples through their type)."""

    _count: int
    _load: Callable[[], tuple[EventBase, ...]] | None
    _built: tuple[EventBase, ...] | None
    #: the last item the parse handed on (``StreamStore.finish`` checks it was fed)
    last_fed: object

    def __new__(cls, iterable: Iterable[EventBase] = (), /) -> Self:
        self = super().__new__(cls)
        self._built = tuple(iterable)
        self._count, self._load, self.last_fed = len(self._built), None, None
        return self

    @classmethod
    def later(cls, count: int, load: Callable[[], tuple[EventBase, ...]], last_fed: object) -> Self:
        """``count`` events that ``load()`` builds when first needed."""
        self = cls()
        self._count, self._load, self._built, self.last_fed = count, load, None, last_fed
        return self

    @property
    def built(self) -> bool:
        """Whether the events exist yet (tests: the import did not need them)."""
        return self._built is not None

    def events(self) -> tuple[EventBase, ...]:
        """The events as a plain tuple (built now if not yet)."""
        if self._built is None:
            assert self._load is not None
            built = self._load()
            if len(built) != self._count:
                raise RuntimeError(f"the events were counted {self._count} but {len(built)} were built")
            self._built, self._load = built, None
        return self._built

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> EventBase: ...
    @overload
    def __getitem__(self, index: slice, /) -> tuple[EventBase, ...]: ...
    def __getitem__(self, index: SupportsIndex | slice, /) -> EventBase | tuple[EventBase, ...]:
        return self.events()[index]

    def __iter__(self) -> Iterator[EventBase]:
        return iter(self.events())

    def __reversed__(self) -> Iterator[EventBase]:
        return reversed(self.events())

    def __contains__(self, item: object, /) -> bool:
        return item in self.events()

    def count(self, value: Any, /) -> int:
        return self.events().count(value)

    def index(self, value: Any, start: SupportsIndex = 0, stop: SupportsIndex = 2**63 - 1, /) -> int:
        return self.events().index(value, start, stop)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, tuple) and len(other) == self._count and self.events() == tuple(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: tuple[EventBase, ...]) -> bool:
        return self.events() < tuple(other)

    def __le__(self, other: tuple[EventBase, ...]) -> bool:
        return self.events() <= tuple(other)

    def __gt__(self, other: tuple[EventBase, ...]) -> bool:
        return self.events() > tuple(other)

    def __ge__(self, other: tuple[EventBase, ...]) -> bool:
        return self.events() >= tuple(other)

    def __hash__(self) -> int:
        return hash(self.events())

    def __add__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.events() + tuple(other)

    def __radd__(self, other: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(other) + self.events()

    def __mul__(self, times: SupportsIndex) -> tuple[EventBase, ...]:
        return self.events() * times

    def __rmul__(self, times: SupportsIndex) -> tuple[EventBase, ...]:
        return self.events() * times

    def __repr__(self) -> str:
        return repr(self.events())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self.events(),))

    def __getnewargs__(self) -> tuple[tuple[EventBase, ...]]:
        return (self.events(),)
