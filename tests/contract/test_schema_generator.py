"""The generated code is what the generator writes from today's schema (CI fails on drift), and the
naming rule is one deterministic function."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
generate = importlib.import_module("generate")
gen_naming = importlib.import_module("gen_naming")
gen_checks = importlib.import_module("gen_checks")


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


#: the edges of [A-Za-z0-9_] and [0-9]: non-ASCII letters and digits that isalnum()/isdigit() alone
#: would take, a trailing newline that "$" alone would let through, and the empty string
TRICKY = [
    "",
    "_",
    "__",
    "a",
    "Z",
    "0",
    "9",
    "12",
    "123",
    "1234",
    "12345",
    "A_1",
    "a-b",
    "a b",
    "a\n",
    "\n",
    "ß",
    "é1",
    "١٢",
    "²3",
    "Ⅻ",
    "\uff21\uff22",
    "12\n",
    "1.5",
    "+12",
    "A" * 65,
    "a\x00",
    "\U0001d7d8\U0001d7d9",
]


@pytest.mark.parametrize("pattern", sorted(gen_checks.PLAIN_PATTERNS))
def test_a_pattern_tested_without_the_regex_engine_accepts_exactly_what_it_would(pattern: str) -> None:
    test = eval("lambda s: " + gen_checks.PLAIN_PATTERNS[pattern].format(v="s"))
    printable = [chr(c) for c in range(0x20, 0x7F)]
    for text in TRICKY + printable + [a + b for a in printable for b in ("", "0", "_", "a")]:
        assert bool(test(text)) == (re.fullmatch(pattern, text) is not None), (pattern, text)


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


# ---------------------------------------------------------------- the typed methods (gen_methods.py)

gen_methods = importlib.import_module("gen_methods")
gen_tables = importlib.import_module("gen_tables")
rows = importlib.import_module("gen_method_rows")


def test_every_api_name_has_a_typed_method_that_sends_it() -> None:
    import inspect

    import payermax_async.resources as resources
    from payermax_async import PayerMaxClient

    assert set(gen_tables.API) == set(rows.METHODS) | rows.HAND_WRITTEN
    for api, row in rows.METHODS.items():
        if row.module == rows.FLAT[0]:
            method = getattr(PayerMaxClient, row.name)
        else:
            method = getattr(getattr(resources, rows.RESOURCES[row.module][0]), row.name)
        assert f'"{api}"' in inspect.getsource(method), (api, row.name)


def test_a_row_that_leaves_out_a_request_field_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    row = rows.METHODS["removePaymentToken"]
    short = row._replace(params="*, user_id, payment_token_id")
    monkeypatch.setattr(gen_methods, "METHODS", {**rows.METHODS, "removePaymentToken": short})
    with pytest.raises(SystemExit, match=r"removePaymentToken.*remove_reason"):
        gen_methods.render(generate.build())


def test_an_api_name_without_a_method_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fewer = {k: v for k, v in rows.METHODS.items() if k != "caseSearch"}
    monkeypatch.setattr(gen_methods, "METHODS", fewer)
    with pytest.raises(SystemExit, match="caseSearch"):
        gen_methods.render(generate.build())


def test_parameters_mirror_the_request_struct(rendered: dict[Path, str]) -> None:
    # A field the schema requires is a required parameter; the business id a method makes is not.
    links = rendered[ROOT / "payermax_async" / "resources" / "links.py"]
    assert "        notify_url: str,\n" in links and "merchant_link_id: str | None = None" in links
    assert "merchant_link_id=business_id(merchant_link_id)" in links
    flat = rendered[ROOT / "payermax_async" / "operations" / "flat.py"]
    assert 'trade=PayoutTrade(amount=as_amount(amount, "amount"), currency=currency)' in flat
    assert "integrate: Integrate | str = Integrate.HOSTED_CHECKOUT," in flat
