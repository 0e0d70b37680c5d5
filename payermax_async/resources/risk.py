"""Risk: your own block/allow name lists, and the material PayerMax asks for in an RFI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..types.risk import (
    MaterialListItem,
    NameListItem,
    RfiMaterialListRequest,
    RiskNameListRequest,
    RiskNameListResult,
)
from ._base import Resource, business_id

__all__ = ["Risk"]


class Risk(Resource):
    __slots__ = ()

    async def name_list(
        self,
        *,
        name_type: str,
        operate_type: str,
        name_list: Sequence[NameListItem],
        remark: str,
        request_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> RiskNameListResult:
        """Add to or delete from a risk name list (``addOrDelRiskNameList``). ``request_id`` is the
        idempotency key, generated once when omitted and reused by every retry."""
        request = RiskNameListRequest(
            name_type=name_type,
            remark=remark,
            operate_type=operate_type,
            request_id=business_id(request_id),
            name_list=list(name_list),
        )
        ids = {"request_id": request.request_id}
        return await self._call(
            "addOrDelRiskNameList", request, RiskNameListResult, ids, timeout, max_retries, version
        )

    async def put_rfi_materials(
        self,
        *,
        rfi_no: str,
        material_list: Sequence[MaterialListItem],
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> Any:
        """Send the material a request for information asks for (``putRfiMaterialList``).

        PayerMax documents no answer ``data`` for it: whatever comes back is a dict (exact numbers).
        """
        request = RfiMaterialListRequest(rfi_no=rfi_no, material_list=list(material_list))
        answer: dict[str, Any] | None = await self._call(
            "putRfiMaterialList", request, dict, {"rfi_no": rfi_no}, timeout, max_retries, version
        )
        return answer
