"""The HTTP simulator as a whole is independent of the client it tests, and its per-interface
concurrency limit refuses what is beyond it with ``TOO_MANY_REQUEST``."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from payermax_async.testing import Fault, FaultKind, GatewaySimulator, RawCaller

TESTING = Path(__file__).resolve().parents[2] / "payermax_async" / "testing"
#: the crypto layer, PayerMax's schema: all the simulator may take from the library (and the
#: package's lazy-export plumbing, which knows nothing of PayerMax)
ALLOWED = {
    "payermax_async._schema",
    "payermax_async.signing",
    "payermax_async.signing_thread",
    "payermax_async._lazy",
}


def imports_of(path: Path) -> list[tuple[str, str | None]]:
    """(module, enclosing function or None) of every payermax_async import in ``path``."""
    package = ["payermax_async", *path.relative_to(TESTING.parent).parent.parts]
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = ".".join(package[: len(package) - child.level + 1])
                    names = [child.module] if child.module else [a.name for a in child.names]
                    found.extend((f"{base}.{n}", function) for n in names)
                else:
                    found.append((child.module or "", function))
            elif isinstance(child, ast.Import):
                found.extend((a.name, function) for a in child.names)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return [(m, f) for m, f in found if m.startswith("payermax_async")]


def test_the_http_simulator_imports_nothing_of_the_client() -> None:
    checked = 0
    for path in sorted(TESTING.rglob("*.py")):
        for module, function in imports_of(path):
            checked += 1
            if module.startswith("payermax_async.testing") or module in ALLOWED:
                continue
            # The one way to the client: ``sim.client()`` builds one for the test, on demand.
            is_the_client_factory = path.name == "simulator.py" and module == "payermax_async.client"
            assert is_the_client_factory and function in ("client", None), f"{path.name} imports {module}"
            if function is None:  # only under TYPE_CHECKING, for the annotation
                source = path.read_text(encoding="utf-8")
                assert "if TYPE_CHECKING:\n    from ..client import PayerMaxClient" in source
    assert checked > 20


def test_the_guard_resolves_relative_imports_and_sees_lazy_ones() -> None:
    books = imports_of(TESTING / "gateway" / "flows" / "books.py")
    assert ("payermax_async.testing.gateway.facts", None) in books
    assert ("payermax_async.client", "client") in imports_of(TESTING / "simulator.py")


@pytest.fixture
async def raw(payermax_simulator: GatewaySimulator) -> AsyncIterator[RawCaller]:
    async with aiohttp.ClientSession() as session:
        yield RawCaller(payermax_simulator, session)


def capture_data(out_trade_no: str, request_id: str) -> dict[str, object]:
    return {"outTradeNo": out_trade_no, "requestId": request_id, "amount": Decimal("1.00"), "currency": "USD"}


async def test_a_request_beyond_the_interfaces_limit_is_refused_unprocessed(raw: RawCaller) -> None:
    sim = raw.sim
    sim.authorize("LIM_1", "10.00", "USD")
    sim.authorize("LIM_2", "10.00", "USD")
    sim.set_limit("capture", 1)
    # The first capture holds its slot while it is delayed; the second arrives meanwhile.
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", out_trade_no="LIM_1", delay=30, processed=True))
    first = asyncio.create_task(raw.call("capture", capture_data("LIM_1", "R_1")))
    for _ in range(2000):  # bounded: until the first capture is in flight
        if sim.gateway.limits.in_flight("capture"):
            break
        await asyncio.sleep(0.005)
    refused = await raw.call("capture", capture_data("LIM_2", "R_2"))
    assert (refused.code, raw.verified(refused)) == ("TOO_MANY_REQUEST", True)
    assert sim.captures_of("LIM_2") == []
    # other interfaces have no limit
    assert (await raw.call("orderQuery", {"outTradeNo": "LIM_2"})).code == "APPLY_SUCCESS"
    sim.set_limit("capture", None)
    assert (await raw.call("capture", capture_data("LIM_2", "R_3"))).code == "APPLY_SUCCESS"
    first.cancel()
    with pytest.raises((asyncio.CancelledError, aiohttp.ClientError)):
        await first


async def test_a_default_limit_covers_every_interface(raw: RawCaller) -> None:
    sim = raw.sim
    sim.set_limit(None, 1)
    sim.gateway.limits.enter("orderQuery")  # a request of another caller, in flight
    try:
        assert (await raw.call("orderQuery", {"outTradeNo": "X"})).code == "TOO_MANY_REQUEST"
        assert (await raw.call("refundQuery", {"outRefundNo": "X"})).code == "ORDER_NOT_EXIST"
    finally:
        sim.gateway.limits.leave("orderQuery")
    assert (await raw.call("orderQuery", {"outTradeNo": "X"})).code == "ORDER_NOT_EXIST"
    assert sim.gateway.limits.refused == 1
    with pytest.raises(ValueError, match="at least 1"):
        sim.set_limit("capture", 0)


async def test_unknown_interface_is_404_and_a_body_that_is_no_object_params_invalid(raw: RawCaller) -> None:
    answer = await raw.call("noSuchApi", {})
    assert (answer.status, answer.code) == (404, "PARAMS_INVALID")
    for body in (b"[1,2]", b"not json", b'{"data":'):
        answer = await raw.post("orderQuery", body, raw.sign(body))
        assert (answer.status, answer.code, raw.verified(answer)) == (200, "PARAMS_INVALID", True)


async def test_payer_pages_that_do_not_exist_or_cannot_be_completed(raw: RawCaller) -> None:
    base = raw.sim.base_url + "/cashier"
    for path, status in (("/link/NOLINK", 404), ("/3ds/NOTOKEN", 404), ("/bind/NOREQUEST", 409)):
        async with raw.session.get(base + path) as page:
            assert page.status == status, path


async def test_a_simulator_bug_is_kept_and_answered_as_a_system_error(
    raw: RawCaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from payermax_async.testing.gateway.flows.gateway import AnswerShapeError

    def broken(api_name: str, data: dict[str, object]) -> None:
        raise AnswerShapeError(f"{api_name}: answer data.status is not one of the enum")

    monkeypatch.setattr(raw.sim.gateway, "handle_data", broken)
    answer = await raw.call("orderQuery", {"outTradeNo": "X"})
    assert (answer.code, raw.verified(answer)) == ("SYSTEM_ERROR", True)
    assert [str(e) for e in raw.sim.shape_errors] == ["orderQuery: answer data.status is not one of the enum"]
    raw.sim.shape_errors.clear()  # the fixture's own check would fail the test otherwise
