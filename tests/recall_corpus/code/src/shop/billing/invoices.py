"""Invoices: numbering, totals and PDF rendering."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from shop.billing.tax import tax_for
from shop.db.pool import connection


@dataclass
class InvoiceLine:
    description: str
    quantity: int
    unit_price: Decimal


@dataclass
class Invoice:
    number: str
    customer_id: int
    country: str
    lines: list[InvoiceLine] = field(default_factory=list)

    def subtotal(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))

    def total(self) -> Decimal:
        gross = self.subtotal() + tax_for(self.country, self.subtotal())
        return gross.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def next_invoice_number(year: int) -> str:
    # Gapless per year, required by tax law: a sequence row locked FOR UPDATE, not a DB sequence.
    with connection() as db:
        row = db.fetchone("SELECT last FROM invoice_numbers WHERE year = %s FOR UPDATE", (year,))
        last = (row[0] if row else 0) + 1
        db.execute("UPSERT INTO invoice_numbers (year, last) VALUES (%s, %s)", (year, last))
    return f"INV-{year}-{last:06d}"


def render_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    rows = "".join(f"<tr><td>{l.description}</td><td>{l.quantity}</td></tr>" for l in invoice.lines)
    return HTML(string=f"<table>{rows}</table>").write_pdf()
