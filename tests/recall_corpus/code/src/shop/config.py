"""Settings from the environment."""

import os
from dataclasses import dataclass, field


def _secret(name: str) -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path) as fh:
            return fh.read().strip()
    return os.environ[name]


@dataclass(frozen=True)
class Settings:
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
    jwt_private_key: str = field(default_factory=lambda: _secret("JWT_PRIVATE_KEY"))
    jwt_public_key: str = field(default_factory=lambda: _secret("JWT_PUBLIC_KEY"))
    stripe_secret_key: str = field(default_factory=lambda: _secret("STRIPE_SECRET_KEY"))
    stripe_webhook_secret: str = field(default_factory=lambda: _secret("STRIPE_WEBHOOK_SECRET"))
    oauth_client_ids: dict = field(default_factory=dict)
    oauth_client_secrets: dict = field(default_factory=dict)


settings = Settings()
