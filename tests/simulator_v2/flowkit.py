"""A gateway in checking mode with a clock the test moves, and short ways to drive it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payermax_async.testing.gateway.flows import Gateway, Notice
from payermax_async.testing.gateway.wire import APPLY_SUCCESS, Refusal

from .kit import FACTS
from .states import example_data

APP, MERCHANT = "app_1", "M001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_772_452_800.0

    def __call__(self) -> float:
        return self.now


class Driver:
    def __init__(self) -> None:
        self.clock = Clock()
        self.gateway = Gateway(FACTS, app_id=APP, merchant_no=MERCHANT, clock=self.clock, check_shapes=True)

    def ok(self, api: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = self.gateway.handle_data(api, data)
        assert answer.code == APPLY_SUCCESS
        return answer.data or {}

    def refused(self, api: str, data: dict[str, Any]) -> Refusal:
        with pytest.raises(Refusal) as caught:
            self.gateway.handle_data(api, data)
        return caught.value

    def notices(self) -> list[Notice]:
        taken = self.gateway.take_notices()
        for notice in taken:
            assert not self.gateway.check_notice(notice)
            assert "resultCode" not in notice.body["data"]
        return taken

    def hosted(
        self, out_trade_no: str, amount: str = "10.00", currency: str = "USD", **extra: Any
    ) -> dict[str, Any]:
        data = example_data("orderAndPay", 1)
        data.update(outTradeNo=out_trade_no, totalAmount=Decimal(amount), currency=currency, **extra)
        return data

    def direct(
        self, out_trade_no: str, amount: str = "10.00", currency: str = "USD", **extra: Any
    ) -> dict[str, Any]:
        data = example_data("orderAndPay/delSuffixStart1", 0)
        data.pop("subscriptionPlan", None)
        data.pop("goodsDetails", None)
        data.update(outTradeNo=out_trade_no, totalAmount=Decimal(amount), currency=currency, **extra)
        return data

    def card(self, out_trade_no: str, card_no: str, **extra: Any) -> dict[str, Any]:
        data = self.direct(out_trade_no, **extra)
        data["paymentDetail"]["cardInfo"]["cardIdentifierNo"] = card_no
        return data

    def apm(self, out_trade_no: str, method: str, org: str) -> dict[str, Any]:
        data = self.direct(out_trade_no)
        data["paymentDetail"] = {
            "paymentMethodType": method,
            "targetOrg": org,
            "buyerInfo": {"clientIp": "127.0.0.1", "userAgent": "test"},
        }
        return data
