"""Sign in with Google / GitHub (OAuth 2.0 authorization code flow with PKCE)."""

import base64
import hashlib
import secrets

import httpx

from shop.config import settings

PROVIDERS = {
    "google": "https://oauth2.googleapis.com/token",
    "github": "https://github.com/login/oauth/access_token",
}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def exchange_code(provider: str, code: str, verifier: str, redirect_uri: str) -> dict:
    response = httpx.post(
        PROVIDERS[provider],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": settings.oauth_client_ids[provider],
            "client_secret": settings.oauth_client_secrets[provider],
        },
        headers={"Accept": "application/json"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def verify_state(expected: str, received: str) -> bool:
    return secrets.compare_digest(expected, received)
