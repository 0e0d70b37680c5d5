"""PayerMax's flows, one module per API family, behind one ``Gateway`` (see ``gateway``)."""

from __future__ import annotations

from .books import Books, Happening, Notice
from .gateway import AnswerShapeError, Gateway

__all__ = ["AnswerShapeError", "Books", "Gateway", "Happening", "Notice"]
