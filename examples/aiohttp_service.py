"""An aiohttp.web service that captures authorizations and receives PayerMax notifications.

The same service as ``fastapi_service.py``: one :class:`PayerMaxClient` made in a cleanup
context and shared by every request, one :class:`WebhookVerifier`. Run it with::

    export PAYERMAX_APP_ID=... PAYERMAX_MERCHANT_NO=... \\
           PAYERMAX_PRIVATE_KEY="$(cat merchant_private.b64)" PAYERMAX_PUBLIC_KEY="$(cat payermax.b64)"
    python -m examples.aiohttp_service --port 8080

Endpoints: ``POST /captures`` and ``POST /payermax/notify``, as in the FastAPI example.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from examples.settings import Settings
from payermax_async import (
    ApiError,
    InvalidRequestError,
    Notification,
    NotificationDeduplicator,
    NotificationError,
    OutcomeUnknownError,
    PayerMaxClient,
    PayerMaxError,
    SignatureError,
    WebhookVerifier,
)
from payermax_async.webhooks import aiohttp_ack

log = logging.getLogger("payermax_example")

NotificationHandler = Callable[[Notification], Awaitable[None]]

CLIENT = web.AppKey("payermax_client", PayerMaxClient)
WEBHOOKS = web.AppKey("payermax_webhooks", WebhookVerifier)
DEDUP = web.AppKey("payermax_dedup", NotificationDeduplicator)
HANDLER: web.AppKey[NotificationHandler] = web.AppKey("payermax_handler")


class CaptureIn(msgspec.Struct, forbid_unknown_fields=True):
    out_trade_no: str
    amount: str  # a decimal string: money never travels as a float
    currency: str
    request_id: str | None = None


_CAPTURE_IN = msgspec.json.Decoder(CaptureIn)


async def log_notification(notification: Notification) -> None:
    """The default handler: replace with your order-state update (it must be idempotent)."""
    log.info("%s %s", notification.notify_type, notification.idempotency_key)


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


async def capture(request: web.Request) -> web.Response:
    try:
        body = _CAPTURE_IN.decode(await request.read())
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _json({"error": str(exc)}, 422)
    client = request.app[CLIENT]
    try:
        result = await client.capture(body.out_trade_no, body.amount, body.currency, body.request_id)
    except InvalidRequestError as exc:
        return _json({"error": exc.message, "field": exc.field}, 422)
    except ApiError as exc:
        return _json({"error": exc.message, "code": exc.code}, 409)
    except OutcomeUnknownError as exc:
        # Not a failure: re-send the same request_id later, or wait for the CAPTURE notification.
        return _json({"error": exc.message, "ids": exc.ids}, 504)
    except PayerMaxError as exc:
        return _json({"error": exc.message}, 502)
    return _json(
        {
            "capture_no": result.capture_no,
            "request_id": result.request_id,
            "out_trade_no": result.out_trade_no,
            "amount": str(result.amount),
            "currency": result.currency,
            "status": str(result.status),
            "is_final": result.status is not None and result.status.is_final,
        }
    )


async def notify(request: web.Request) -> web.Response:
    raw = await request.read()  # the raw bytes: the signature is over exactly these
    try:
        notification = request.app[WEBHOOKS].parse(raw, request.headers.get("sign"))
    except SignatureError:
        log.warning("notification refused: bad, missing or stale signature")
        return web.Response(status=401)
    except NotificationError as exc:
        log.error("signed notification not usable: %s", exc)
        return web.Response(status=400)
    try:
        await request.app[DEDUP].process_once(notification, request.app[HANDLER])
    except Exception:
        log.exception("notification handler failed; PayerMax will re-send")
        return web.Response(status=500)
    return aiohttp_ack()


def create_app(
    settings: Settings | None = None,
    *,
    on_notification: NotificationHandler = log_notification,
    dedup: NotificationDeduplicator | None = None,
) -> web.Application:
    app = web.Application()
    app[DEDUP] = dedup or NotificationDeduplicator()
    app[HANDLER] = on_notification

    async def payermax(app: web.Application) -> AsyncIterator[None]:
        cfg = settings or Settings.from_env()
        async with cfg.client() as client:
            app[CLIENT] = client
            app[WEBHOOKS] = cfg.webhook_verifier()
            yield

    app.cleanup_ctx.append(payermax)
    app.router.add_post("/captures", capture)
    app.router.add_post("/payermax/notify", notify)
    return app


def main() -> None:  # pragma: no cover - a manual entry point
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
