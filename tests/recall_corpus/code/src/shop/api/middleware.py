"""Request middleware: request ids, CORS, error mapping."""

import logging
import uuid

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)
ALLOWED_ORIGINS = {"https://shop.example.com", "https://admin.example.com"}


class RequestIdMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        return response


class ErrorMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        try:
            return await call_next(request)
        except PermissionError:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        except Exception:
            log.exception("unhandled error")
            return JSONResponse({"error": "internal"}, status_code=500)


def cors_headers(origin: str | None) -> dict[str, str]:
    if origin not in ALLOWED_ORIGINS:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Allow-Credentials": "true"}
