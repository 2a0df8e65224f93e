"""Engine options: the uncertainty-register choices the engine applies (tax-rules.md §9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from taxmargin.errors import InputError

if TYPE_CHECKING:
    from taxmargin.profile import Profile

__all__ = ["CHOICES", "EngineOptions"]

#: Allowed values per option; the first is the conservative default.
CHOICES: dict[str, tuple[str, ...]] = {
    "short_against_box": ("analogy", "literal"),  # U2, §4.3
    "liquidation_deficit": ("amount_realized", "cod_income"),  # U4, §4.2
    "funding_treatment": ("ordinary_in_nondeductible_out", "net_into_capital_pnl"),  # U3, §4.7
    "pool_by": ("account", "universal"),  # §5.1
}


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How the engine resolves unsettled questions (tax-rules.md §9).

    - ``short_against_box`` (U2): ``analogy`` applies the §1233(b)/(d) outcomes to a
      crypto short against the box (gain short-term; loss long-term when the units held
      had been held more than one year at the short date) and flags it; ``literal`` only
      flags it (§1233(e)(2)(A) excludes crypto).
    - ``liquidation_deficit`` (U4): a written-off deficit is added to the amount realized
      of the account's latest liquidation (``amount_realized``) or is ordinary
      cancellation-of-debt income (``cod_income``); flagged either way.
    - ``funding_treatment`` (U3): funding received is ordinary income and funding paid is
      nondeductible (default), or both become capital P&L rows (``net_into_capital_pnl``).
    - ``pool_by``: ``account`` pools per (account, asset), required for dispositions from
      1 Jan 2025 [REG1012 (j)(6)]; ``universal`` pools per asset across all accounts and is
      only acceptable for years before 2025 (the engine flags any later disposal).
    """

    short_against_box: str = "analogy"
    liquidation_deficit: str = "amount_realized"
    funding_treatment: str = "ordinary_in_nondeductible_out"
    pool_by: str = "account"

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(f"option {name}: {value!r} is not one of {', '.join(allowed)}")

    @classmethod
    def from_profile(cls, profile: Profile) -> EngineOptions:
        """The engine's share of the profile's ``[options]`` table."""
        opts = profile.options
        return cls(
            short_against_box=opts.short_against_box,
            liquidation_deficit=opts.liquidation_deficit,
            funding_treatment=opts.funding_treatment,
            pool_by=opts.pool_by,
        )
