"""The pricing stage (issue 4 "USD pricing"): each source, its precedence, the window, the
missing-price diagnostic and the stablecoin assumption. Expected values are worked by hand
from the events below (quantity x unit price)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from taxmargin.errors import InputError, Severity
from taxmargin.importers.base import FileText
from taxmargin.models import (
    Amount,
    Deposit,
    EventBase,
    Funding,
    Income,
    Interest,
    RealizedPnl,
    SourceRef,
    Trade,
    Withdrawal,
)
from taxmargin.money import to_cents
from taxmargin.pricing import PriceIndex, main_side, price_events, read_price_table

D = Decimal
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
_line = iter(range(2, 100000))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def amt(text: str) -> Amount:
    quantity, asset = text.split()
    return Amount(D(quantity), asset)


def ev(cls: type[EventBase], minutes: float = 0, **kw: Any) -> EventBase:
    for side in ("sent", "received", "fee"):
        if isinstance(kw.get(side), str):
            kw[side] = amt(kw[side])
    return cls(time=at(minutes), account="acct", source=SourceRef("x.csv", next(_line)), **kw)


def one(event: EventBase, *others: EventBase, table: Any = ()) -> EventBase:
    priced = price_events([event, *others], table)
    return priced.events[0]


# ---- sources, one at a time -----------------------------------------------------------


def test_value_given_by_the_file_is_kept() -> None:
    event = ev(Trade, sent="1000 USD", received="0.01 BTC", usd_value=D("999.99"))
    priced = price_events([event])
    assert priced.events[0] is event  # nothing to fill: the same object
    assert priced.diagnostics == () and priced.assumptions == ()


@pytest.mark.parametrize(
    ("sent", "received", "fee", "value", "fee_usd"),
    [
        # a USD side is its own value; a USD fee is its quantity (interfaces.md §2)
        ("1000 USD", "0.01 BTC", "5 USD", D("1000"), D("5")),
        ("1 ETH", "3000.50 USD", "3 USD", D("3000.50"), D("3")),
        # USD wins over a stablecoin on the other side (precedence 2 before 3)
        ("100 USDC", "99.90 USD", None, D("99.90"), None),
    ],
)
def test_usd_amounts(sent: str, received: str, fee: str | None, value: Decimal, fee_usd: Decimal | None) -> None:
    priced = price_events([ev(Trade, sent=sent, received=received, fee=fee)])
    event = priced.events[0]
    assert event.usd_value == value
    assert event.fee_usd == fee_usd
    assert priced.diagnostics == ()


def test_stablecoin_at_par_is_an_assumption_that_is_reported() -> None:
    # tax-rules.md §4.9 / §7.2 variant: 26,000 USDT for 10 ETH -> FMV of ETH received 26,000
    priced = price_events([ev(Trade, sent="26000 USDT", received="10 ETH", fee="26 USDT")])
    event = priced.events[0]
    assert event.usd_value == D("26000")
    assert event.fee_usd == D("26")
    assert len(priced.assumptions) == 1
    assert "USDT" in priced.assumptions[0] and "$1.00" in priced.assumptions[0]


def test_no_stablecoin_no_stablecoin_assumption() -> None:
    priced = price_events([ev(Trade, sent="1000 USD", received="0.01 BTC")])
    assert not any("stablecoin" in a for a in priced.assumptions)


def test_trade_implied_price_within_the_window_nearest_wins() -> None:
    # BTC/USD trades at -20 min (1 BTC = 90,000) and +10 min (1 BTC = 100,000); the BTC
    # interest at 0 takes the nearer one: 0.001 x 100,000 = 100
    trades = [
        ev(Trade, -20, sent="90000 USD", received="1 BTC"),
        ev(Trade, 10, sent="0.5 BTC", received="50000 USDT"),
    ]
    interest = ev(Interest, 0, sent="0.001 BTC")
    priced = one(interest, *trades)
    assert priced.usd_value == D("100.000")


def test_trade_implied_price_outside_the_window_is_not_used() -> None:
    trade = ev(Trade, 61, sent="100000 USD", received="1 BTC")
    priced = price_events([ev(Interest, 0, sent="0.001 BTC"), trade])
    assert priced.events[0].usd_value is None
    assert [d.code for d in priced.diagnostics] == ["missing-price"]
    wider = price_events([ev(Interest, 0, sent="0.001 BTC"), trade], window=timedelta(hours=2))
    assert wider.events[0].usd_value == D("100.000")


def test_crypto_for_crypto_trade_prefers_the_received_side() -> None:
    # ETH at 2,000 (implied), BTC at 100,000 (implied): 10 ETH for 0.21 BTC is valued by
    # the ETH received (20,000), not the BTC sent (21,000)
    others = [
        ev(Trade, 1, sent="2000 USD", received="1 ETH"),
        ev(Trade, 2, sent="100000 USD", received="1 BTC"),
    ]
    assert one(ev(Trade, 0, sent="0.21 BTC", received="10 ETH"), *others).usd_value == D("20000")
    # only the sent side known -> the sent side (an exchange of equal values)
    assert one(ev(Trade, 0, sent="0.21 BTC", received="10 XYZ"), others[1]).usd_value == D("21000.00")


def test_a_file_value_on_a_trade_prices_both_of_its_assets() -> None:
    # a BTC->SOL trade the file valued at 5,000: 1 SOL = 5,000 / 25 = 200
    valued = ev(Trade, 5, sent="0.05 BTC", received="25 SOL", usd_value=D("5000"))
    assert one(ev(Income, 0, received="0.5 SOL"), valued).usd_value == D("100")


def test_user_price_table_nearest_point_within_24_hours() -> None:
    table = [
        (at(-60 * 20), "SOL", D("150"), "p.csv:2"),
        (at(60 * 23), "SOL", D("160"), "p.csv:3"),
        (at(60 * 30), "SOL", D("999"), "p.csv:4"),
    ]
    priced = price_events([ev(Income, 0, received="2 SOL")], table)
    assert priced.events[0].usd_value == D("300")  # 20 h before is nearer than 23 h after
    assert any("price table" in a for a in priced.assumptions)
    far = price_events([ev(Income, 0, received="2 SOL")], [(at(60 * 25), "SOL", D("150"), "p.csv:2")])
    assert far.events[0].usd_value is None
    assert [d.code for d in far.diagnostics] == ["missing-price"]


def test_trade_implied_price_comes_before_the_table() -> None:
    table = [(at(0), "BTC", D("1"), "p.csv:2")]
    trade = ev(Trade, 30, sent="100000 USD", received="1 BTC")
    assert one(ev(Interest, 0, sent="0.001 BTC"), trade, table=table).usd_value == D("100.000")


def test_euro_needs_an_implied_rate_or_the_table() -> None:
    # EUR is fiat but not USD: 80 USDT bought 64 EUR -> 1 EUR = 1.25 USD; then 64 EUR
    # bought 0.001 BTC -> value 80.00
    eur_rate = ev(Trade, -5, sent="80 USDT", received="64 EUR")
    assert one(ev(Trade, 0, sent="64 EUR", received="0.001 BTC"), eur_rate).usd_value == D("80.00")
    alone = price_events([ev(Trade, 0, sent="64 EUR", received="0.001 XYZ")])
    assert alone.events[0].usd_value is None and alone.diagnostics[0].code == "missing-price"
    table = [(at(0), "EUR", D("1.10"), "p.csv:2")]
    assert one(ev(Trade, 0, sent="64 EUR", received="0.001 XYZ"), table=table).usd_value == D("70.400")


# ---- fees -----------------------------------------------------------------------------


def test_fee_in_a_traded_asset_uses_the_trade_own_rate() -> None:
    # 0.0001 BTC fee on 1 BTC bought for 100,000 USD: 0.0001 x 100,000 = 10
    event = one(ev(Trade, sent="100000 USD", received="1 BTC", fee="0.0001 BTC"))
    assert event.fee_usd == D("10.0000")
    assert event.usd_value == D("100000")


def test_bnb_fee_priced_from_a_bnb_trade() -> None:
    # tax-rules.md §4.6: the BNB fee is valued at FMV; BNB/USDT at 600 -> 0.01 BNB = 6
    bnb = ev(Trade, 3, sent="600 USDT", received="1 BNB")
    event = one(ev(Trade, 0, sent="1 ETH", received="2500 USDT", fee="0.01 BNB"), bnb)
    assert event.usd_value == D("2500") and event.fee_usd == D("6.00")


def test_missing_crypto_fee_price_is_a_diagnostic_on_any_event() -> None:
    # a crypto fee is a disposal of the fee units (tax-rules.md §4.6, §4.0(5))
    priced = price_events([ev(Withdrawal, sent="1 XYZ", fee="0.1 XYZ")])
    assert priced.events[0].fee_usd is None
    [diagnostic] = priced.diagnostics
    assert diagnostic.code == "missing-price" and diagnostic.severity is Severity.WARNING
    assert "fee" in diagnostic.message and "0.1 XYZ" in diagnostic.message


def test_a_cash_fee_matters_only_on_a_valued_event() -> None:
    # a EUR fee on a withdrawal changes no number (cash has no lots): no gap to report ...
    assert price_events([ev(Withdrawal, sent="100 EUR", fee="0.09 EUR")]).diagnostics == ()
    # ... but on a trade it is a cost of the trade (§4.0(4)) and needs a price
    trade = price_events([ev(Trade, sent="100 EUR", received="1 XYZ", fee="0.09 EUR")])
    assert sorted(d.code for d in trade.diagnostics) == ["missing-price", "missing-price"]


# ---- what needs a value, and the missing-price diagnostic ------------------------------


def test_missing_price_names_the_row() -> None:
    income = ev(Income, received="5 XYZ")
    priced = price_events([income])
    assert priced.events[0].usd_value is None
    [diagnostic] = priced.diagnostics
    assert diagnostic.source == income.source
    assert diagnostic.code == "missing-price"
    assert "5 XYZ" in diagnostic.message
    assert str(diagnostic).startswith(f"{income.source}: warning: [missing-price]")


def test_deposit_and_withdrawal_need_no_value_and_basis_is_never_priced() -> None:
    deposit = ev(Deposit, received="1 XYZ")
    withdrawal = ev(Withdrawal, sent="1 XYZ")
    priced = price_events([deposit, withdrawal])
    assert priced.diagnostics == ()
    # a priced deposit gets its FMV as usd_value, but its carried-in basis stays the user's
    with_basis = ev(Deposit, received="2 USDC", basis_usd=None)
    got = one(with_basis)
    assert isinstance(got, Deposit)
    assert got.usd_value == D("2") and got.basis_usd is None


@pytest.mark.parametrize(
    ("event", "value"),
    [
        # realized P&L loss paid in USDT: the sent side (interfaces.md §2 "losses")
        (ev(RealizedPnl, sent="200 USDT"), D("200")),
        (ev(RealizedPnl, received="500 USDC"), D("500")),
        # funding received in USD
        (ev(Funding, received="1.25 USD"), D("1.25")),
    ],
)
def test_realized_pnl_and_funding(event: EventBase, value: Decimal) -> None:
    assert one(event).usd_value == value


def test_main_side_semantics() -> None:
    # interfaces.md §2: received for trade/income/deposit/pnl gain; sent otherwise
    assert main_side(ev(Trade, sent="1 ETH", received="2 BTC")) == amt("2 BTC")
    assert main_side(ev(Interest, sent="1 ETH")) == amt("1 ETH")
    assert main_side(ev(RealizedPnl, sent="3 USDT")) == amt("3 USDT")
    assert main_side(ev(Funding, received="3 USDT")) == amt("3 USDT")


def test_order_and_untouched_events_are_kept() -> None:
    events = [ev(Trade, i, sent="1 XYZ", received="1 ABC", usd_value=D(i + 1)) for i in range(5)]
    priced = price_events(events)
    assert all(a is b for a, b in zip(priced.events, events))


def test_price_index_many_points_lookup_is_exact() -> None:
    points = [(at(i), "BTC", D(i), f"p:{i}") for i in range(0, 20000, 2)]
    index = PriceIndex(points)
    assert len(index) == 10000
    assert index.nearest("BTC", at(1001), timedelta(minutes=1)) == D(1000)  # tie -> earlier
    assert index.nearest("BTC", at(1003.5), timedelta(minutes=1)) == D(1004)
    assert index.nearest("ETH", at(0), timedelta(days=1)) is None


# ---- the price-table file ---------------------------------------------------------------


def _file(text: str, name: str = "prices.csv") -> FileText:
    return FileText(name=name, text=text, encoding="utf-8", sha256="0" * 64, size=len(text))


def test_read_price_table_good_and_bad_rows() -> None:
    table = read_price_table(
        _file(
            "time,asset,usd\n"
            "2025-03-01T12:00:00Z,btc,100000\n"
            "2025-03-01,SOL,150.5\n"
            "yesterday,ETH,2000\n"
            "2025-03-01T12:00:00Z,ETH,-3\n"
            "2025-03-01T12:00:00Z,,3\n"
        )
    )
    assert table.rows_read == 5
    assert [(p[1], p[2], p[3]) for p in table.points] == [
        ("BTC", D("100000"), "prices.csv:2"),
        ("SOL", D("150.5"), "prices.csv:3"),
    ]
    messages = [str(e) for e in table.errors]
    assert messages[0] == "prices.csv:4: column 'time': not a date/time (value 'yesterday')"
    assert messages[1].startswith("prices.csv:5: column 'usd':")
    assert messages[2] == "prices.csv:6: column 'asset': is required"


def test_read_price_table_refuses_other_headers() -> None:
    with pytest.raises(InputError, match="not a price table"):
        read_price_table(_file("time,asset,price\n2025-01-01,BTC,1\n"))


def test_priced_values_stay_exact_decimals() -> None:
    # 1/3 BTC priced at 90,000: exact to the cent once rounded (design.md §3)
    trade = ev(Trade, 1, sent="90000 USD", received="3 BTC")
    value = one(ev(Interest, 0, sent="0.5 BTC"), trade).usd_value
    assert value is not None and to_cents(value) == D("15000.00")
