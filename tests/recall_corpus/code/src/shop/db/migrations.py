"""Running schema migrations at deploy time."""

import subprocess

LOCK_ID = 724301


def run_migrations(conn) -> None:
    # Two app servers starting together must not both migrate: a session advisory lock serialises them.
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
    try:
        subprocess.run(["alembic", "upgrade", "head"], check=True)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))


def add_column_safely(conn, table: str, column: str, ddl_type: str) -> None:
    # Never add a NOT NULL column with a default in one step on big tables: it rewrites the table.
    conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {ddl_type}")
