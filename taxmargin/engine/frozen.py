"""Fast positional constructors for frozen, slotted dataclasses (issue 6, performance).

The ``__init__`` that ``dataclasses`` generates for a frozen class sets every field with
``object.__setattr__(self, name, value)`` (the class's own ``__setattr__`` refuses), which
makes creating a value with many fields several times slower than creating a tuple. The
engine, the rules and the form builder create one or more such values per Form 8949 row
(``Disposal``, ``Lot``, ``YearRow``, ``Form8949Row``), a million of each for a large year.

:func:`positional` builds, once per class, a plain function taking every field
positionally in field order that creates the instance with ``object.__new__`` and stores
each field through its slot descriptor: the same object state as ``cls(*values)`` (same
fields, same ``==``, ``hash``, ``repr``, still frozen), about twice as fast. Only classes
whose ``__init__`` does nothing else are accepted: frozen, slotted, every field in
``__init__``, no ``__post_init__``, no ``InitVar``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["positional"]

T = TypeVar("T")


def _check(cls: type) -> list[str]:
    """The field names of ``cls``; raises TypeError for a class this cannot build."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    params = getattr(cls, "__dataclass_params__")
    if not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} must be a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__: use its constructor")
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields) or len(fields) != len(getattr(cls, "__dataclass_fields__")):
        raise TypeError(f"{cls.__name__} has fields outside __init__ (init=False or InitVar)")
    return [f.name for f in fields]


def positional(cls: type[T]) -> Callable[..., T]:
    """A constructor ``make(field_1, ..., field_n) -> cls`` (every field, in field order)
    equal in effect to ``cls(field_1, ..., field_n)`` for the classes :func:`_check` allows."""
    names = _check(cls)
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def make({', '.join(names)}):", "    self = _new(_cls)"]
    for index, name in enumerate(names):
        descriptor = None
        for klass in cls.__mro__:  # the slot lives on the class that declares the field
            descriptor = klass.__dict__.get(name)
            if descriptor is not None:
                break
        namespace[f"_set{index}"] = descriptor.__set__  # type: ignore[union-attr]
        lines.append(f"    _set{index}(self, {name})")
    lines.append("    return self")
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from field names only
    make: Callable[..., T] = namespace["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    make.__doc__ = f"``{cls.__name__}({', '.join(names)})``, positional only (taxmargin.engine.frozen)."
    return make
