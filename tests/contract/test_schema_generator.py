"""The generated code is what the generator writes from today's schema (CI fails on drift), and the
naming rule is one deterministic function."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
generate = importlib.import_module("generate")
gen_naming = importlib.import_module("gen_naming")


@pytest.fixture(scope="module")
def rendered() -> dict[Path, str]:
    return generate.render_all()  # type: ignore[no-any-return]


def test_generated_files_are_current(rendered: dict[Path, str]) -> None:
    assert generate.drift(rendered) == []


def test_drift_is_seen(rendered: dict[Path, str]) -> None:
    some = next(iter(rendered))
    changed = {**rendered, some: rendered[some] + "# edited by hand\n"}
    assert generate.drift(changed) == [some]
    missing_module = ROOT / "payermax_async" / "types" / "orders.py"
    fewer = {p: t for p, t in rendered.items() if p != missing_module}
    assert missing_module in generate.drift(fewer)  # a module no longer generated is stale too


def test_every_generated_file_says_so(rendered: dict[Path, str]) -> None:
    assert len(rendered) >= 18
    for text in rendered.values():
        assert "GENERATED" in "\n".join(text.splitlines()[:6])


@pytest.mark.parametrize(
    ("wire", "python"),
    [
        ("cardIdentifierNo", "card_identifier_no"),
        ("paymentTokenID", "payment_token_id"),
        ("cardExpirationMonth", "card_expiration_month"),
        ("dynamic3DS", "dynamic_3ds"),
        ("info3DSecure", "info_3d_secure"),
        ("threeDSVersion", "three_ds_version"),
        ("supportMIT", "support_mit"),
        ("ifCVV", "if_cvv"),
        ("address1", "address1"),
        ("outTradeNo", "out_trade_no"),
        ("isFinal", "is_final"),
        ("merchant_auth_token", "merchant_auth_token"),
        ("from", "from_"),
    ],
)
def test_snake_case(wire: str, python: str) -> None:
    assert gen_naming.snake(wire) == python


def test_snake_case_refuses_what_it_cannot_split() -> None:
    with pytest.raises(ValueError, match="empty"):
        gen_naming.snake("--")
