"""Foreign exchange: quotes, client rates, exchanges and their query."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..operations._base import as_amount
from ..types.fx import (
    CcyPairListItem,
    ExchangeQueryRequest,
    ExchangeQueryResult,
    ExchangeRequest,
    ExchangeResult,
    QueryClientExchangeRateRequest,
    QueryClientExchangeRateResult,
    QuoteQueryRequest,
    QuoteQueryResult,
)
from ._base import Resource, business_id

__all__ = ["Fx"]


class Fx(Resource):
    __slots__ = ()

    async def quote(
        self,
        *,
        ccy_pair_list: Sequence[str],
        price_type_list: Sequence[str],
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> QuoteQueryResult:
        """Quotes for currency pairs (``quoteQuery``)."""
        request = QuoteQueryRequest(ccy_pair_list=list(ccy_pair_list), price_type_list=list(price_type_list))
        return await self._call("quoteQuery", request, QuoteQueryResult, {}, timeout, max_retries, version)

    async def client_rates(
        self,
        *,
        ccy_pair_list: Sequence[CcyPairListItem],
        product: str,
        valid_time: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> QueryClientExchangeRateResult:
        """The rates offered to your payers (``queryClientExchangeRate``)."""
        request = QueryClientExchangeRateRequest(
            ccy_pair_list=list(ccy_pair_list), product=product, valid_time=valid_time
        )
        return await self._call(
            "queryClientExchangeRate",
            request,
            QueryClientExchangeRateResult,
            {},
            timeout,
            max_retries,
            version,
        )

    async def exchange(
        self,
        *,
        ccy_pair: str,
        side: str,
        transaction_amount: Decimal | int | str,
        transaction_ccy: str,
        target_ccy: str,
        out_trade_no: str | None = None,
        rate_version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ExchangeResult:
        """Exchange between balances (``exchange``). ``out_trade_no`` is the idempotency key,
        generated once when omitted and reused by every retry. When a retry meets ORDER_REPEAT after
        a lost answer, the result comes from :meth:`exchange_query` (``reconciled``): never twice."""
        request = ExchangeRequest(
            ccy_pair=ccy_pair,
            out_trade_no=business_id(out_trade_no),
            side=side,
            transaction_amount=as_amount(transaction_amount, "transactionAmount"),
            transaction_ccy=transaction_ccy,
            target_ccy=target_ccy,
            rate_version=rate_version,
        )
        ids = {"out_trade_no": request.out_trade_no}
        return await self._call("exchange", request, ExchangeResult, ids, timeout, max_retries, version)

    async def exchange_query(
        self,
        out_trade_no: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> ExchangeQueryResult:
        """An exchange now (``exchangeQuery``)."""
        return await self._call(
            "exchangeQuery",
            ExchangeQueryRequest(out_trade_no=out_trade_no),
            ExchangeQueryResult,
            {"out_trade_no": out_trade_no},
            timeout,
            max_retries,
            version,
        )
