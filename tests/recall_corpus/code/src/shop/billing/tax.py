"""VAT and sales tax."""

from decimal import Decimal

VAT_RATES = {
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "NL": Decimal("0.21"),
    "IE": Decimal("0.23"),
}
US_STATES_WITH_NEXUS = {"CA", "NY", "TX", "WA"}


def tax_for(country: str, amount: Decimal, state: str | None = None) -> Decimal:
    if country in VAT_RATES:
        return amount * VAT_RATES[country]
    if country == "US" and state in US_STATES_WITH_NEXUS:
        return amount * _us_state_rate(state)
    return Decimal("0")


def _us_state_rate(state: str) -> Decimal:
    # Placeholder table; the real rates come from the tax provider nightly.
    return {"CA": Decimal("0.0725"), "NY": Decimal("0.04"), "TX": Decimal("0.0625"), "WA": Decimal("0.065")}[state]


def reverse_charge_applies(country: str, customer_vat_id: str | None) -> bool:
    return country in VAT_RATES and country != "DE" and bool(customer_vat_id)
