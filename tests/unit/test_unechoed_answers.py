"""A signed success that leaves out an id its endpoint's answers always carry is no answer.

PayerMax signs its answers, but a signed answer proves only that PayerMax said it, not to which
request: one without ``outTradeNo``/``requestId`` could be any request's. Before this rule a signed
capture ``APPLY_SUCCESS`` with neither was taken as proof that this capture succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from payermax_async import (
    CaptureItem,
    CaptureResult,
    OutcomeStatus,
    OutcomeUnknownError,
    PayerMaxClient,
    UnboundResponseError,
)
from payermax_async._answer import _plain_success

from ..support import URL, Keys, Reply, ScriptedGateway, capture_data, reply, sent_bodies

BASE = URL.rsplit("/", 1)[0] + "/"

#: the answer's timestamps pick the decode path: RFC 3339 takes the one typed decode, the spaced
#: offset PayerMax's own capture example sends only the envelope-then-data path
PATHS = {"one-decode": "2023-08-06T23:50:59.000+00:00", "envelope": "2023-08-06T23:50:59 +0000"}

#: what each case leaves out of an otherwise genuine capture success
MISSING = {
    "no-outTradeNo": ("outTradeNo",),
    "no-requestId": ("requestId",),
    "no-ids": ("outTradeNo", "requestId"),
}


def capture_success(keys: Keys, created: str, *, missing: tuple[str, ...] = ()) -> Callable[..., Reply]:
    """A signed capture SUCCESS about the request it answers, less the ``missing`` fields."""

    def answer(url: str, **kw: Any) -> Reply:
        sent = json.loads(kw["data"])["data"]
        data = capture_data(requestId=sent["requestId"], outTradeNo=sent["outTradeNo"], createdTime=created)
        for name in missing:
            data.pop(name)
        return reply(keys, data=data)

    return answer


def test_each_path_named_is_the_one_taken() -> None:
    for path, created in PATHS.items():
        body = json.dumps({"code": "APPLY_SUCCESS", "data": capture_data(createdTime=created)}).encode()
        assert (_plain_success(body, CaptureResult) is not None) is (path == "one-decode")


def sent_ids(gateway: ScriptedGateway) -> set[tuple[str, str]]:
    sent = (json.loads(body)["data"] for body, _ in sent_bodies(gateway))
    return {(d["outTradeNo"], d["requestId"]) for d in sent}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("missing", MISSING)
async def test_a_capture_success_that_names_no_request_ends_unknown_never_captured(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, path: str, missing: str
) -> None:
    gateway.post(URL, callback=capture_success(keys, PATHS[path], missing=MISSING[missing]), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert isinstance(info.value.__cause__, UnboundResponseError)
    assert info.value.ids == {"out_trade_no": "ORD_1", "request_id": "R-1"}
    # replayed, as a lost answer is, and only ever under the one business id: never a second capture
    assert len(sent_bodies(gateway)) == 3 and sent_ids(gateway) == {("ORD_1", "R-1")}


async def test_a_signed_capture_success_with_data_null_is_no_answer(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=lambda url, **kw: reply(keys, data=None), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert isinstance(info.value.__cause__, UnboundResponseError)


@pytest.mark.parametrize("path", PATHS)
async def test_the_replay_after_an_answer_without_ids_takes_the_one_that_names_them(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, path: str
) -> None:
    gateway.post(URL, callback=capture_success(keys, PATHS[path], missing=("outTradeNo", "requestId")))
    gateway.post(URL, callback=capture_success(keys, PATHS[path]))
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert isinstance(result, CaptureResult)
    assert (result.out_trade_no, result.request_id) == ("ORD_1", "R-1")
    assert len(sent_bodies(gateway)) == 2 and sent_ids(gateway) == {("ORD_1", "R-1")}


@pytest.mark.parametrize("path", PATHS)
async def test_a_capture_success_naming_its_request_is_taken_at_once(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, path: str
) -> None:
    gateway.post(URL, callback=capture_success(keys, PATHS[path]))
    result = await client.capture("ORD_1", "100", "USD", request_id="R-1")
    assert (result.out_trade_no, result.request_id, result.capture_no) == ("ORD_1", "R-1", "CP-1")
    assert len(sent_bodies(gateway)) == 1


async def test_capture_many_reports_an_answer_without_ids_as_unknown(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    def answer(url: str, **kw: Any) -> Reply:
        sent = json.loads(kw["data"])["data"]
        missing = ("outTradeNo", "requestId") if sent["outTradeNo"] == "ORD_0" else ()
        return capture_success(keys, PATHS["one-decode"], missing=missing)(url, **kw)

    gateway.post(URL, callback=answer, repeat=True)
    items = [CaptureItem(f"ORD_{i}", Decimal("1.00"), "USD", f"R-{i}") for i in range(3)]
    outcomes = {o.item.out_trade_no: o async for o in client.capture_many(items, concurrency=2)}
    assert outcomes["ORD_0"].status is OutcomeStatus.UNKNOWN and outcomes["ORD_0"].result is None
    assert {outcomes[f"ORD_{i}"].status for i in (1, 2)} == {OutcomeStatus.CAPTURED}
    assert all(json.loads(b)["data"]["requestId"] == "R-0" for b, _ in sent_bodies(gateway) if b"ORD_0" in b)


# ------------------------------------------------------------------------------ call() by wire name


def echo_of(keys: Keys, *names: str, **fixed: Any) -> Callable[..., Reply]:
    """A signed success carrying back ``names`` of the request's data, and ``fixed``."""

    def answer(url: str, **kw: Any) -> Reply:
        sent = json.loads(kw["data"])["data"]
        return reply(keys, data={**{n: sent[n] for n in names}, "status": "SUCCESS", **fixed})

    return answer


