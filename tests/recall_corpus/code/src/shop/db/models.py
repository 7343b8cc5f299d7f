"""Table definitions (SQLAlchemy Core)."""

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, func

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200)),
    Column("role", String(20), nullable=False, server_default="customer"),
    Column("deleted_at", DateTime(timezone=True)),
)

orders = Table(
    "orders", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("total_cents", Integer, nullable=False),
    Column("refunded_cents", Integer, nullable=False, server_default="0"),
    Column("paid", Boolean, nullable=False, server_default="false"),
    Column("payment_intent", String(64)),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("family", String(16), nullable=False, index=True),
    Column("used_at", DateTime(timezone=True)),
)
