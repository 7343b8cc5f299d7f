"""HTTP routes (Starlette)."""

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shop.api.pagination import paginate
from shop.api.rate_limit import limit
from shop.auth.session import SessionError, refresh_session, verify_access_token
from shop.billing.payments import handle_webhook
from shop.billing.stripe_client import verify_signature
from shop.db.queries import orders_for_user


async def list_orders(request: Request) -> JSONResponse:
    claims = verify_access_token(request.headers["authorization"].removeprefix("Bearer "))
    page = paginate(request, lambda after, n: orders_for_user(int(claims["sub"]), n, after))
    return JSONResponse(page)


@limit("auth", per_minute=10)
async def refresh(request: Request) -> JSONResponse:
    body = await request.json()
    try:
        access, new_refresh = refresh_session(request.app.state.tokens, body["refresh_token"])
    except SessionError as exc:
        return JSONResponse({"error": str(exc)}, status_code=401)
    return JSONResponse({"access_token": access, "refresh_token": new_refresh})


async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()
    event = verify_signature(payload, request.headers.get("stripe-signature", ""))
    handle_webhook(event)
    return JSONResponse({"ok": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


routes = [
    Route("/v1/orders", list_orders),
    Route("/v1/auth/refresh", refresh, methods=["POST"]),
    Route("/v1/webhooks/stripe", stripe_webhook, methods=["POST"]),
    Route("/healthz", health),
]
