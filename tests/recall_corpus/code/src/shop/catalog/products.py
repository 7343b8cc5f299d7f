"""Products, recipes and stock."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Product:
    sku: str
    name: str
    price: Decimal
    allergens: frozenset[str]
    stock: int


def is_available(product: Product, quantity: int) -> bool:
    return product.stock >= quantity


def reserve_stock(db, sku: str, quantity: int) -> bool:
    # Atomic decrement; never read-then-write stock (oversold boxes on launch day, 2025).
    row = db.fetchone("UPDATE products SET stock = stock - %s WHERE sku = %s AND stock >= %s RETURNING stock",
                      (quantity, sku, quantity))
    return row is not None


def allergen_warning(products: list[Product]) -> set[str]:
    return set().union(*(p.allergens for p in products)) if products else set()
