"""Our design decisions the generator applies: which family each apiName belongs to, the names of
the top-level and public types, idempotency fields and how an unknown outcome is reconciled.

These are not PayerMax's facts (those live in ``payermax_async/_schema``); they are how this library
arranges them, kept as data so the generator itself stays mechanical.
"""

from __future__ import annotations

# apiName -> (family, type stem, idempotency wire fields, reconcile kind)
# reconcile kinds: "read" (a query: repeat it), "replay" (repeat with the same business id; no query
# exists), "order_query", "refund_query", "payout_query", "token_apply_query", "subscription_query",
# "link_query", "exchange_query", "none" (no business id: a repeat may act twice).
API: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "orderAndPay": ("orders", "OrderAndPay", ("outTradeNo",), "order_query"),
    "orderQuery": ("orders", "OrderQuery", (), "read"),
    "orderClose": ("orders", "OrderClose", ("outTradeNo",), "order_query"),
    "confirmPayment": ("orders", "ConfirmPayment", ("outTradeNo",), "order_query"),
    "applyDDC": ("orders", "ApplyDdc", (), "none"),
    "capture": ("auth_capture", "Capture", ("requestId",), "replay"),
    "cancel": ("auth_capture", "Cancel", ("requestId",), "replay"),
    "refund": ("refunds", "Refund", ("outRefundNo",), "refund_query"),
    "refundQuery": ("refunds", "RefundQuery", (), "read"),
    "paymentOrderPay": ("payouts", "Payout", ("outTradeNo",), "payout_query"),
    "paymentOrderQry": ("payouts", "PayoutQuery", (), "read"),
    "paymentFieldValidation": ("payouts", "PayoutFieldValidation", (), "read"),
    "applyPaymentToken": ("tokens", "ApplyPaymentToken", ("requestId",), "token_apply_query"),
    # PayerMax's own spelling of the apiName (its Java SDK sends it too).
    "InquireApplyRequest": ("tokens", "InquireApplyRequest", (), "read"),
    "inquirePaymentToken": ("tokens", "InquirePaymentToken", (), "read"),
    "removePaymentToken": ("tokens", "RemovePaymentToken", ("paymentTokenID",), "replay"),
    "subscriptionCreate": (
        "subscriptions",
        "SubscriptionCreate",
        ("subscriptionRequestId",),
        "subscription_query",
    ),
    "subscriptionQuery": ("subscriptions", "SubscriptionQuery", (), "read"),
    "subscriptionCancel": ("subscriptions", "SubscriptionCancel", ("subscriptionNo",), "replay"),
    "createPaybylink": ("links", "CreatePaybylink", ("merchantLinkId",), "link_query"),
    "queryPaybylink": ("links", "QueryPaybylink", (), "read"),
    "expirePaybylink": ("links", "ExpirePaybylink", ("merchantLinkId",), "replay"),
    "applyDropinSession": ("dropin", "ApplyDropinSession", (), "none"),
    "caseSearch": ("disputes", "CaseSearch", (), "read"),
    "caseReplay": ("disputes", "CaseReplay", ("caseId",), "replay"),
    "currentBalanceQuery": ("balances", "CurrentBalanceQuery", (), "read"),
    "dayEndBalanceQuery": ("balances", "DayEndBalanceQuery", (), "read"),
    "quoteQuery": ("fx", "QuoteQuery", (), "read"),
    "exchange": ("fx", "Exchange", ("outTradeNo",), "exchange_query"),
    "exchangeQuery": ("fx", "ExchangeQuery", (), "read"),
    "queryClientExchangeRate": ("fx", "QueryClientExchangeRate", (), "read"),
    "addOrDelRiskNameList": ("risk", "RiskNameList", ("requestId",), "replay"),
    "putRfiMaterialList": ("risk", "RfiMaterialList", ("rfiNo",), "replay"),
    "orderConfirm": ("bill_payments", "BillOrderConfirm", ("tradeToken",), "replay"),
}

# Which apiNames have variants merged into one request type and one result type.
MERGED = {"orderAndPay": "order_and_pay_variants", "applyDropinSession": "apply_dropin_session_variants"}

