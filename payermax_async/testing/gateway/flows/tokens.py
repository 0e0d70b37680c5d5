"""Saved payment methods: binding one (applyPaymentToken, its result), listing, removing, and using
one in a payment (``paymentTokenID``).

A binding with card data completes at once; without, the payer authenticates on PayerMax's page
(``redirectUrl``) and ``complete_binding`` plays that step. Each finished binding is notified
(TOKENIZATION). A repeated ``requestId`` gives the binding's current answer, never a second token.
"""

from __future__ import annotations

from typing import Any

from ..requests import refuse
from ..schema import Violation
from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal, rfc3339_millis
from .books import ORDER_NOT_EXIST, Books, Order

__all__ = ["HANDLERS", "complete_binding", "for_payment", "issue_from_payment"]

TOKEN_VALIDITY_SECONDS = 3 * 365 * 86400


def _tokens(books: Books) -> dict[str, dict[str, Any]]:
    return books.family("tokens")


def _bindings(books: Books) -> dict[str, dict[str, Any]]:
    return books.family("token_bindings")


def _issue(books: Books, user_id: str, scope: str, method: str, card_no: str | None) -> dict[str, Any]:
    token_id = books.new_id("PMTOKEN")
    item: dict[str, Any] = {
        "paymentTokenID": token_id,
        "userId": user_id,
        "tokenScope": scope,
        "paymentTokenExpiry": rfc3339_millis(books.now() + TOKEN_VALIDITY_SECONDS),
        "paymentTokenStatus": "Activated",
        "paymentMethodType": method,
    }
    if card_no:
        item["cardInfo"] = f"{card_no[:6]}******{card_no[-4:]}"
        item["brand"] = "VISA" if card_no.startswith("4") else "MASTERCARD"
        item["ifCVV"] = "N"
    _tokens(books)[token_id] = item
    return item


def issue_from_payment(books: Books, order: Order) -> str:
    """A token saved by a payment that asked for it (``tokenForFutureUse``)."""
    card = order.card or {}
    masked = card.get("cardIdentifierNo", "411111******1111")
    item = _issue(books, order.user_id, "tokenAcq", order.method or "CARD", None)
    item["cardInfo"], item["brand"], item["ifCVV"] = masked, card.get("cardOrg", "VISA"), "N"
    return str(item["paymentTokenID"])


def for_payment(books: Books, user_id: str, token_id: str) -> dict[str, Any]:
    item = _tokens(books).get(token_id)
    if item is None or item["userId"] != user_id or item["paymentTokenStatus"] != "Activated":
        raise refuse(Violation("paymentDetail.paymentTokenID", "is not an active token of this user"))
    return item


def _binding_answer(binding: dict[str, Any]) -> dict[str, Any]:
    answer = {"requestId": binding["requestId"], "status": binding["status"]}
    if binding.get("redirectUrl") and binding["status"] == "PENDING":
        answer["redirectUrl"] = binding["redirectUrl"]
    if binding.get("paymentTokenID"):
        answer["paymentTokenID"] = binding["paymentTokenID"]
    return answer


def apply_token(books: Books, key: str, data: dict[str, Any]) -> Answer:
    binding = _bindings(books).get(data["requestId"])
    if binding is None:
        binding = {
            "requestId": data["requestId"],
            "userId": data["userId"],
            "tokenScope": data["tokenScope"],
            "method": data["paymentMethodType"],
            "country": data["country"],
            "targetOrg": data.get("targetOrg"),
            "status": "PENDING",
            "redirectUrl": f"{books.cashier_base}/bind/{data['requestId']}",
        }
        _bindings(books)[data["requestId"]] = binding
        card = data.get("cardInfo")
        if card:
            _finish_binding(books, binding, True, str(card["cardIdentifierNo"]))
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _binding_answer(binding))


def _finish_binding(books: Books, binding: dict[str, Any], success: bool, card_no: str | None) -> None:
    binding["status"] = "SUCCESS" if success else "FAILED"
    item: dict[str, Any] = {}
    if success:
        item = _issue(books, binding["userId"], binding["tokenScope"], binding["method"], card_no)
        binding["paymentTokenID"] = item["paymentTokenID"]
    data: dict[str, Any] = {
        "userId": binding["userId"],
        "paymentTokenID": item.get("paymentTokenID", ""),
        "tokenScope": binding["tokenScope"],
        "paymentTokenExpiry": item.get("paymentTokenExpiry", ""),
        "paymentTokenStatus": "Activated" if success else "Expired",
        "paymentMethodType": binding["method"],
        "country": binding["country"],
        "requestId": binding["requestId"],
        "supportMIT": True,
        "status": binding["status"],
    }
    for field in ("cardInfo", "brand", "ifCVV"):
        if field in item:
            data[field] = item[field]
    if binding.get("targetOrg"):
        data["targetOrg"] = binding["targetOrg"]
    books.notify("tokenizationNotifyUrl", data, None)


def complete_binding(books: Books, request_id: str, success: bool = True) -> dict[str, Any]:
    """The payer authenticates the binding on PayerMax's page."""
    binding = _bindings(books).get(request_id)
    if binding is None or binding["status"] != "PENDING":
        raise Refusal(ORDER_NOT_EXIST, "No pending token binding has this requestId.")
    _finish_binding(books, binding, success, "4111110000001111" if binding["method"] == "CARD" else None)
    return binding


def inquire_apply(books: Books, key: str, data: dict[str, Any]) -> Answer:
    binding = _bindings(books).get(data["requestId"])
    if binding is None or binding["userId"] != data["userId"]:
        raise Refusal(ORDER_NOT_EXIST, "No token binding has this requestId.")
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _binding_answer(binding))


def inquire_tokens(books: Books, key: str, data: dict[str, Any]) -> Answer:
    wanted = data.get("paymentTokenID")
    found = [
        dict(item)
        for item in _tokens(books).values()
        if item["userId"] == data["userId"]
        and item["tokenScope"] == data["tokenScope"]
        and item["paymentTokenStatus"] == "Activated"
        and wanted in (None, item["paymentTokenID"])
        and data.get("paymentMethodType") in (None, item["paymentMethodType"])
    ]
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, {"tokenList": found})


def remove_token(books: Books, key: str, data: dict[str, Any]) -> Answer:
    item = _tokens(books).get(data["paymentTokenID"])
    if item is None or item["userId"] != data["userId"]:
        raise refuse(Violation("paymentTokenID", "is not a token of this user"))
    item["paymentTokenStatus"] = "Deleted"
    answer = {
        "userId": item["userId"],
        "paymentTokenID": item["paymentTokenID"],
        "paymentTokenStatus": "Deleted",
    }
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, answer)


HANDLERS = {
    "applyPaymentToken": apply_token,
    "InquireApplyRequest": inquire_apply,  # PayerMax's own spelling of the apiName
    "inquirePaymentToken": inquire_tokens,
    "removePaymentToken": remove_token,
}
