"""Every ```python snippet of README.md, run as written against the simulator.

How: each snippet is compiled as the asyncio REPL (``python -m asyncio``) compiles what a reader
pastes, top-level ``await`` allowed, and runs against a fresh simulator on 127.0.0.1. Credentials
come from the environment under the names ``payermax-async simulate`` prints (PAYERMAX_APP_ID,
PAYERMAX_MERCHANT_NO, PAYERMAX_PRIVATE_KEY, PAYERMAX_PUBLIC_KEY, PAYERMAX_BASE_URL), set here from
that simulator. The imports of the snippets above it are in scope, as in a reader's session. Names
the README leaves to the reader (``client`` after the Capture example closed its own, ``rows``,
``options``, ``handle``, ``payermax_public_key``, ``APP_ID``, ``MERCHANT_NO``) and the state a
snippet presumes (an authorization to capture) come from its entry in ``SETUP``; a snippet without
one fails, so a new snippet must be made to run before it is published.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payermax_async import ACK_BODY, Notification, PayerMaxClient
from payermax_async.testing import GatewaySimulator
from payermax_async.testing.notifications import make_notification
from payermax_async.testing.plugin import SimulatorKeys

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class Snippet:
    section: str
    index: int  # within its section
    code: str

    @property
    def key(self) -> str:
        return f"{self.section}#{self.index}"


def snippets() -> list[Snippet]:
    found: list[Snippet] = []
    section = ""
    counts: dict[str, int] = {}
    for match in re.finditer(r"^## ([^\n]+)$|^```python\n(.*?)^```$", README.read_text(), re.M | re.S):
        if match.group(1):
            section = match.group(1).strip()
            continue
        n = counts.get(section, 0)
        counts[section] = n + 1
        found.append(Snippet(section, n, match.group(2)))
    return found


class PayerPays:
    """The client, with the payer paying on the hosted checkout page as soon as the order exists."""

    def __init__(self, client: PayerMaxClient, sim: GatewaySimulator) -> None:
        self._client, self._sim = client, sim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def order_and_pay(self, out_trade_no: str, *args: Any, **kwargs: Any) -> Any:
        result = await self._client.order_and_pay(out_trade_no, *args, **kwargs)
        if self._sim.order(out_trade_no).status == "PENDING":
            self._sim.complete_payment(out_trade_no)
        return result


class Request:
    """What the webhook snippet's handler reads of an aiohttp request."""

    def __init__(self, body: bytes, sign: str | None) -> None:
        self._body, self.headers = body, {} if sign is None else {"sign": sign}

    async def read(self) -> bytes:
        return self._body


@dataclass
class Run:
    sim: GatewaySimulator
    names: dict[str, Any]
    thread: bool = False  # blocking code: run off the event loop the simulator serves on
    after: Callable[[dict[str, Any]], Awaitable[None]] | None = None


def _client(sim: GatewaySimulator) -> dict[str, Any]:
    return {"client": sim.client()}


async def _webhook_is_served(ns: dict[str, Any], sim: GatewaySimulator, handled: list[Notification]) -> None:
    data = {"outTradeNo": "ORD_1", "totalAmount": Decimal("10.00"), "currency": "USD", "status": "SUCCESS"}
    body, sign = make_notification("PAYMENT", data, simulator=sim)
    answer = await ns["notify"](Request(body, sign))
    assert answer.status == 200 and answer.body == ACK_BODY
    again = await ns["notify"](Request(body, sign))  # PayerMax's re-send: acknowledged, handled once
    assert again.body == ACK_BODY and len(handled) == 1
    assert (await ns["notify"](Request(body, None))).status == 401


def setup(snippet: Snippet, sim: GatewaySimulator) -> Run:
    key = snippet.key
    if key == "Capture#0":
        sim.authorize("ORD_1", Decimal("100.00"), "USD")
        return Run(sim, {})
    if key == "Bulk capture#0":
        rows: list[dict[str, Any]] = [
            {"order": f"BULK_{n}", "amount": Decimal("5.00"), "currency": "USD"} for n in range(5)
        ]
        for row in rows:
            sim.authorize(row["order"], row["amount"], row["currency"])
        return Run(sim, {**_client(sim), "rows": rows})
    if key == "The authorization lifecycle#0":
        return Run(sim, {"client": PayerPays(sim.client(), sim)})
    if key in ("The authorization lifecycle#1", "The authorization lifecycle#2", "Every other endpoint#0"):
        return Run(sim, _client(sim))
    if key == "Webhooks#0":
        handled: list[Notification] = []

        async def handle(event: Notification) -> None:
            handled.append(event)

        names = {
            "payermax_public_key": sim.payermax_public_key,
            "APP_ID": sim.app_id,
            "MERCHANT_NO": sim.merchant_no,
            "handle": handle,
        }
        return Run(sim, names, after=lambda ns: _webhook_is_served(ns, sim, handled))
    if key in (
        "Raw responses and per-call options#0",
        "Telemetry#0",
        "Blocking code (Django, Celery, scripts)#0",
    ):
        sim.authorize("ORD_1", Decimal("10.00"), "USD")
        return Run(sim, {**_client(sim), "options": sim.client_options()}, thread=key.startswith("Blocking"))
    if key.startswith("Testing against the simulator#"):
        return Run(sim, {})  # these make their own simulator
    raise AssertionError(f"README snippet {key} has no SETUP entry: make it run here before publishing it")


def _imports_before(snippet: Snippet, all_snippets: list[Snippet]) -> str:
    lines = []
    for earlier in all_snippets[: all_snippets.index(snippet)]:
        for node in ast.parse(earlier.code).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.append(ast.unparse(node))
    return "\n".join(lines)


ALL = snippets()

# Endpoints the simulator on this branch does not serve yet (it gains them with its ledger for
# every family); strict, so the mark must go as soon as the snippet runs.
def _params() -> list[Any]:
    params = []
    for s in ALL:
        params.append(pytest.param(s, id=s.key))
    return params


def test_the_readme_has_the_snippets_this_test_knows() -> None:
    assert len(ALL) >= 12
    assert any("from aiohttp import web" in s.code for s in ALL if s.section == "Webhooks")


@pytest.mark.parametrize("snippet", _params())
async def test_readme_snippet_runs_as_written(
    snippet: Snippet,
    payermax_simulator_keys: SimulatorKeys,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # a journal or file a snippet writes lands here
    keys = payermax_simulator_keys
    async with GatewaySimulator(
        merchant_private_key=keys.merchant_private_key,
        payermax_private_key=keys.payermax_private_key,
    ) as sim:
        for name, value in {
            "PAYERMAX_APP_ID": sim.app_id,
            "PAYERMAX_MERCHANT_NO": sim.merchant_no,
            "PAYERMAX_PRIVATE_KEY": sim.merchant_private_key,
            "PAYERMAX_PUBLIC_KEY": sim.payermax_public_key,
            "PAYERMAX_BASE_URL": sim.base_url,
        }.items():
            monkeypatch.setenv(name, value)
        run = setup(snippet, sim)
        namespace: dict[str, Any] = {"__name__": "__readme__"}
        exec(_imports_before(snippet, ALL), namespace)
        namespace.update(run.names)
        code = compile(
            snippet.code, f"README.md ({snippet.key})", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        try:
            if run.thread:
                await asyncio.to_thread(eval, code, namespace)
            else:
                awaitable = eval(code, namespace)
                if awaitable is not None:
                    await awaitable
            if run.after is not None:
                await run.after(namespace)
        finally:
            client = run.names.get("client")
            if client is not None:
                await client.aclose()