# Notifications: callback key -> class stem; callbacks sharing a stem merge. Their notifyType is a
# fact, read from the overlay's rules (``notify_types``), as the simulator reads it.
CALLBACKS: dict[str, str] = {
    "collectResultNotifyUrl": "Payment",
    "authResultNotifyUrl": "Payment",
    "captureResultNotifyUrl": "Capture",
    "cancelResultNotifyUrl": "Cancel",
    "RefundResultNotifyUrl": "Refund",
    "disbursementResultNotifyUrl": "Payout",
    "subscriptionResultNotifyUrl": "Subscription",
    "subscriptionPaymentResultNotifyUrl": "SubscriptionPayment",
    "tokenizationNotifyUrl": "Tokenization",
    "payLinkResultNotifyUrl": "PayLink",
    "chargeBaclNotifyUrl": "Dispute",
    "fraudNotifyUrl": "Fraud",
    "rfiNotifyUrl": "Rfi",
    "balanceNotifyUrl": "Balance",
    "vaResultNotifyUrl": "VirtualAccountReceipt",
    "collectResultNotifyUrlForBillPayment": "BillPayment",
    "billPaymentValidationUrl": "BillPaymentValidation",
    "pageReturn": "PageReturn",
}

# Public names for nested objects (the names DESIGN.md and the old models exported), by the path
# below a request's ``data`` (any operation of the family); other objects are named after their
# wire name. Result-side objects get the suffix "Result".
NESTED_NAMES: dict[tuple[str, str], str] = {
    ("orders", "paymentDetail"): "PaymentDetail",
    ("orders", "paymentDetail.cardInfo"): "CardInfo",
    ("orders", "paymentDetail.buyerInfo"): "BuyerInfo",
    ("orders", "goodsDetails[]"): "GoodsDetail",
    ("orders", "shippingInfo"): "ShippingInfo",
    ("orders", "billingInfo"): "BillingInfo",
    ("payouts", "payeeInfo"): "PayeeInfo",
    ("payouts", "payeeInfo.accountInfo"): "PayeeAccountInfo",
    ("payouts", "payeeInfo.bankInfo"): "PayeeBankInfo",
    ("payouts", "payeeInfo.name"): "PayeeName",
    ("payouts", "payeeInfo.document"): "PayeeDocument",
    ("payouts", "payeeInfo.address"): "PayeeAddress",
    ("payouts", "trade"): "PayoutTrade",
}

FAMILY_DOCS = {
    "common": "Objects more than one API family shares.",
    "orders": "Payments: hosted checkout, Direct API, drop-in and authorization variants, query, close.",
    "auth_capture": "Capture and cancel of an authorization.",
    "refunds": "Refunds and their query.",
    "payouts": "Payouts (disbursements), their query and the payee field check.",
    "tokens": "Payment tokens: apply, inquire, remove.",
    "subscriptions": "Subscription plans.",
    "links": "Pay-by-link.",
    "dropin": "Drop-in component sessions.",
    "disputes": "Disputes (chargebacks).",
    "balances": "Balances.",
    "fx": "Foreign exchange: quotes, exchange, rates.",
    "risk": "Risk lists and RFI materials.",
    "bill_payments": "Bill payments.",
    "notifications": "Notifications PayerMax sends to the merchant: envelope and data.",
}

# Our short docstrings for the generated types where a name alone could mislead.
DOCS = {
    "OrderAndPayRequest": (
        "Every documented orderAndPay shape in one struct (hosted, Direct API, drop-in, authorization);\n"
        "    ``endpoints.endpoint_for`` picks the variant from the fields, and its check enforces that\n"
        "    variant's own requirements."
    ),
    "ApplyDropinSessionRequest": "Both drop-in session shapes; MANUAL capture selects the authorization one.",
    "CaptureResult": (
        "``is_final`` is PayerMax's ``isFinal``: this was the final capture of the authorization. Whether\n"
        "    the capture itself can still change is ``status.is_final``."
    ),
    "CaptureNotificationData": "``is_final``: the final capture of the authorization (see CaptureResult).",
    "InquireApplyRequestRequest": "``InquireApplyRequest`` is PayerMax's own spelling of this apiName.",
    "PayoutTrade": "``amount`` is sent as a JSON string, as PayerMax types it.",
    "GoodsDetail": "``price`` is sent as a JSON string, as PayerMax types it.",
}
