"""``payermax-async capture`` before anything is sent: CSV checks, credentials, usage errors and
exit codes. (Runs against the simulator are in test_cli_capture.py.)"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from payermax_async.cli import main
from payermax_async.cli.credentials import load_client_options
from payermax_async.cli.csv_io import CsvFormatError, RowError, read_captures
from payermax_async.cli.report import EXIT_FAILED, EXIT_OK, EXIT_UNRESOLVED, EXIT_USAGE, Tally
from payermax_async.errors import ApiError, ConfigurationError

from ..support import Keys

# ---------------------------------------------------------------------- the CSV


def parse(text: str) -> list[CaptureItem | RowError]:
    return list(read_captures(io.StringIO(text, newline="")))


def test_good_rows_become_items_and_extra_columns_are_ignored() -> None:
    rows = parse(
        "outTradeNo,Amount,currency,request_id,note\n"
        "ORD-1,10.00,USD,,first\n"
        "ORD-2, 10.5 ,USD,my-req-2,spaces are trimmed\n"
        "\n"
        "ORD-3,1000,JPY,,\n"
    )
    assert rows == [
        CaptureItem("ORD-1", "10.00", "USD"),
        CaptureItem("ORD-2", "10.5", "USD", "my-req-2"),
        CaptureItem("ORD-3", "1000", "JPY"),
    ]


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    rows = parse(
        "out_trade_no,amount,currency\n"  # line 1
        "ORD-1,10.00,USD\n"  # 2
        "ORD-2,ten,USD\n"  # 3
        ",10.00,USD\n"  # 4
        "ORD-4,10.001,USD\n"  # 5
        "ORD-5,10.00,usd\n"  # 6
        "ORD 6,10.00,USD\n"  # 7
        "ORD-7,-3,USD\n"  # 8
        "ORD-8,10.00\n"  # 9
        'ORD-9,"10.00",USD,"a note\nover two lines"\n'  # 10-11: one field too many
        "ORD-10,10,JPY\n"  # 12
        "ORD-11,10.5,JPY\n"  # 13
    )
    good = [r for r in rows if isinstance(r, CaptureItem)]
    bad = {r.line: r for r in rows if isinstance(r, RowError)}
    assert [g.out_trade_no for g in good] == ["ORD-1", "ORD-10"]
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9, 10, 13]
    assert "not a decimal number" in bad[3].message and bad[3].out_trade_no == "ORD-2"
    assert bad[4].message == "missing out_trade_no"
    assert "decimal places" in bad[5].message
    assert "ISO 4217" in bad[6].message
    assert "out_trade_no" in bad[7].message
    assert "positive" in bad[8].message
    assert bad[9].message == "expected 3 fields, found 2"
    assert bad[10].message == "expected 3 fields, found 4"
    assert "decimal places" in bad[13].message  # JPY has none


def test_a_byte_order_mark_and_crlf_line_ends_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffout_trade_no,amount,currency\r\nORD-1,10.00,USD\r\nORD-2,x,USD\r\n".encode())
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(read_captures(f))
    assert rows[0] == CaptureItem("ORD-1", "10.00", "USD")
    assert isinstance(rows[1], RowError) and rows[1].line == 3


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("order,amount,currency\nORD-1,1.00,USD\n", "out_trade_no"),
        ("out_trade_no,currency\nORD-1,USD\n", "amount"),
    ],
)
def test_a_csv_without_the_required_columns_is_refused_whole(text: str, match: str) -> None:
    with pytest.raises(CsvFormatError, match=match):
        parse(text)


# ---------------------------------------------------------------------- credentials


FAKE_PRIVATE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-really-a-key"


def test_credentials_come_from_the_environment_and_key_files(tmp_path: Path) -> None:
    key_file = tmp_path / "merchant.pem"
    key_file.write_text("PEM TEXT")
    env = {
        "PAYERMAX_APP_ID": "app-1",
        "PAYERMAX_MERCHANT_NO": "M1",
        "PAYERMAX_PRIVATE_KEY_FILE": str(key_file),
        "PAYERMAX_PUBLIC_KEY": "PUBLIC",
    }
    options = load_client_options(None, env)
    assert options == {
        "app_id": "app-1",
        "merchant_no": "M1",
        "private_key": "PEM TEXT",
        "payermax_public_key": "PUBLIC",
        "base_url": "https://pay-gate-uat.payermax.com",
    }


def test_credentials_from_a_toml_file_with_the_environment_winning(tmp_path: Path) -> None:
    config = tmp_path / "payermax.toml"
    config.write_text(
        '[payermax]\napp_id = "from-file"\nmerchant_no = "M-FILE"\nprivate_key = "PRIV"\n'
        'public_key = "PUB"\nbase_url = "http://127.0.0.1:9"\n'
    )
    options = load_client_options(config, {"PAYERMAX_APP_ID": "from-env"})
    assert options["app_id"] == "from-env"
    assert (options["merchant_no"], options["payermax_public_key"]) == ("M-FILE", "PUB")
    assert options["base_url"] == "http://127.0.0.1:9"


def test_credentials_from_a_json_file(tmp_path: Path) -> None:
    config = tmp_path / "payermax.json"
    config.write_text(
        json.dumps({"app_id": "a", "merchant_no": "m", "private_key": "k", "payermax_public_key": "p"})
    )
    assert load_client_options(config, {})["private_key"] == "k"


def test_missing_credentials_are_named_and_no_key_is_ever_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as missing:
        load_client_options(None, {"PAYERMAX_PRIVATE_KEY": FAKE_PRIVATE})
    text = str(missing.value)
    assert "PAYERMAX_APP_ID" in text and "PAYERMAX_PUBLIC_KEY" in text
    assert "PAYERMAX_PRIVATE_KEY" not in text and FAKE_PRIVATE not in text
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text(f'private_key = "{FAKE_PRIVATE}\n')  # unterminated string
    with pytest.raises(ConfigurationError, match="not valid TOML") as broken:
        load_client_options(bad_toml, {})
    assert FAKE_PRIVATE not in str(broken.value)
    with pytest.raises(ConfigurationError, match="cannot read the private key file"):
        load_client_options(None, {"PAYERMAX_PRIVATE_KEY_FILE": str(tmp_path / "nope.pem")})


def test_usage_errors_exit_2_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("PAYERMAX_"):
            monkeypatch.delenv(name)
    good = tmp_path / "in.csv"
    good.write_text("out_trade_no,amount,currency\nORD-1,1.00,USD\n")
    assert main(["capture", "--input", str(good)]) == EXIT_USAGE
    assert "missing credentials" in capsys.readouterr().err
    monkeypatch.setenv("PAYERMAX_APP_ID", "a")
    monkeypatch.setenv("PAYERMAX_MERCHANT_NO", "m")
    monkeypatch.setenv("PAYERMAX_PRIVATE_KEY", FAKE_PRIVATE)
    monkeypatch.setenv("PAYERMAX_PUBLIC_KEY", "also-not-a-key")
    assert main(["capture", "--input", str(good)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "private_key" in err and FAKE_PRIVATE not in err


# ---------------------------------------------------------------------- exit codes


def outcome(status: OutcomeStatus) -> CaptureOutcome:
    error = None if status is OutcomeStatus.CAPTURED else ApiError("X", "x")
    return CaptureOutcome(CaptureItem("ORD-1", "1.00", "USD"), status, "rid", error=error)


@pytest.mark.parametrize(
    ("statuses", "bad_rows", "code"),
    [
        ([OutcomeStatus.CAPTURED] * 3, 0, EXIT_OK),
        ([OutcomeStatus.CAPTURED, OutcomeStatus.FAILED], 0, EXIT_FAILED),
        ([OutcomeStatus.CAPTURED], 1, EXIT_FAILED),
        ([OutcomeStatus.CAPTURED, OutcomeStatus.DUPLICATE], 0, EXIT_FAILED),
        ([OutcomeStatus.CONFLICT], 0, EXIT_FAILED),
        ([OutcomeStatus.FAILED, OutcomeStatus.UNKNOWN], 1, EXIT_UNRESOLVED),
        ([OutcomeStatus.PENDING], 0, EXIT_UNRESOLVED),
        ([OutcomeStatus.NOT_PROCESSED], 0, EXIT_UNRESOLVED),
    ],
)
def test_exit_code_follows_the_worst_outcome(statuses: list[OutcomeStatus], bad_rows: int, code: int) -> None:
    tally = Tally(total=len(statuses) + bad_rows)
    for status in statuses:
        tally.add(outcome(status))
    tally.bad_rows = bad_rows
    assert tally.exit_code() == code
    assert f"{tally.done}/{tally.total}" in tally.progress_line()


def test_bad_input_journal_or_options_exit_2_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], keys: Keys
) -> None:
    monkeypatch.setenv("PAYERMAX_APP_ID", "a")
    monkeypatch.setenv("PAYERMAX_MERCHANT_NO", "m")
    monkeypatch.setenv("PAYERMAX_PRIVATE_KEY", keys.merchant_private)
    monkeypatch.setenv("PAYERMAX_PUBLIC_KEY", keys.payermax_public)
    monkeypatch.setenv("PAYERMAX_BASE_URL", "http://127.0.0.1:9")  # nothing listens: nothing may be sent
    good = tmp_path / "in.csv"
    good.write_text("out_trade_no,amount,currency\nORD-1,1.00,USD\n")
    no_header = tmp_path / "bad.csv"
    no_header.write_text("ORD-1,1.00,USD\n")
    assert main(["capture", "-i", str(no_header)]) == EXIT_USAGE
    assert "lacks the column(s)" in capsys.readouterr().err
    assert main(["capture", "-i", str(tmp_path / "missing.csv")]) == EXIT_USAGE
    assert main(["capture", "-i", str(good), "-j", str(tmp_path)]) == EXIT_USAGE  # a directory
    assert main(["capture", "-i", str(good), "--max-retries", "-1"]) == EXIT_USAGE
    with pytest.raises(SystemExit):
        main(["capture", "-i", str(good), "--concurrency", "0"])


@pytest.mark.parametrize(
    "error",
    [MemoryError(), TypeError("bad"), __import__("sqlite3").DatabaseError("disk image is malformed")],
)
def test_the_cli_turns_an_unexpected_error_into_a_line_and_an_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: Exception
) -> None:
    """Defect 10: no raw traceback from the command line, whatever stops a command."""
    from payermax_async.cli import capture as capture_command
    from payermax_async.cli import main

    def boom(args: object) -> int:
        raise error

    monkeypatch.setattr(capture_command, "run_capture", boom)
    assert main(["capture", "--input", "-"]) == 3
    err = capsys.readouterr().err
    assert type(error).__name__ in err and "Traceback" not in err
