"""PayerMax's protocol points over HTTP with literal request bytes (no library code builds them):
the tolerances real SDKs need, and the refusals PayerMax makes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from payermax_async.testing import GatewaySimulator, RawAnswer, RawCaller


@pytest.fixture
async def raw(payermax_simulator: GatewaySimulator) -> AsyncIterator[RawCaller]:
    async with aiohttp.ClientSession() as session:
        yield RawCaller(payermax_simulator, session)


def go_time(epoch: float) -> str:
    """RFC 3339 as PayerMax's Go SDK sends it on a whole second: no fraction at all."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def capture_bytes(raw: RawCaller, request_time: str, request_id: str) -> bytes:
    return (
        '{"version":"1.5","keyVersion":"1","requestTime":"' + request_time + '",'
        '"appId":"' + raw.sim.app_id + '","merchantNo":"' + raw.sim.merchant_no + '","spMerchantNo":null,'
        '"data":{"outTradeNo":"RAW_1","requestId":"' + request_id + '","amount":10.50,"currency":"USD",'
        '"notifyUrl":"https:\\/\\/shop.example\\/notify"}}'
    ).encode()


async def send(raw: RawCaller, api: str, body: bytes) -> RawAnswer:
    answer = await raw.post(api, body, raw.sign(body))
    assert raw.verified(answer)
    return answer


async def test_go_sdk_time_escaped_slashes_null_sp_merchant_and_byte_identical_replays(
    raw: RawCaller,
) -> None:
    raw.sim.authorize("RAW_1", "20.00", "USD")
    first = await send(raw, "capture", capture_bytes(raw, go_time(time.time()), "REQ_A"))
    assert first.code == "APPLY_SUCCESS" and b'"amount":10.50' in first.body
    later = time.strftime("%Y-%m-%dT%H:%M:%S.123+00:00", time.gmtime())
    replay = await send(raw, "capture", capture_bytes(raw, later, "REQ_A"))
    assert replay.body == first.body  # the same answer, byte for byte
    assert len(raw.sim.captures_of("RAW_1")) == 1


async def test_refusals_payermax_makes(raw: RawCaller) -> None:
    hosted = {
        "outTradeNo": "Case_1",
        "subject": "s",
        "totalAmount": "10.00",
        "currency": "USD",
        "userId": "u",
        "integrate": "Hosted_Checkout",
    }
    missing = await raw.call("orderAndPay", hosted)
    assert (missing.code, missing.json["msg"].split(" ")[0]) == ("PARAMS_INVALID", "frontCallbackUrl")
    hosted["frontCallbackUrl"] = "https://shop.example/back"
    dashed = await raw.call("orderAndPay", hosted | {"outTradeNo": "CASE-1"})
    assert (dashed.code, dashed.json["msg"].split(" ")[0]) == ("PARAMS_INVALID", "outTradeNo")
    assert (await raw.call("orderAndPay", hosted)).code == "APPLY_SUCCESS"  # no country: fine for hosted
    raw.sim.complete_payment("Case_1")
    repeat = await raw.call("orderAndPay", hosted | {"outTradeNo": "CASE_1"})  # the same order to PayerMax
    assert repeat.code == "ORDER_REPEAT"
    kwd = {
        "outRefundNo": "RF_KWD",
        "outTradeNo": "Case_1",
        "refundAmount": "1.005",
        "refundCurrency": "KWD",
    }
    refused = await raw.call("refund", kwd)
    assert refused.code == "PARAMS_INVALID" and refused.json["msg"].startswith("refundAmount")
    payout = {
        "outTradeNo": "PO_X",
        "country": "PH",
        "trade": {"amount": "5.00", "currency": "PHP"},
        "payeeInfo": {"accountInfo": {"accountNo": "1"}},
        "paymentMethod": "WALLET",  # a name PayerMax does not read: the payee's method is missing
    }
    refused = await raw.call("paymentOrderPay", payout)
    assert (refused.code, refused.json["msg"]) == (
        "PARAMS_INVALID",
        "payeeInfo.paymentMethodType is required.",
    )
