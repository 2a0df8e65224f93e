"""The taxpayer profile: the TOML of interfaces.md §3, read with ``tomllib``, validated by
pydantic (strict, frozen, unknown keys rejected so typos are caught).

Beyond interfaces.md §3 this adds (documented in the README):

- ``[options]``: the uncertainty-register choices of tax-rules.md §9, each with the
  conservative default, reported in every output;
- ``[report]``: presentation choices (Exception 2 threshold, unmasked SSN).
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from taxmargin.errors import ProfileError
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = [
    "Method",
    "METHODS",
    "StandingOrder",
    "Carryover",
    "InvestmentIncome",
    "Form4952Options",
    "Options",
    "ReportOptions",
    "Profile",
    "load_profile",
    "parse_profile",
]

Method = Literal["fifo", "lifo", "hifo", "spec-id"]
METHODS: tuple[str, ...] = ("fifo", "lifo", "hifo", "spec-id")


def _to_decimal(value: Any) -> Decimal:
    """Amounts are strings or numbers read as exact decimals (interfaces.md §3).

    TOML floats arrive as Python floats; they are converted through ``repr`` so the
    decimal the user typed (``1500.50``) is kept, never the binary approximation.
    """
    if isinstance(value, bool):
        raise ValueError("must be a number or a string of digits")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return parse_decimal(repr(value), allow_negative=True)
    if isinstance(value, str):
        try:
            return parse_decimal(value, allow_negative=True)
        except DecimalParseError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError("must be a number or a string of digits")


def _nonneg(value: Any) -> Decimal:
    amount = _to_decimal(value)
    if amount < 0:
        raise ValueError("must not be negative (enter carryovers as positive amounts)")
    return amount


Money = Annotated[Decimal, BeforeValidator(_to_decimal)]
NonNegMoney = Annotated[Decimal, BeforeValidator(_nonneg)]


def _optional_money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return _to_decimal(value)


OptionalMoney = Annotated[Decimal | None, BeforeValidator(_optional_money)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StandingOrder(_Strict):
    """A dated lot-selection order (tax-rules.md §5.3): applies to disposals in
    ``account`` strictly after ``from_``; never rewrites earlier disposals."""

    account: str
    method: Method
    from_: datetime = Field(alias="from")

    @field_validator("from_", mode="before")
    @classmethod
    def _aware(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Carryover(_Strict):
    """From last year's return, as positive amounts (interfaces.md §3)."""

    short_term_loss: NonNegMoney = Decimal(0)
    long_term_loss: NonNegMoney = Decimal(0)
    investment_interest: NonNegMoney = Decimal(0)


class InvestmentIncome(_Strict):
    """Investment income outside the imported files (Form 4952 lines 4a/4b)."""

    interest: NonNegMoney = Decimal(0)
    ordinary_dividends: NonNegMoney = Decimal(0)
    qualified_dividends: NonNegMoney = Decimal(0)


class Form4952Options(_Strict):
    election_4g: NonNegMoney = Decimal(0)


class Options(_Strict):
    """Choices where the law is unsettled (tax-rules.md §9). Defaults are conservative."""

    short_against_box: Literal["analogy", "literal"] = "analogy"  # U2
    liquidation_deficit: Literal["amount_realized", "cod_income"] = "amount_realized"  # U4
    funding_treatment: Literal["ordinary_in_nondeductible_out", "net_into_capital_pnl"] = (
        "ordinary_in_nondeductible_out"  # U3
    )
    interest_allocation: Literal["interest_first", "principal_first"] = "interest_first"  # §3.6(2)
    lending_income_in_4a: bool = False  # U10: income events counted as Form 4952 line 4a
    crypto_loans_as_dispositions: bool = False  # U1 (lender side); not implemented when true
    pool_by: Literal["account", "universal"] = "account"  # §5.1; universal only pre-2025
    month_end_rule: Literal["conservative", "naive"] = "conservative"  # U7
    itemizes: bool = True  # U8: only affects the "lost" amount shown with Form 4952

    @field_validator("crypto_loans_as_dispositions")
    @classmethod
    def _u1_supported(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "the lender-side disposition mode (U1) is not implemented; taxmargin treats "
                "crypto loans as non-dispositions (tax-rules.md §4.5). Remove the key."
            )
        return value

    @field_validator("interest_allocation")
    @classmethod
    def _allocation_supported(cls, value: str) -> str:
        if value != "interest_first":
            raise ValueError(
                "only 'interest_first' is implemented: importers split repayments using the "
                "exchange's own principal/interest records (tax-rules.md §3.6(2))"
            )
        return value


class ReportOptions(_Strict):
    exception2_threshold: int = Field(default=500, ge=1)
    show_full_ssn: bool = False


class Profile(_Strict):
    """Everything about the taxpayer that is not in the exchange files (interfaces.md §3)."""

    name: str = ""
    ssn: str = ""
    filing_status: Literal["single", "mfj", "mfs", "hoh", "qss"] = "single"
    timezone: str = "UTC"
    method: Method = "fifo"
    round_whole_dollars: bool = False
    taxable_income: OptionalMoney = None
    carryover: Carryover = Carryover()
    investment_income: InvestmentIncome = InvestmentIncome()
    form_4952: Form4952Options = Form4952Options()
    standing_orders: tuple[StandingOrder, ...] = ()
    options: Options = Options()
    report: ReportOptions = ReportOptions()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_profile(data: dict[str, Any], origin: str = "profile") -> Profile:
    """Validate a parsed TOML table; errors name the key (``carryover.short_term_loss``)."""
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"]) or "(top level)"
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"{origin}: key '{key}': {message}")
        raise ProfileError("\n".join(problems)) from None


def load_profile(path: Path | None) -> Profile:
    """Read the profile TOML at ``path`` (``None`` = all defaults)."""
    if path is None:
        return Profile()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    return parse_profile(data, origin=str(path))
