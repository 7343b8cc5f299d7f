"""Refresh tokens: opaque, hashed at rest, rotated on every use."""

import hashlib
import secrets
from dataclasses import dataclass

from shop.db.pool import connection


@dataclass
class RefreshRecord:
    user_id: int
    family: str
    scopes: list[str]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokenStore:
    def issue(self, user_id: int, family: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        family = family or secrets.token_hex(8)
        with connection() as db:
            db.execute(
                "INSERT INTO refresh_tokens (digest, user_id, family) VALUES (%s, %s, %s)",
                (_digest(token), user_id, family),
            )
        return token

    def consume(self, token: str) -> RefreshRecord | None:
        with connection() as db:
            row = db.fetchone(
                "UPDATE refresh_tokens SET used_at = now() WHERE digest = %s AND used_at IS NULL "
                "RETURNING user_id, family, scopes",
                (_digest(token),),
            )
        return RefreshRecord(*row) if row else None

    def revoke_family_of(self, token: str) -> None:
        with connection() as db:
            db.execute(
                "DELETE FROM refresh_tokens WHERE family = "
                "(SELECT family FROM refresh_tokens WHERE digest = %s)",
                (_digest(token),),
            )
