"""Issue 6 (performance): the fast constructors of frozen values (``taxmargin.frozen``:
``positional`` for the engine, rules and forms, ``builder`` for the codec and the ledger
load) build exactly what the dataclass constructors build, refuse the classes whose
``__init__`` does more, and are the ones actually used for every event type (a refused
class would fall back to its constructor silently: same values, slower)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar

import pytest
from taxmargin.reports.forms import Form8949Row

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.codec_build import FIELDS, builders
from taxmargin.engine.dispose import make_disposal
from taxmargin.engine.lots import Lot, make_lot
from taxmargin.frozen import builder, positional
from taxmargin.models import EVENT_TYPES, SourceRef
from taxmargin.rules.rows import YearRow, make_year_row

START = datetime(2024, 1, 1, tzinfo=UTC)

SOURCE = SourceRef("x.csv", 3)
T = START


@pytest.mark.parametrize(
    ("cls", "make", "values"),
    [
        (Disposal, make_disposal, ("a", "BTC", Decimal("0.5"), T, T, Decimal("1.50"), Decimal("1"), Purpose.FEE,
                                   True, False, True, Term.LONG, (SOURCE, SOURCE), "e", "l")),
        (Lot, make_lot, (1, 2, "L", "a", Decimal("2"), Decimal("3"), T, Decimal("1.5"), (SOURCE,), False, True)),
        (YearRow, make_year_row, (None, date(2025, 1, 2), date(2025, 3, 4), Term.SHORT, "I")),
        (Form8949Row, positional(Form8949Row), ("I", "I", "d", None, date(2025, 1, 1), Decimal("1.00"),
                                                Decimal("2.00"), "", Decimal("0.00"), Decimal("-1.00"), "a",
                                                "BTC", Decimal("1"), "short", False, True, "sale", ("x",),
                                                T, T, False)),
    ],
)
def test_positional_constructor_builds_the_same_value(cls: type, make: object, values: tuple[object, ...]) -> None:
    built = make(*values)  # type: ignore[operator]
    reference = cls(*values)
    assert type(built) is cls and built == reference and repr(built) == repr(reference)
    assert hash(built) == hash(reference)
    with pytest.raises(dataclasses.FrozenInstanceError):  # still frozen
        built.__setattr__(dataclasses.fields(cls)[0].name, 1)


def test_positional_refuses_classes_with_more_in_init() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            raise ValueError

    @dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclass(slots=True)
    class Mutable:
        x: int

    for cls in (Checked, NoSlots, Mutable, int):
        with pytest.raises(TypeError):
            positional(cls)


def test_builder_takes_class_variables_and_refuses_init_false_and_initvar() -> None:
    """A ClassVar (every event's ``type_name``) is not a field: the class is built fast. A
    field outside ``__init__`` or an InitVar is refused (the constructor does more)."""

    @dataclass(frozen=True, slots=True)
    class Tagged:
        kind: ClassVar[str] = "t"
        x: int

    @dataclass(frozen=True, slots=True)
    class Hidden:
        x: int
        y: int = dataclasses.field(init=False, default=0)

    @dataclass(frozen=True, slots=True)
    class Extra:
        x: int
        z: dataclasses.InitVar[int] = 0

    assert positional(Tagged)(3) == Tagged(3)
    for cls in (Hidden, Extra):
        with pytest.raises(TypeError):
            positional(cls)


def test_every_event_type_is_built_by_the_fast_builder() -> None:
    """The codec and the ledger load build events through ``frozen.builder``; a refused
    class would silently fall back to its constructor (the same values, 1.5 s slower per
    million events), which the value tests cannot see."""
    for cls in EVENT_TYPES.values():
        assert builder(cls, FIELDS).__name__ == f"make_{cls.__name__}"
        assert builders()[cls].__name__ == f"make_{cls.__name__}"


def test_builder_ignores_extra_parameters_and_refuses_missing_fields() -> None:
    """The codec's shape: one parameter list for every event type (codec_build.FIELDS)."""
    make = builder(SourceRef, ("extra", "line", "path"))
    assert make("ignored", 7, "f.csv") == SourceRef("f.csv", 7)
    with pytest.raises(TypeError, match="no parameter for line"):
        builder(SourceRef, ("path",))
