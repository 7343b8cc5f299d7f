"""Hand-written queries that the ORM makes slow."""

from shop.db.pool import connection


def orders_for_user(user_id: int, limit: int, after_id: int | None = None) -> list[tuple]:
    with connection() as db:
        if after_id is None:
            return db.fetchall(
                "SELECT id, total_cents, created_at FROM orders WHERE user_id = %s ORDER BY id DESC LIMIT %s",
                (user_id, limit),
            )
        return db.fetchall(
            "SELECT id, total_cents, created_at FROM orders WHERE user_id = %s AND id < %s "
            "ORDER BY id DESC LIMIT %s",
            (user_id, after_id, limit),
        )


def revenue_by_day(start, end) -> list[tuple]:
    with connection() as db:
        return db.fetchall(
            "SELECT date_trunc('day', created_at AT TIME ZONE 'Europe/Berlin') AS day, sum(total_cents) "
            "FROM orders WHERE paid AND created_at >= %s AND created_at < %s GROUP BY day ORDER BY day",
            (start, end),
        )


def soft_delete_user(user_id: int) -> None:
    with connection() as db:
        db.execute("UPDATE users SET deleted_at = now(), email = concat('deleted+', id, '@invalid') "
                   "WHERE id = %s", (user_id,))
