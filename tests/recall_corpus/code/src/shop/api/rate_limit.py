"""Rate limiting with a Redis token bucket."""

import functools
import time

from shop.cache import redis_client

BURST = 20


def allow(bucket: str, per_minute: int) -> bool:
    key = f"rl:{bucket}:{int(time.time() // 60)}"
    count = redis_client.incr(key)
    if count == 1:
        redis_client.expire(key, 120)
    return count <= per_minute + BURST


def limit(name: str, per_minute: int):
    def wrap(handler):
        @functools.wraps(handler)
        async def inner(request):
            client = request.headers.get("x-forwarded-for", request.client.host).split(",")[0].strip()
            if not allow(f"{name}:{client}", per_minute):
                from starlette.responses import JSONResponse

                return JSONResponse({"error": "rate limited"}, status_code=429, headers={"Retry-After": "60"})
            return await handler(request)
        return inner
    return wrap
