"""Session handling: JWT access tokens plus rotating refresh tokens."""

import time

import jwt

from shop.auth.tokens import RefreshTokenStore
from shop.config import settings

ACCESS_TTL_SECONDS = 15 * 60
REFRESH_TTL_SECONDS = 30 * 24 * 3600
CLOCK_SKEW_SECONDS = 30


class SessionError(Exception):
    pass


def issue_access_token(user_id: int, scopes: list[str]) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "scp": scopes, "iat": now, "exp": now + ACCESS_TTL_SECONDS}
    return jwt.encode(claims, settings.jwt_private_key, algorithm="RS256")


def verify_access_token(token: str) -> dict:
    try:
        return jwt.decode(
            token,
            settings.jwt_public_key,
            algorithms=["RS256"],
            leeway=CLOCK_SKEW_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise SessionError("expired") from exc
    except jwt.InvalidTokenError as exc:
        raise SessionError("invalid") from exc


def refresh_session(store: RefreshTokenStore, refresh_token: str) -> tuple[str, str]:
    record = store.consume(refresh_token)
    if record is None:
        # Reuse of a consumed token: somebody stole it. Revoke the whole family.
        store.revoke_family_of(refresh_token)
        raise SessionError("refresh token reuse")
    new_refresh = store.issue(record.user_id, family=record.family)
    return issue_access_token(record.user_id, record.scopes), new_refresh


def logout(store: RefreshTokenStore, refresh_token: str) -> None:
    store.revoke_family_of(refresh_token)
