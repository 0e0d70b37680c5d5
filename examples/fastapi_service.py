"""A FastAPI service that captures authorizations and receives PayerMax notifications.

One :class:`PayerMaxClient` is created in the lifespan and shared by every request (it owns the
connection pool); one :class:`WebhookVerifier` parses the PayerMax key once. Run it with::

    export PAYERMAX_APP_ID=... PAYERMAX_MERCHANT_NO=... \\
           PAYERMAX_PRIVATE_KEY="$(cat merchant_private.b64)" PAYERMAX_PUBLIC_KEY="$(cat payermax.b64)"
    uvicorn examples.fastapi_service:app --port 8000

and point PayerMax's notification URL at ``https://<your host>/payermax/notify``. Endpoints:

- ``POST /captures`` ``{"out_trade_no": "...", "amount": "10.00", "currency": "USD",
  "request_id": "..."}``: capture an authorization. Send your own ``request_id`` and re-send the
  same body after a timeout: the capture happens once.
- ``POST /payermax/notify``: verify the signature over the raw body, process each event once,
  answer PayerMax's exact acknowledgement. A handler failure answers 500 so PayerMax re-sends.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

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
from payermax_async.webhooks import starlette_ack

log = logging.getLogger("payermax_example")

NotificationHandler = Callable[[Notification], Awaitable[None]]


class CaptureIn(BaseModel):
    out_trade_no: str
    amount: str  # a decimal string: money never travels as a float
    currency: str
    request_id: str | None = None


async def log_notification(notification: Notification) -> None:
    """The default handler: replace with your order-state update (it must be idempotent)."""
    log.info("%s %s", notification.notify_type, notification.idempotency_key)


def create_app(
    settings: Settings | None = None,
    *,
    on_notification: NotificationHandler = log_notification,
    dedup: NotificationDeduplicator | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or Settings.from_env()
        async with cfg.client() as client:
            app.state.payermax = client
            app.state.webhooks = cfg.webhook_verifier()
            yield

    app = FastAPI(title="PayerMax example", lifespan=lifespan)
    once = dedup or NotificationDeduplicator()

    @app.post("/captures")
    async def capture(body: CaptureIn, request: Request) -> JSONResponse:
        client: PayerMaxClient = request.app.state.payermax
        try:
            result = await client.capture(body.out_trade_no, body.amount, body.currency, body.request_id)
        except InvalidRequestError as exc:
            return JSONResponse({"error": exc.message, "field": exc.field}, status_code=422)
        except ApiError as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, status_code=409)
        except OutcomeUnknownError as exc:
            # Not a failure: re-send the same request_id later, or wait for the CAPTURE notification.
            return JSONResponse({"error": exc.message, "ids": exc.ids}, status_code=504)
        except PayerMaxError as exc:
            return JSONResponse({"error": exc.message}, status_code=502)
        return JSONResponse(
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

    @app.post("/payermax/notify")
    async def notify(request: Request) -> Response:
        verifier: WebhookVerifier = request.app.state.webhooks
        raw = await request.body()  # the raw bytes: the signature is over exactly these
        try:
            notification = verifier.parse(raw, request.headers.get("sign"))
        except SignatureError:
            log.warning("notification refused: bad, missing or stale signature")
            return Response(status_code=401)
        except NotificationError as exc:
            log.error("signed notification not usable: %s", exc)
            return Response(status_code=400)
        try:
            await once.process_once(notification, on_notification)
        except Exception:
            log.exception("notification handler failed; PayerMax will re-send")
            return Response(status_code=500)
        return starlette_ack()

    return app


# For ``uvicorn examples.fastapi_service:app``: the environment is read at startup, not at import.
app = create_app()
