"""Our design decisions for the typed methods the generator writes: which apiName gets which method,
its parameters in order, and its docstring (ours). The request fields and their types come from the
schema; only what a schema cannot say is here, as data, so ``gen_methods.py`` stays mechanical.
"""

from __future__ import annotations

from typing import NamedTuple

# The one typed method written by hand: capture, the hot path of bulk runs (its endpoint and operation
# are fixed once, in ``payermax_async/operations/auth_capture.py``). Every other apiName is a row of
# METHODS below, and its method is generated.
HAND_WRITTEN = frozenset({"capture"})

# Where the generated flat methods of the core flows (DESIGN.md's public API) go:
# ``operations/<module>.py``, a class PayerMaxClient inherits.
FLAT = (
    "flat",
    "FlatMethods",
    "The client's flat typed methods of the core flows (all but capture, which is written by hand);\n"
    "each sends its request struct through ``OperationsBase._send``, as every resource method does.",
)

# The resource modules (``payermax_async/resources/<module>.py``): module -> (class, module docstring).
RESOURCES: dict[str, tuple[str, str]] = {
    "balances": ("Balances", "Account balances: now, and at the end of a day."),
    "bill_payments": (
        "BillPayments",
        "Bill payments: confirm (or refuse) a bill order PayerMax asked you to validate.",
    ),
    "disputes": ("Disputes", "Disputes (chargebacks): look a case up, answer it."),
    "dropin": (
        "Dropin",
        "Drop-in checkout: a session for PayerMax's front-end component (``applyDropinSession``).\n\n"
        'The payment itself is then ``client.order_and_pay(..., integrate="Direct_Payment",\n'
        "payment_detail=PaymentDetail(payment_token=...))`` with the token the component returns.",
    ),
    "fx": ("Fx", "Foreign exchange: quotes, client rates, exchanges and their query."),
    "links": ("PaymentLinks", "Pay-by-link: create a payment link, query it, expire it."),
    "payments": (
        "Payments",
        "Steps of a payment beyond creating it: confirmPayment (a verification code) and applyDDC\n"
        "(device data collection before a card payment).",
    ),
    "payouts": (
        "Payouts",
        "Payouts beyond paying out (which is the flat ``client.payout``): checking payee fields first.",
    ),
    "risk": ("Risk", "Risk: your own block/allow name lists, and the material PayerMax asks for in an RFI."),
    "subscriptions": ("Subscriptions", "Subscriptions: create a plan for a user, query it, cancel it."),
    "tokens": (
        "Tokens",
        "Stored payment tokens: apply for one, ask how the application went, list and remove them.",
    ),
}


class Method(NamedTuple):
    """One apiName's typed method on its resource; everything else comes from the schema.

    ``params``: the public parameters in order, "*" where the keyword-only ones begin. Each is the
    snake_case of a request field (its type, default and conversion follow from the field: a list is
    taken as any Sequence, a JSON object as any Mapping, an amount as Decimal, int or decimal text),
    written ``field[.inner] [as name][: type][ = default]``: ``.inner`` takes one field of a nested
    object flat (the object is sent when one of them is given), ``as`` names the parameter
    otherwise, ``: type`` widens what a caller may pass (an enum member sent as its value, anything
    else converted with ``str``), ``= default``
    replaces None. ``extra`` (flat methods only) adds top-level wire fields the schema lacks.
    ``required``: parameters required here though PayerMax's schema leaves them optional.
    ``new_id``: the business id (the endpoint's idempotency field) names a new object, so the caller
    may leave it out: one is made before the first attempt and every retry reuses it.
    ``ids``: the ids the answer is bound to, where they are not the business ids.
    ``prepare``: a helper of ``operations/_base.py`` and the parameters it settles together.
    ``one_of``: parameters of which at least one must be given (``only_one``: exactly one). An id
    whose parameter may be left out binds the answer only when it is given.
    """

    module: str
    name: str
    params: str
    doc: str
    ids: tuple[str, ...] | None = None
    prepare: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    only_one: bool = False
    new_id: bool = False
    required: tuple[str, ...] = ()


