"""Pay-by-link: a link the payer opens (``pay_link``), queried and expired by the merchant; each
payment through it is notified (PAYBYLINK)."""

from __future__ import annotations

from typing import Any

from ..wire import APPLY_SUCCESS, SUCCESS_MSG, Answer, Refusal, rfc3339_millis
from .books import ORDER_REPEAT, Books

__all__ = ["DEFAULT_LIFETIME_SECONDS", "HANDLERS", "pay_link"]

DEFAULT_LIFETIME_SECONDS = 86400


def _links(books: Books) -> dict[str, dict[str, Any]]:
    return books.family("links")


def _link(books: Books, merchant_link_id: object) -> dict[str, Any]:
    link: dict[str, Any] = books.found("links", str(merchant_link_id), "link")
    if link["status"] == "ACTIVE" and books.now() > link["expires"]:
        link["status"] = "EXPIRED"
    return link


def _short(link: dict[str, Any]) -> dict[str, Any]:
    return {
        "linkId": link["linkId"],
        "merchantLinkId": link["merchantLinkId"],
        "linkUrl": link["linkUrl"],
        "linkStatus": link["status"],
        "qrCodeUrl": link["qrCodeUrl"],
        "expiresAt": rfc3339_millis(link["expires"]),
    }


def _full(link: dict[str, Any]) -> dict[str, Any]:
    view = _short(link)
    view.update(
        totalAmount=link["totalAmount"],
        country=link["country"],
        currency=link["currency"],
        description=link["description"],
    )
    if link.get("linkDescription"):
        view["linkDescription"] = link["linkDescription"]
    view["payByLinkInfo"] = [dict(p) for p in link["payments"]]
    return view


def create_link(books: Books, key: str, data: dict[str, Any]) -> Answer:
    if data["merchantLinkId"] in _links(books):
        raise Refusal(ORDER_REPEAT, "The merchantLinkId has been used.")
    link_id = books.new_id("L")
    lifetime = int(data.get("expiresTime") or DEFAULT_LIFETIME_SECONDS)
    link = {
        "linkId": link_id,
        "merchantLinkId": data["merchantLinkId"],
        "linkUrl": f"{books.cashier_base}/link/{link_id}",
        "qrCodeUrl": f"{books.cashier_base}/link/{link_id}/qrcode",
        "status": "ACTIVE",
        "expires": books.now() + lifetime,
        "totalAmount": str(data["totalAmount"]),
        "country": data["country"],
        "currency": data["currency"],
        "description": data["description"],
        "linkDescription": data.get("linkDescription"),
        "notifyUrl": data.get("notifyUrl"),
        "payments": [],
    }
    _links(books)[data["merchantLinkId"]] = link
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _short(link))


def query_link(books: Books, key: str, data: dict[str, Any]) -> Answer:
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _full(_link(books, data["merchantLinkId"])))


def expire_link(books: Books, key: str, data: dict[str, Any]) -> Answer:
    link = _link(books, data["merchantLinkId"])
    link["status"] = "EXPIRED"
    link["expires"] = min(link["expires"], books.now())
    return Answer(APPLY_SUCCESS, SUCCESS_MSG, _short(link))


def pay_link(books: Books, merchant_link_id: str, success: bool = True) -> dict[str, Any]:
    """The payer pays through the link; the payment is recorded on the link and notified."""
    link = _link(books, merchant_link_id)
    if link["status"] != "ACTIVE":
        raise Refusal("ORDER_CLOSED", "The link has expired.")
    payment: dict[str, Any] = {"outTradeNo": books.new_id("PBL"), "status": "SUCCESS" if success else "CLOSE"}
    if success:
        payment["completeAt"] = books.stamp()
        payment["paymentDetails"] = [{"paymentMethodType": "CARD", "cardInfo": {"cardOrg": "VISA"}}]
    link["payments"].append(payment)
    view = _full(link)
    del view["description"]  # not a field of the notification
    view.setdefault("linkDescription", "")
    books.notify("payLinkResultNotifyUrl", view, link["notifyUrl"])
    return payment


HANDLERS = {"createPaybylink": create_link, "queryPaybylink": query_link, "expirePaybylink": expire_link}
