"""The simulator's second generation: PayerMax's rules and flows as pure logic, no HTTP.

An independent oracle: it reads PayerMax's schema (``payermax_async._schema``) itself and imports
nothing of the client (models, validation, codes), so a client bug cannot hide behind it.

- ``schema``, ``facts``: a JSON-Schema subset checker and the corrected facts it reads;
- ``envelope``, ``requests``: is this request one PayerMax would take (``PARAMS_INVALID`` naming the
  field otherwise);
- ``answers``: does every answer and notification match PayerMax's response and callback schemas;
- ``flows``: one state machine per API family, behind ``flows.Gateway``;
- ``limits``: the per-interface concurrency limit (``TOO_MANY_REQUEST``).
"""

from __future__ import annotations

from .facts import Facts
from .wire import Answer, Refusal

__all__ = ["Answer", "Facts", "Refusal"]
