"""US tax rules as pure functions (tax-rules.md); per-year numbers live in ``params``."""
