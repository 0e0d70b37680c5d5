"""A key that does not load is a ConfigurationError that never shows the key: not in its message,
not in its repr, and not anywhere down its ``__cause__`` / ``__context__`` chain, which error
trackers walk and print."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from payermax_async import ConfigurationError, PayerMaxClient
from payermax_async.signing import RsaSigner, RsaVerifier, load_private_key, load_public_key

from ..support import Keys


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo += [link.__cause__, link.__context__]


def fragments(key: str) -> list[str]:
    """16-character pieces of the key's base64 body: any of them in a message is a leak."""
    body = "".join(line for line in key.splitlines() if not line.startswith("-----"))
    body = "".join(body.split())
    return [body[i : i + 16] for i in range(0, len(body) - 16, 16)]


def mangled(key: str) -> dict[str, Any]:
    middle = len(key) // 2
    pem = "-----BEGIN PRIVATE KEY-----\n" + key + "\n-----END PRIVATE KEY-----\n"
    return {
        "non-ascii letter": key[:middle] + "\u00e9" + key[middle:],
        "cyrillic lookalike": key[:middle] + "\u0410" + key[middle + 1 :],
        "no-break space": key[:middle] + "\u00a0" + key[middle:],
        "non-ascii pem": pem.replace("\n", "\n\u2028", 2),
        "non-ascii bytes": (key[:middle] + "\u00e9" + key[middle:]).encode(),
        "truncated": key[:-7],
        "header char off": key[:6] + ("A" if key[6] != "A" else "B") + key[7:],
        "pem garbage": pem[: len(pem) // 2] + "%%%" + pem[len(pem) // 2 :],
        "not text": [ord(c) for c in key[:64]],
        "an int": 1234567,
    }


def assert_secret(exc: BaseException, key: str) -> None:
    assert isinstance(exc, ConfigurationError)
    pieces = fragments(key)
    for link in chain(exc):
        shown = f"{link}\n{link!r}\n{link.args!r}"
        leaked = [p for p in pieces if p in shown]
        assert not leaked, f"{type(link).__name__} shows key material: {leaked[:2]}"
    assert exc.__context__ is None and exc.__cause__ is None


CASES = sorted(mangled("A" * 64))


@pytest.mark.parametrize("case", CASES)
def test_a_bad_private_key_never_shows_in_the_error(keys: Keys, case: str) -> None:
    bad = mangled(keys.merchant_private)[case]
    for load in (load_private_key, RsaSigner):
        with pytest.raises(ConfigurationError) as info:
            load(bad)
        assert_secret(info.value, keys.merchant_private)


@pytest.mark.parametrize("case", CASES)
def test_a_bad_public_key_never_shows_in_the_error(keys: Keys, case: str) -> None:
    bad = mangled(keys.payermax_public)[case]
    for load in (load_public_key, RsaVerifier):
        with pytest.raises(ConfigurationError) as info:
            load(bad)
        assert_secret(info.value, keys.payermax_public)


@pytest.mark.parametrize("case", ["non-ascii letter", "truncated", "non-ascii pem"])
def test_the_client_says_configuration_error(
    make_client: Callable[..., PayerMaxClient], keys: Keys, case: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_client(private_key=mangled(keys.merchant_private)[case])
    assert_secret(info.value, keys.merchant_private)


def test_a_good_key_still_loads(keys: Keys) -> None:
    assert load_private_key(keys.merchant_private).bits == 2048
    assert load_public_key(keys.payermax_public.encode()).bits == 2048
    der = base64.b64decode(keys.payermax_public)
    assert load_public_key(base64.b64encode(der)).der == der
