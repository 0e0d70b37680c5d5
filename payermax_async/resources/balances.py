"""Account balances: now, and at the end of a day."""

from __future__ import annotations

from collections.abc import Sequence

from ..types.balances import (
    CurrentBalanceQueryRequest,
    CurrentBalanceQueryResult,
    DayEndBalanceQueryRequest,
    DayEndBalanceQueryResult,
)
from ._base import Resource

__all__ = ["Balances"]


class Balances(Resource):
    __slots__ = ()

    async def current(
        self,
        *,
        account_type: Sequence[str] | None = None,
        account_currency: Sequence[str] | None = None,
        plain_sign: bool | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CurrentBalanceQueryResult:
        """The balances now (``currentBalanceQuery``)."""
        request = CurrentBalanceQueryRequest(
            plain_sign=plain_sign,
            account_type=None if account_type is None else list(account_type),
            account_currency=None if account_currency is None else list(account_currency),
        )
        return await self._call(
            "currentBalanceQuery", request, CurrentBalanceQueryResult, {}, timeout, max_retries, version
        )

    async def day_end(
        self,
        *,
        inquiry_date: str,
        timezone: str,
        account_type: Sequence[str] | None = None,
        account_currency: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> DayEndBalanceQueryResult:
        """The balances at the end of ``inquiry_date`` in ``timezone`` (``dayEndBalanceQuery``)."""
        request = DayEndBalanceQueryRequest(
            account_currency=account_currency,
            account_type=None if account_type is None else list(account_type),
            inquiry_date=inquiry_date,
            timezone=timezone,
        )
        return await self._call(
            "dayEndBalanceQuery", request, DayEndBalanceQueryResult, {}, timeout, max_retries, version
        )
