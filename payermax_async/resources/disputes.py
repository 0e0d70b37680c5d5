"""Disputes (chargebacks): look a case up, answer it."""

from __future__ import annotations

from collections.abc import Sequence

from ..types.disputes import CaseReplayRequest, CaseReplayResult, CaseSearchRequest, CaseSearchResult
from ._base import Resource

__all__ = ["Disputes"]


class Disputes(Resource):
    __slots__ = ()

    async def search(
        self,
        case_id: str,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CaseSearchResult:
        """A dispute case (``caseSearch``)."""
        return await self._call(
            "caseSearch",
            CaseSearchRequest(case_id=case_id),
            CaseSearchResult,
            {"case_id": case_id},
            timeout,
            max_retries,
            version,
        )

    async def reply(
        self,
        *,
        case_id: str,
        batch_id: str,
        out_user_id: str,
        response_content: str,
        representment_file: Sequence[str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        version: str | None = None,
    ) -> CaseReplayResult:
        """Answer a dispute case with your evidence (PayerMax's ``caseReplay``)."""
        request = CaseReplayRequest(
            batch_id=batch_id,
            case_id=case_id,
            out_user_id=out_user_id,
            response_content=response_content,
            representment_file=None if representment_file is None else list(representment_file),
        )
        return await self._call(
            "caseReplay", request, CaseReplayResult, {"case_id": case_id}, timeout, max_retries, version
        )
