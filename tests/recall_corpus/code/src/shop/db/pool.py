"""Database connections: one pool per process."""

import contextlib
import os

import psycopg_pool

POOL_MIN = 2
POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))
STATEMENT_TIMEOUT_MS = 5000

_pool: psycopg_pool.ConnectionPool | None = None


def _configure(conn) -> None:
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    conn.execute("SET idle_in_transaction_session_timeout = 10000")


def get_pool() -> psycopg_pool.ConnectionPool:
    global _pool
    if _pool is None or os.getpid() != getattr(_pool, "_owner_pid", None):
        # After fork (gunicorn, celery prefork) the parent's sockets must not be reused.
        _pool = psycopg_pool.ConnectionPool(os.environ["DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX,
                                            configure=_configure)
        _pool._owner_pid = os.getpid()
    return _pool


@contextlib.contextmanager
def connection():
    with get_pool().connection() as conn:
        with conn.transaction():
            yield conn