# apiName -> its method (module "flat": on the client itself); every apiName of API is
# here or in HAND_WRITTEN. The docstring is ours: why and when to call it, its first line a sentence
# of its own (a method that makes its business id gets the idempotency sentence after that line).
METHODS: dict[str, Method] = {
    "orderAndPay": Method(
        "flat",
        "order_and_pay",
        "out_trade_no, total_amount as amount, currency, *, country, subject, user_id,"
        " integrate: Integrate | str = Integrate.HOSTED_CHECKOUT, notify_url, front_callback_url,"
        " payment_detail, goods_details, shipping_info, billing_info, language, reference,"
        " expire_time: int | str, terminal_type: TerminalType | str, os_type,"
        " capture_mode: CaptureMode | str, authorization_type: AuthorizationType | str, env_info,"
        " sub_merchant, subscription_plan, referral_code, mit_management_url, risk_params, extra",
        "Create a payment: hosted checkout, Direct API, drop-in, or an authorization.\n\n"
        "The fields select PayerMax's variant (``integrate``, ``capture_mode``, a drop-in\n"
        "``payment_detail.payment_token``), and that variant's own rules are checked before any\n"
        "byte is sent: hosted checkout needs ``front_callback_url``, Direct API needs\n"
        "``terminal_type`` and ``payment_detail`` (with ``buyer_info``). An authorization is\n"
        '``capture_mode="MANUAL"`` (``authorization_type`` then defaults to ``FINAL_AUTH``).\n'
        "``out_trade_no`` is the idempotency key: when a retry meets ORDER_REPEAT because the lost\n"
        "first attempt did land, the result is rebuilt from :meth:`order_query` (``reconciled``\n"
        "is True, no ``redirect_url``). ``extra`` adds top-level wire fields the schema lacks.",
        prepare=("authorization_terms", "capture_mode", "authorization_type"),
    ),
    "orderQuery": Method(
        "flat",
        "order_query",
        "out_trade_no, *",
        "The payment or authorization now. The way to learn a capture's effect without its answer.",
        ids=("out_trade_no",),
    ),
    "orderClose": Method(
        "flat",
        "order_close",
        "out_trade_no, reason, *",
        "Close an unpaid order so that it can no longer be paid.",
    ),
    "cancel": Method(
        "flat",
        "cancel",
        "out_trade_no, request_id, *",
        "Void an uncaptured authorization, releasing the held funds.\n\n"
        "Persist your own ``request_id`` first to make a re-run after a crash safe.",
        ids=("out_trade_no", "request_id"),
        new_id=True,
    ),
    "refund": Method(
        "flat",
        "refund",
        "out_trade_no, out_refund_no, refund_amount as amount, refund_currency as currency, *,"
        " comments, refund_notify_url, trade_token",
        "Refund (part of) a paid order. ``out_refund_no`` is the refund's idempotency key.\n\n"
        "The answer names the payment by PayerMax's ``trade_order_no``; the outcome usually arrives\n"
        "later (a REFUND notification or :meth:`refund_query`). When a retry meets ORDER_REPEAT\n"
        "after a lost answer, the result comes from ``refund_query`` (``reconciled`` is True).",
        ids=("out_trade_no", "out_refund_no"),
        required=("out_trade_no",),
    ),
    "refundQuery": Method(
        "flat",
        "refund_query",
        "*, out_refund_no, refund_trade_no",
        "A refund now, by your ``out_refund_no`` or PayerMax's ``refund_trade_no`` (exactly one).",
        ids=("out_refund_no", "refund_trade_no"),
        one_of=("out_refund_no", "refund_trade_no"),
        only_one=True,
    ),
    "paymentOrderPay": Method(
        "flat",
        "payout",
        "out_trade_no, trade.amount, trade.currency, *, country, payee_info, notify_url, reference,"
        " remark, purpose, source_account, destination_currency, notify_email, notify_phone,"
        " expiry_days: int | str, user_id, charge_option, clearing_rail, payer_info, risk_params, extra",
        "Pay money out (``paymentOrderPay``). ``out_trade_no`` is the idempotency key.\n\n"
        "``trade.amount`` goes out as a JSON string, as PayerMax types it (exact, never a float).\n"
        "When a retry meets ORDER_REPEAT after a lost answer, the result comes from\n"
        ":meth:`payout_query` (``reconciled`` is True): this client never pays out twice.",
    ),
    "paymentOrderQry": Method(
        "flat",
        "payout_query",
        "out_trade_no, *",
        "A payout now (``paymentOrderQry``).",
        ids=("out_trade_no",),
    ),
    "currentBalanceQuery": Method(
        "balances",
        "current",
        "*, account_type, account_currency, plain_sign",
        "The balances now (``currentBalanceQuery``).",
    ),
    "dayEndBalanceQuery": Method(
        "balances",
        "day_end",
        "*, inquiry_date, timezone, account_type, account_currency",
        "The balances at the end of ``inquiry_date`` in ``timezone`` (``dayEndBalanceQuery``).",
    ),
    "orderConfirm": Method(
        "bill_payments",
        "confirm",
        "*, trade_token, reference_no, amount, currency, confirmation, failure_reason",
        "Confirm or refuse a bill order (``orderConfirm``); a replay confirms nothing more.",
    ),
    "caseSearch": Method(
        "disputes", "search", "case_id, *", "A dispute case (``caseSearch``).", ids=("case_id",)
    ),
    "caseReplay": Method(
        "disputes",
        "reply",
        "*, case_id, batch_id, out_user_id, response_content, representment_file",
        "Answer a dispute case with your evidence (PayerMax's ``caseReplay``).",
    ),
    "applyDropinSession": Method(
        "dropin",
        "apply_session",
        "*, currency, country, user_id, total_amount, component_list, token_for_future_use, mit_type,"
        " referral_code, capture_mode: CaptureMode | str, authorization_type: AuthorizationType | str",
        "A drop-in session (its ``session_key`` and client key); an authorization session is\n"
        '``capture_mode="MANUAL"`` (``authorization_type`` then defaults to ``FINAL_AUTH``).\n\n'
        "It has no business id, so PayerMax cannot tell a retry from a new request: a retry after a\n"
        "lost answer may open a second session (no money moves until a payment uses one of them).\n"
        "``max_retries=0`` rules that out.",
        prepare=("authorization_terms", "capture_mode", "authorization_type"),
    ),
    "quoteQuery": Method(
        "fx", "quote", "*, ccy_pair_list, price_type_list", "Quotes for currency pairs (``quoteQuery``)."
    ),
    "queryClientExchangeRate": Method(
        "fx",
        "client_rates",
        "*, ccy_pair_list, product, valid_time",
        "The rates offered to your payers (``queryClientExchangeRate``).",
    ),
    "exchange": Method(
        "fx",
        "exchange",
        "*, ccy_pair, side, transaction_amount, transaction_ccy, target_ccy, out_trade_no, rate_version",
        "Exchange between balances (``exchange``).\n"
        "When a retry meets ORDER_REPEAT after a lost answer, the result comes from\n"
        ":meth:`exchange_query` (``reconciled``): never twice.",
        new_id=True,
    ),
    "exchangeQuery": Method(
        "fx",
        "exchange_query",
        "out_trade_no, *",
        "An exchange now (``exchangeQuery``).",
        ids=("out_trade_no",),
    ),
    "createPaybylink": Method(
        "links",
        "create",
        "*, link_type, country, currency, total_amount, description, user_info, goods_details,"
        " merchant_info, notify_url, merchant_link_id, expires_time, language, link_description",
        "Create a payment link (``createPaybylink``).\n"
        "When a retry meets ORDER_REPEAT after a lost answer, the result comes from :meth:`query`\n"
        "(``reconciled``): never a second link.",
        new_id=True,
    ),
    "queryPaybylink": Method(
        "links",
        "query",
        "merchant_link_id, *",
        "A payment link now, with the payments made through it (``queryPaybylink``).",
        ids=("merchant_link_id",),
    ),
    "expirePaybylink": Method(
        "links",
        "expire",
        "merchant_link_id, *",
        "Expire a payment link so that it can no longer be paid (``expirePaybylink``).",
    ),
    "confirmPayment": Method(
        "payments",
        "confirm",
        "out_trade_no, *, trade_token, payment_detail.verification_code",
        "Confirm a payment that waits for the payer's verification code (``confirmPayment``).\n"
        "When a retry meets ORDER_REPEAT after a lost answer, the result comes from ``order_query``\n"
        "(``reconciled``; only ``status`` is known then).",
    ),
    "applyDDC": Method(
        "payments",
        "apply_ddc",
        "*, payment_method_type, payment_amount, payment_currency, user_id, card_identifier_no,"
        " payment_token_id",
        "A device-data-collection session for a card payment (``applyDDC``); nothing is charged.\n\n"
        "It has no business id, so PayerMax cannot tell a retry from a new request: a retry after a\n"
        "lost answer may open a second session. Harmless here; ``max_retries=0`` rules it out.",
    ),
    "paymentFieldValidation": Method(
        "payouts",
        "validate_fields",
        "*, country, payee_info, payer_info, charge_option, clearing_rail, source_account,"
        " destination_currency, expiry_days: int | str, remark, notify_email, notify_phone, purpose",
        "Which payee fields PayerMax would accept, before paying out (``paymentFieldValidation``).",
    ),
    "addOrDelRiskNameList": Method(
        "risk",
        "name_list",
        "*, name_type, operate_type, name_list, remark, request_id",
        "Add to or delete from a risk name list (``addOrDelRiskNameList``).",
        new_id=True,
    ),
    "putRfiMaterialList": Method(
        "risk",
        "put_rfi_materials",
        "*, rfi_no, material_list",
        "Send the material a request for information asks for (``putRfiMaterialList``).\n\n"
        "PayerMax documents no answer ``data`` for it: whatever comes back is a dict (exact numbers).",
    ),
    "subscriptionCreate": Method(
        "subscriptions",
        "create",
        "*, user_id, callback_url, subscription_plan, subscription_request_id",
        "Create a subscription (``subscriptionCreate``).\n"
        "When a retry meets ORDER_REPEAT after a lost answer, the result comes from :meth:`query`\n"
        "(``reconciled``).",
        new_id=True,
    ),
    "subscriptionQuery": Method(
        "subscriptions",
        "query",
        "*, subscription_request_id, subscription_no",
        "A subscription now, by your request id or PayerMax's ``subscription_no`` (at least one).",
        one_of=("subscription_request_id", "subscription_no"),
        ids=("subscription_request_id",),  # the answer carries it at its top level
    ),
    "subscriptionCancel": Method(
        "subscriptions",
        "cancel",
        "subscription_no, *",
        "Cancel a subscription (``subscriptionCancel``); a replay cancels nothing more.",
    ),
    "applyPaymentToken": Method(
        "tokens",
        "apply",
        "*, country, payment_method_type, user_id, front_callback_url, token_scope, request_id,"
        " target_org, mit_type, card_info, env_info, risk_params",
        "Apply for a payment token (``applyPaymentToken``).\n"
        "The outcome may come later: :meth:`inquire_apply`. When a retry meets ORDER_REPEAT after a\n"
        "lost answer, the result comes from that query (``reconciled``).",
        new_id=True,
    ),
    "InquireApplyRequest": Method(
        "tokens",
        "inquire_apply",
        "*, user_id, token_scope, request_id",
        "How a token application went (PayerMax's ``InquireApplyRequest``).",
        ids=("request_id",),
    ),
    "inquirePaymentToken": Method(
        "tokens",
        "inquire",
        "*, user_id, token_scope, payment_token_id, payment_method_type, target_org, card_org, referral_code",
        "A user's stored tokens (``inquirePaymentToken``).",
    ),
    "removePaymentToken": Method(
        "tokens",
        "remove",
        "*, user_id, payment_token_id, remove_reason",
        "Remove a stored token (``removePaymentToken``); a replay removes nothing more.",
    ),
}

# Request fields holding a URL PayerMax will POST to: checked absolute http(s) before sending.
CALLBACK_URLS = frozenset({"notifyUrl", "refundNotifyUrl"})
