"""Product search backed by Postgres full-text search."""

from shop.db.pool import connection

SEARCH_CONFIG = "simple"


def search_products(text: str, limit: int = 20) -> list[tuple]:
    with connection() as db:
        return db.fetchall(
            "SELECT sku, name FROM products WHERE search_vector @@ websearch_to_tsquery(%s, %s) "
            "ORDER BY ts_rank(search_vector, websearch_to_tsquery(%s, %s)) DESC LIMIT %s",
            (SEARCH_CONFIG, text, SEARCH_CONFIG, text, limit),
        )
