"""Signed notifications to the merchant, retried the way PayerMax retries them.

PayerMax keeps POSTing a notification until the merchant answers HTTP 200 with exactly
``{"code":"SUCCESS","msg":"Success"}``, so a merchant's handler sees duplicates; testing that
handler is what this is for. It only ever calls loopback URLs: a simulator must never become a
way to POST signed bodies across a network.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import aiohttp

from ..signing import RsaSigner
from .records import DeliveryAttempt, NotificationRecord
from .wire import decode_json

__all__ = ["DEFAULT_RETRY_DELAYS", "Notifier", "check_notify_url", "check_retry_delays", "is_loopback_url"]

#: PayerMax's schedule: at once, 30 s, 5 min, 10 min, 1 h, 12 h.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0, 30, 300, 600, 3600, 43200)
_EXPECTED_ACK = {"code": "SUCCESS", "msg": "Success"}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK_HOSTS


def check_notify_url(url: str) -> str:
    if not is_loopback_url(url):
        raise ValueError(f"notify_url must be an http(s) URL on 127.0.0.1 or localhost, got {url!r}")
    return url


def check_retry_delays(delays: Sequence[float]) -> None:
    if not delays:
        raise ValueError("notify_retry_delays needs at least one delay")
    if any(d < 0 for d in delays):
        raise ValueError("notify_retry_delays must be >= 0")


class Notifier:
    """Signs and delivers notifications, one background task per notification.

    The gateway decides what a notification says and when PayerMax would re-send it (its
    ``schedule``); this only signs the exact bytes and keeps POSTing them on that schedule, each
    delay multiplied by ``time_scale`` (a test need not wait 30 s for the second attempt), unless
    ``retry_delays`` replaces the schedule altogether.
    """

    def __init__(
        self,
        *,
        signer: RsaSigner,
        default_url: str | None,
        retry_delays: Sequence[float] | None = None,
        time_scale: float = 1.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retry_delays is not None:
            check_retry_delays(retry_delays)
        if not time_scale >= 0:
            raise ValueError("notify_time_scale must be >= 0")
        self._signer = signer
        self.default_url = None if default_url is None else check_notify_url(default_url)
        self._delays = None if retry_delays is None else tuple(float(d) for d in retry_delays)
        self._scale = float(time_scale)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        #: the loop that delivers; set when the simulator starts
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.records: list[NotificationRecord] = []

    def target(self, url_hint: str | None) -> str | None:
        """The per-request URL when it is loopback; otherwise the simulator's own, if any."""
        if url_hint and is_loopback_url(url_hint):
            return url_hint
        return self.default_url

    def send(
        self,
        notify_type: str,
        url_hint: str | None,
        body: bytes,
        schedule: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        """Sign ``body`` (the whole notification, as encoded by the gateway) and deliver it."""
        url = self.target(url_hint)
        if url is None:
            return
        sign = base64.b64encode(self._signer.sign(body)).decode("ascii")
        delays = self._delays if self._delays is not None else tuple(d * self._scale for d in schedule)
        record = NotificationRecord(notify_type=notify_type, url=url, body=body, sign=sign, schedule=delays)
        self.records.append(record)
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is None or running is self.loop:
            self._spawn(record)
        else:  # a state change made from another thread (a SimulatorThread's caller)
            self.loop.call_soon_threadsafe(self._spawn, record)

    def _spawn(self, record: NotificationRecord) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(record))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
        if not task.cancelled():
            task.exception()  # a delivery bug must not become an "exception never retrieved"

    async def _deliver(self, record: NotificationRecord) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Content-Type": "application/json", "sign": record.sign}
        try:
            for delay in record.schedule or (0.0,):
                if delay > 0:
                    await asyncio.sleep(delay)
                at = self._clock()
                try:
                    async with self._session.post(record.url, data=record.body, headers=headers) as resp:
                        answer = await resp.read()
                        status = resp.status
                except (TimeoutError, aiohttp.ClientError) as exc:
                    record.attempts.append(DeliveryAttempt(at, None, b"", f"{type(exc).__name__}: {exc}"))
                    continue
                record.attempts.append(DeliveryAttempt(at, status, answer))
                if status == 200 and _is_ack(answer):
                    record.delivered = True
                    return
        finally:
            record.finished = True

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every notification is delivered or out of attempts; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


def _is_ack(answer: bytes) -> bool:
    try:
        return bool(decode_json(answer) == _EXPECTED_ACK)
    except ValueError:
        return False
