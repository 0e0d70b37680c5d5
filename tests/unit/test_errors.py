"""The error tree: one root, drawn in errors.py's docstring, and every class there."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from payermax_async import errors
from payermax_async.bulk.journal import Journal
from payermax_async.errors import JournalError, PayerMaxError

CLASSES = [getattr(errors, name) for name in errors.__all__]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_is_a_payermax_error_drawn_in_the_tree(cls: type[Exception]) -> None:
    assert issubclass(cls, PayerMaxError)
    assert f" {cls.__name__}" in (errors.__doc__ or "")


def test_the_tree_draws_no_class_that_is_not_there() -> None:
    drawn = set(re.findall(r"[├└]── (\w+)", errors.__doc__ or ""))
    assert drawn == set(errors.__all__) - {"PayerMaxError"}


def test_a_journal_that_cannot_be_opened_raises_into_the_tree(tmp_path: Path) -> None:
    with pytest.raises(PayerMaxError) as raised:
        Journal(tmp_path)  # a directory, not a database file
    assert isinstance(raised.value, JournalError)
    again = pickle.loads(pickle.dumps(raised.value))
    assert type(again) is JournalError and str(again) == str(raised.value)
