"""Hand-made request bytes (no library code builds them) through the gateway, and the gateway's
independence from the client it tests."""

from __future__ import annotations

import ast
from pathlib import Path

from payermax_async.testing.gateway.wire import decode_body, encode_body, rfc3339_millis

from .flowkit import APP, MERCHANT, Driver

GATEWAY = Path(__file__).resolve().parents[2] / "payermax_async" / "testing" / "gateway"


def raw_capture(drive: Driver, request_time: str, request_id: str = "req_1") -> bytes:
    return (
        '{"version":"1.5","keyVersion":"1","requestTime":"' + request_time + '",'
        '"appId":"' + APP + '","merchantNo":"' + MERCHANT + '","spMerchantNo":null,'
        '"data":{"outTradeNo":"Raw_1","requestId":"' + request_id + '","amount":10.50,"currency":"USD",'
        '"notifyUrl":"https:\\/\\/shop.example\\/notify"}}'
    ).encode()


def test_a_hand_made_capture_with_go_sdk_time_and_escaped_slashes(drive: Driver) -> None:
    from decimal import Decimal

    drive.gateway.authorize("RAW_1", Decimal("20.00"), "USD")
    go_time = rfc3339_millis(drive.clock.now).replace(".000Z", "Z")
    envelope = decode_body(raw_capture(drive, go_time))
    assert envelope is not None
    answer = drive.gateway.handle("capture", envelope)
    assert answer.code == "APPLY_SUCCESS"
    first = encode_body(answer.body())
    assert b'"amount":10.50' in first
    drive.clock.now += 30
    later = rfc3339_millis(drive.clock.now).replace("Z", "+00:00")
    replay = decode_body(raw_capture(drive, later))
    assert replay is not None
    assert encode_body(drive.gateway.handle("capture", replay).body()) == first


def test_the_gateway_imports_nothing_of_the_client() -> None:
    allowed_outside = {"payermax_async._schema", "payermax_async.signing"}
    for path in GATEWAY.rglob("*.py"):
        depth = len(path.relative_to(GATEWAY).parts)  # 1: gateway/x.py, 2: gateway/flows/x.py
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level:
                # resolve relative imports against payermax_async.testing.gateway[.flows]
                base = ["payermax_async", "testing", "gateway", *(["flows"] if depth == 2 else [])]
                package = ".".join(base[: len(base) - node.level + 1])
                if node.module:
                    targets = [f"{package}.{node.module}"]
                else:
                    targets = [f"{package}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = [node.module or ""]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target.startswith("payermax_async"):
                    inside = target.startswith("payermax_async.testing.gateway")
                    assert inside or target in allowed_outside, f"{path.name} imports {target}"
