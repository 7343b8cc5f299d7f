"""Redis client and a small read-through cache."""

import json

import redis

from shop.config import settings

redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.5, health_check_interval=30)
DEFAULT_TTL = 300


def cached(key: str, ttl: int, compute):
    raw = redis_client.get(key)
    if raw is not None:
        return json.loads(raw)
    value = compute()
    redis_client.set(key, json.dumps(value), ex=ttl, nx=True)
    return value


def invalidate_prefix(prefix: str) -> None:
    for key in redis_client.scan_iter(f"{prefix}*", count=500):
        redis_client.delete(key)