CAPTURE_DATA = {"outTradeNo": "ORD_1", "requestId": "R-1", "amount": "1.00", "currency": "USD"}


@pytest.mark.parametrize("result_type", [None, CaptureResult], ids=["dict", "typed"])
@pytest.mark.parametrize("missing", MISSING)
async def test_an_untyped_call_to_a_known_endpoint_is_bound_by_wire_name(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, missing: str, result_type: Any
) -> None:
    kept = [n for n in ("outTradeNo", "requestId") if n not in MISSING[missing]]
    gateway.post(URL, callback=echo_of(keys, *kept), repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await client.call("capture", CAPTURE_DATA, result_type=result_type)
    assert isinstance(info.value.__cause__, UnboundResponseError)
    assert info.value.ids == {"out_trade_no": "ORD_1", "request_id": "R-1"}
    assert len(sent_bodies(gateway)) == 3


async def test_an_untyped_call_naming_its_request_is_taken(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    gateway.post(URL, callback=echo_of(keys, "outTradeNo", "requestId"))
    result = await client.call("capture", CAPTURE_DATA)
    assert result == {"outTradeNo": "ORD_1", "requestId": "R-1", "status": "SUCCESS"}


@pytest.mark.parametrize(("token", "bound"), [("PT_1", True), ("PT_2", False)])
async def test_an_untyped_call_reads_an_acronym_id_by_its_wire_name(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway, token: str, bound: bool
) -> None:
    """``payment_token_id`` is ``paymentTokenID`` on the wire, not ``paymentTokenId``."""
    gateway.post(BASE + "removePaymentToken", callback=echo_of(keys, paymentTokenID=token), repeat=True)
    call = client.call("removePaymentToken", {"userId": "u1", "paymentTokenID": "PT_1"})
    if bound:
        assert (await call)["paymentTokenID"] == "PT_1"
    else:
        with pytest.raises(OutcomeUnknownError):
            await call


async def test_an_unknown_api_name_and_a_narrow_result_type_bind_nothing_new(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    """Nothing is known of an apiName outside the schema, and a caller's own type that declares no
    id cannot be bound by one: both are taken as before."""

    class Narrow(msgspec.Struct):
        status: str | None = None

    gateway.post(BASE + "someNewApi", callback=echo_of(keys))
    gateway.post(URL, callback=echo_of(keys))
    assert await client.call("someNewApi", {"outTradeNo": "ORD_1"}) == {"status": "SUCCESS"}
    assert (await client.call("capture", CAPTURE_DATA, result_type=Narrow)).status == "SUCCESS"


async def test_a_subscription_query_is_bound_to_the_subscription_it_asked_for(
    client: PayerMaxClient, keys: Keys, gateway: ScriptedGateway
) -> None:
    about = ["SUB_2"]  # the subscription the gateway answers about
    gateway.post(
        BASE + "subscriptionQuery",
        callback=lambda u, **kw: reply(keys, data={"subscriptionRequestId": about[0]}),
        repeat=True,
    )
    with pytest.raises(OutcomeUnknownError) as info:
        await client.subscriptions.query(subscription_request_id="SUB_1")
    assert isinstance(info.value.__cause__, UnboundResponseError)
    about[0] = "SUB_1"
    answer = await client.subscriptions.query(subscription_request_id="SUB_1")
    assert answer.subscription_request_id == "SUB_1"
