"""The simulator at protocol level: envelope, signatures both ways, the requestTime window, ids.

Requests here are built by hand (``RawCaller``, the ``raw`` fixture) rather than by the client, so
that each refusal can be provoked on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import textwrap
import time
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from payermax_async import CaptureStatus, PayerMaxClient
from payermax_async.signing import (
    RsaSigner,
    generate_key_pair,
    load_private_key,
    load_public_key,
)
from payermax_async.testing import GatewaySimulator, RawCaller, SimulatorThread
from payermax_async.testing.wire import encode, parse_request_time, rfc3339_millis

API = "/aggregate-pay/api/gateway/"
MILLIS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def capture_data(out_trade_no: str = "ORD_1", amount: Any = Decimal("10.00"), **extra: Any) -> dict[str, Any]:
    return {"requestId": "REQ_1", "outTradeNo": out_trade_no, "currency": "USD", "amount": amount, **extra}


# ---------------------------------------------------------------------- identity and keys


async def test_fixture_is_a_started_loopback_gateway_with_usable_keys(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url)
    assert sim.port > 0
    assert sim.app_id and len(sim.merchant_no) <= 32
    # bare base64 DER, as PayerMax hands keys out, and the halves belong together
    private = load_private_key(sim.merchant_private_key)
    assert load_public_key(sim.merchant_public_key).fingerprint == private.fingerprint
    assert (
        load_private_key(sim.payermax_private_key).fingerprint
        == load_public_key(sim.payermax_public_key).fingerprint
    )
    assert "-----" not in sim.merchant_private_key + sim.payermax_public_key
    assert sim.merchant_private_key not in repr(sim)


async def test_each_simulator_has_fresh_keys_and_ids() -> None:
    async with GatewaySimulator() as a, GatewaySimulator() as b:
        assert a.app_id != b.app_id
        assert a.merchant_private_key != b.merchant_private_key
        assert a.payermax_private_key != b.payermax_private_key
        assert a.base_url != b.base_url


async def test_keys_given_as_pem_are_normalised_to_bare_base64() -> None:
    private, public = generate_key_pair()
    pem = (
        "-----BEGIN PRIVATE KEY-----\n"
        + "\n".join(textwrap.wrap(private, 64))
        + "\n-----END PRIVATE KEY-----\n"
    )
    async with GatewaySimulator(merchant_private_key=pem, payermax_private_key=private) as sim:
        assert sim.merchant_private_key == private
        assert sim.merchant_public_key == public
        assert sim.payermax_public_key == public
        client = sim.client()
        sim.authorize("PEM_1", "5.00", "USD")
        assert (await client.capture("PEM_1", "5.00", "USD")).status is CaptureStatus.SUCCESS


async def test_public_only_merchant_key_means_no_private_key_to_hand_out() -> None:
    _, public = generate_key_pair()
    sim = GatewaySimulator(merchant_public_key=public)
    with pytest.raises(RuntimeError, match="public key"):
        _ = sim.merchant_private_key
    with pytest.raises(RuntimeError, match="not started"):
        _ = sim.base_url


async def test_client_kwargs_pass_through_and_clients_close_with_the_simulator() -> None:
    async with GatewaySimulator() as sim:
        client = sim.client(timeout=3.5, max_retries=0)
        assert client.config.timeout == 3.5
        assert client.config.retry.max_retries == 0
        assert client.config.base_url == sim.base_url
        with pytest.raises(RuntimeError, match="already started"):
            await sim.start()
    assert client.closed


# ---------------------------------------------------------------------- signed answers


def _openssl_verify(
    tmp_path: Path, public_b64: str, signature_b64: str, body: bytes
) -> subprocess.CompletedProcess[str]:
    pem = (
        "-----BEGIN PUBLIC KEY-----\n"
        + "\n".join(textwrap.wrap(public_b64, 64))
        + "\n-----END PUBLIC KEY-----\n"
    )
    (tmp_path / "pub.pem").write_text(pem)
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(signature_b64))
    (tmp_path / "body.bin").write_bytes(body)
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "body.bin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_answers_are_signed_over_the_exact_bytes_as_openssl_sees_it(
    raw: RawCaller, tmp_path: Path
) -> None:
    raw.sim.authorize("ORD_1", "10.00", "USD")
    ok = await raw.call("capture", capture_data())
    assert ok.code == "APPLY_SUCCESS"
    assert ok.json["msg"] == "Success."
    result = _openssl_verify(tmp_path, raw.sim.payermax_public_key, ok.headers["sign"], ok.body)
    assert (result.returncode, result.stdout.strip()) == (0, "Verified OK")

    tampered = ok.body.replace(b'"SUCCESS"', b'"FAILED"')
    result = _openssl_verify(tmp_path, raw.sim.payermax_public_key, ok.headers["sign"], tampered)
    assert result.returncode == 1
    assert "Verification failure" in result.stdout

    refused = await raw.call("capture", capture_data(out_trade_no="NOPE", requestId="REQ_2"))
    assert refused.code == "ORDER_NOT_EXIST"
    assert "data" not in refused.json  # PayerMax's error answers carry code and msg only
    result = _openssl_verify(tmp_path, raw.sim.payermax_public_key, refused.headers["sign"], refused.body)
    assert result.returncode == 0


async def test_answer_headers(raw: RawCaller) -> None:
    answer = await raw.call("orderQuery", {"outTradeNo": "NOPE"})
    assert answer.headers["Content-Type"].startswith("application/json")
    server_time = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert abs(server_time - time.time()) < 5
    assert raw.verified(answer)


# ---------------------------------------------------------------------- request authentication


async def test_sign_is_verified_over_the_raw_body(raw: RawCaller) -> None:
    data = {
        "outTradeNo": "SIG_1",
        "subject": "s",
        "totalAmount": 5,
        "currency": "USD",
        "country": "US",
        "userId": "u",
        "integrate": "Hosted_Checkout",
    }
    body = encode(raw.envelope(data))
    signature = raw.sign(body)
    reserialised = json.dumps(json.loads(body), indent=1).encode()  # same JSON, other bytes
    other_key = base64.b64encode(RsaSigner(generate_key_pair()[0]).sign(body)).decode()
    for sent, sign in ((reserialised, signature), (body, None), (body, "not base64!"), (body, other_key)):
        answer = await raw.post("orderAndPay", sent, sign)
        assert answer.code == "SIGN_VERIFY_FAILED"
        assert raw.verified(answer)
    assert raw.sim.orders == {}
    assert not any(r.processed for r in raw.sim.requests)
    assert (await raw.post("orderAndPay", body, signature)).code == "APPLY_SUCCESS"
    assert "SIG_1" in raw.sim.orders


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (-120.0, "ORDER_NOT_EXIST"),
        (120.0, "ORDER_NOT_EXIST"),
        (-120.25, "REQ_TIME_OVER_TIME"),
        (120.25, "REQ_TIME_OVER_TIME"),
    ],
)
async def test_request_time_window_is_two_minutes_either_way(offset: float, code: str) -> None:
    frozen = 1_700_000_000.0  # the gateway's clock stands still: the edge is exact, not a race
    async with GatewaySimulator(clock=lambda: frozen) as sim, RawCaller(sim) as raw:
        answer = await raw.call(
            "orderQuery", {"outTradeNo": "X"}, requestTime=rfc3339_millis(frozen + offset)
        )
    assert answer.code == code


@pytest.mark.parametrize(
    ("request_time", "code"),
    [
        ("{utc}.000Z", "ORDER_NOT_EXIST"),
        ("{local8}.000+08:00", "ORDER_NOT_EXIST"),
        ("{utc}+00:00", "PARAMS_INVALID"),  # no milliseconds
        ("{utc}.000", "PARAMS_INVALID"),  # no offset
        ("yesterday", "PARAMS_INVALID"),
        ("2024-02-30T00:00:00.000+00:00", "PARAMS_INVALID"),
    ],
)
async def test_request_time_format(raw: RawCaller, request_time: str, code: str) -> None:
    now = time.time()
    value = request_time.format(
        utc=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)),
        local8=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 8 * 3600)),
    )
    answer = await raw.call("orderQuery", {"outTradeNo": "X"}, requestTime=value)
    assert answer.code == code


def test_parse_request_time() -> None:
    assert parse_request_time("2024-11-06T11:56:13.000+08:00") == parse_request_time(
        "2024-11-06T03:56:13.000Z"
    )
    assert parse_request_time("2024-11-06T03:56:13.250+00:00") == 1730865373.25
    assert parse_request_time("2024-11-06T03:56:13.000+24:00") is None
    assert parse_request_time(12) is None


async def test_clock_skew_moves_the_window_and_the_date_header(payermax_simulator: GatewaySimulator) -> None:
    sim = payermax_simulator
    sim.clock_skew = 300.0
    sim.authorize("SKEW_1", "10.00", "USD")
    client = sim.client(max_retries=1)
    result = await client.capture("SKEW_1", "10.00", "USD")  # refused once, then re-signed with the offset
    assert result.status is CaptureStatus.SUCCESS
    codes = [r.code for r in sim.requests]
    assert codes == ["REQ_TIME_OVER_TIME", "APPLY_SUCCESS"]
    assert 290 < client.clock_offset < 310


async def test_date_header_reflects_clock_skew(raw: RawCaller) -> None:
    raw.sim.clock_skew = -600.0
    answer = await raw.call("orderQuery", {"outTradeNo": "X"})
    assert answer.code == "REQ_TIME_OVER_TIME"
    server_time = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert abs(server_time - (time.time() - 600)) < 5


async def test_app_id_and_merchant_no_must_be_this_merchants(raw: RawCaller) -> None:
    assert (
        await raw.call("orderQuery", {"outTradeNo": "X"}, appId="someone-else")
    ).code == "MERCHANT_APP_INVALID"
    assert (
        await raw.call("orderQuery", {"outTradeNo": "X"}, merchantNo="M_OTHER")
    ).code == "MERCHANT_APP_INVALID"
    # merchantNo is optional in PayerMax's envelope
    body = encode({k: v for k, v in raw.envelope({"outTradeNo": "X"}).items() if k != "merchantNo"})
    assert (await raw.post("orderQuery", body, raw.sign(body))).code == "ORDER_NOT_EXIST"


@pytest.mark.parametrize("missing", ["version", "keyVersion", "requestTime", "appId", "data"])
async def test_envelope_fields_are_required(raw: RawCaller, missing: str) -> None:
    body = encode({k: v for k, v in raw.envelope({"outTradeNo": "X"}).items() if k != missing})
    answer = await raw.post("orderQuery", body, raw.sign(body))
    assert answer.code == "PARAMS_INVALID"
    assert missing in answer.json["msg"]


async def test_bodies_that_are_not_envelopes(raw: RawCaller) -> None:
    for body in (b"not json", b"[1, 2]", encode(raw.envelope("a string"))):
        answer = await raw.post("orderQuery", body, raw.sign(body))
        assert (answer.status, answer.code) == (200, "PARAMS_INVALID")
    wrong_type = encode(raw.envelope({"outTradeNo": "X"}, version=1.5))
    assert (await raw.post("orderQuery", wrong_type, raw.sign(wrong_type))).code == "PARAMS_INVALID"


async def test_unknown_api_name_is_404(raw: RawCaller) -> None:
    answer = await raw.call("noSuchApi", {})
    assert answer.status == 404
    assert answer.code == "PARAMS_INVALID"
    assert raw.verified(answer)


# ---------------------------------------------------------------------- records


async def test_every_request_is_recorded(raw: RawCaller) -> None:
    raw.sim.authorize("REC_1", "10.00", "USD")
    answer = await raw.call("capture", capture_data(out_trade_no="REC_1"))
    (record,) = raw.sim.requests_for("capture")
    assert record.api_name == "capture"
    assert record.code == "APPLY_SUCCESS"
    assert record.http_status == 200
    assert record.processed
    assert record.fault is None
    assert record.out_trade_no == "REC_1"
    assert record.data["amount"] == Decimal("10.00")
    assert MILLIS_RE.match(record.request_time or "")
    assert record.headers["sign"]
    assert record.response_body == answer.body
    assert json.loads(record.body)["data"]["requestId"] == "REQ_1"
    kinds = [(e.kind, e.out_trade_no) for e in raw.sim.events]
    assert kinds == [("authorized", "REC_1"), ("captured", "REC_1")]


async def test_max_records_trims_the_oldest() -> None:
    async with GatewaySimulator(max_records=2) as sim, aiohttp.ClientSession() as session:
        raw = RawCaller(sim, session)
        for i in range(5):
            await raw.call("orderQuery", {"outTradeNo": f"Q{i}"})
        assert 2 <= len(sim.requests) <= 4
        assert sim.requests[-1].out_trade_no == "Q4"


async def test_on_request_sees_each_finished_record() -> None:
    seen: list[tuple[str, str | None]] = []
    sim = GatewaySimulator(on_request=lambda r: seen.append((r.api_name, r.code)))
    async with sim, aiohttp.ClientSession() as session:
        await RawCaller(sim, session).call("orderQuery", {"outTradeNo": "X"})
    assert seen == [("orderQuery", "ORDER_NOT_EXIST")]


# ---------------------------------------------------------------------- the thread runner


def test_simulator_thread_serves_a_synchronous_caller() -> None:
    """A synchronous test suite keeps the gateway in a background thread."""
    runner = SimulatorThread()
    with runner as sim:
        runner.call(lambda: sim.authorize("THR_1", "7.00", "USD"))

        async def capture() -> CaptureStatus | None:
            async with PayerMaxClient(**sim.client_options()) as client:
                return (await client.capture("THR_1", "7.00", "USD")).status

        assert asyncio.run(capture()) is CaptureStatus.SUCCESS
        assert len(sim.captures_of("THR_1")) == 1
    with pytest.raises(RuntimeError, match="already started"):
        runner.start()


def test_simulator_thread_reports_startup_failure() -> None:
    with SimulatorThread() as first:
        port = first.port
        with pytest.raises(OSError):
            SimulatorThread(port=port).start()
    with pytest.raises(RuntimeError, match="not started"):
        _ = SimulatorThread().sim
