"""Errors and problems.

Exceptions are for bugs and misuse; problems in the user's data are values (design.md §7)::

    TaxMarginError                  base of everything raised on purpose
     +-- InputError                 a file or argument the user gave cannot be used (exit 2)
     |    +-- UnknownFormat         no importer layout matches the file's content
     |    +-- AmbiguousFormat       more than one layout matches
     |    +-- ProfileError          the profile TOML has a bad key or value
     +-- LedgerError                the SQLite ledger cannot be opened, is locked, or is corrupt
     +-- BookingError               the engine met an impossible state (a bug)
     +-- NotSupported               a requested feature or year is outside what is implemented

Data problems: :class:`RowError` (a rejected input row, printed as
``FILE:LINE: column 'X': what is wrong (value 'v')``) and :class:`Diagnostic`
(a warning or note attached to a source row).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from taxmargin.models import SourceRef

__all__ = [
    "TaxMarginError",
    "InputError",
    "UnknownFormat",
    "AmbiguousFormat",
    "ProfileError",
    "LedgerError",
    "BookingError",
    "NotSupported",
    "RowError",
    "Severity",
    "Diagnostic",
    "short_value",
]


class TaxMarginError(Exception):
    """Base of every exception taxmargin raises on purpose."""


class InputError(TaxMarginError):
    """A file or argument supplied by the user cannot be used (CLI exit status 2)."""


class UnknownFormat(InputError):
    """No importer layout matches the file's content."""


class AmbiguousFormat(InputError):
    """More than one importer layout matches the file's content."""


class ProfileError(InputError):
    """The profile TOML has an unknown key or a bad value; the message names the key."""


class LedgerError(TaxMarginError):
    """The ledger cannot be used (locked, corrupt, newer schema)."""


class BookingError(TaxMarginError):
    """The engine reached a state that valid input cannot produce (a bug)."""


class NotSupported(TaxMarginError):
    """A feature, option or tax year that taxmargin does not implement."""


def short_value(value: str, limit: int = 40) -> str:
    """A cell value cut for messages: never print more of a row than needed (privacy)."""
    clean = value.replace("\n", " ").replace("\r", " ").replace("\x00", "\\0")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected input row: ``FILE:LINE: column 'X': message (value 'v')``."""

    source: SourceRef
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = f" (value '{short_value(self.value)}')" if self.value != "" else ""
        return f"{self.source}: column '{self.column}': {self.message}{shown}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem or note in the user's data, shown in reports with its source row.

    ``code`` is a stable kebab-case identifier (``missing-basis``, ``missing-price``,
    ``negative-balance``, ``holding-boundary``, ``year-boundary``, ``short-against-box``,
    ``liquidation-deficit``, ``interest-tracing``, ``over-repay``, ...).
    """

    severity: Severity
    code: str
    message: str
    source: SourceRef | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.severity.value}: [{self.code}] {self.message}"
