"""``payermax-async capture``: CSV checks, credentials, exit codes, and real runs against the simulator.

The end-to-end tests start the CLI as a subprocess while the simulator serves on this test's
loop, so the subprocess is a real separate client; killing it with SIGKILL is a real crash.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from payermax_async.bulk.journal import EntryState, Journal
from payermax_async.cli import main
from payermax_async.cli.credentials import load_client_options
from payermax_async.cli.csv_io import CsvFormatError, RowError, read_captures
from payermax_async.cli.report import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNRESOLVED,
    EXIT_USAGE,
    Progress,
    Tally,
)
from payermax_async.errors import ApiError, ConfigurationError
from payermax_async.testing import Fault, FaultKind, GatewaySimulator, RequestRecord

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


# ---------------------------------------------------------------------- against the simulator


def sim_env(sim: GatewaySimulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYERMAX_")}
    env.update(
        PAYERMAX_APP_ID=sim.app_id,
        PAYERMAX_MERCHANT_NO=sim.merchant_no,
        PAYERMAX_PRIVATE_KEY=sim.merchant_private_key,
        PAYERMAX_PUBLIC_KEY=sim.payermax_public_key,
        PAYERMAX_BASE_URL=sim.base_url,
    )
    return env


def write_orders(sim: GatewaySimulator, path: Path, n: int, extra: str = "") -> list[str]:
    trade_nos = [f"ORD_{i:05d}" for i in range(n)]
    with path.open("w", newline="") as f:
        f.write("out_trade_no,amount,currency\n")
        for otn in trade_nos:
            sim.authorize(otn, "10.00", "USD")
            f.write(f"{otn},10.00,USD\n")
        f.write(extra)
    return trade_nos


async def start_cli(*args: str | Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payermax_async",
        "capture",
        *map(str, args),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group: a kill reaches its workers too
    )


async def run_cli(*args: str | Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await start_cli(*args, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def read_output(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="") as f:
        yield from csv.DictReader(f)


async def wait_for_captures(sim: GatewaySimulator, n: int) -> None:
    """Until the gateway has answered ``n`` captures it acted on."""
    reached = asyncio.Event()
    seen = 0

    def count(record: RequestRecord) -> None:
        nonlocal seen
        seen += record.api_name == "capture" and record.processed
        if seen >= n:
            reached.set()

    sim.on_request = count
    try:
        await asyncio.wait_for(reached.wait(), 60)
    finally:
        sim.on_request = None


def captured_once(sim: GatewaySimulator, trade_nos: list[str]) -> bool:
    return all([c.status for c in sim.captures_of(t)] == ["SUCCESS"] for t in trade_nos)


async def test_a_run_reports_every_row_and_skips_bad_ones(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    sim.authorize("DECLINED", "10.53", "USD")
    trade_nos = write_orders(
        sim,
        source,
        30,
        extra="ORD-BAD,1O.00,USD\nDECLINED,10.53,USD\nORD_00003,10.00,USD\n,5.00,USD\n",
    )
    args: list[str | Path] = [
        "--input",
        source,
        "--journal",
        tmp_path / "run.db",
        "--output",
        tmp_path / "out.csv",
    ]
    code, out, err = await run_cli(*args, "--concurrency", "8", "--rate-limit", "1000", env=sim_env(sim))
    assert code == EXIT_FAILED, err
    assert captured_once(sim, trade_nos)
    assert "line 32: amount '1O.00' is not a decimal number; row skipped" in err
    assert "line 35: missing out_trade_no; row skipped" in err
    assert {r.out_trade_no for r in sim.requests_for("capture")} == {*trade_nos, "DECLINED"}
    rows = list(read_output(tmp_path / "out.csv"))
    assert len(rows) == 34  # one per data row
    status = {(r["out_trade_no"], r["line"]): r["status"] for r in rows}
    assert status[("ORD-BAD", "32")] == "invalid"
    assert status[("DECLINED", "")] == "failed"
    assert sorted(r["status"] for r in rows if r["out_trade_no"] == "ORD_00003") == ["captured", "duplicate"]
    declined = next(r for r in rows if r["out_trade_no"] == "DECLINED")
    assert (declined["capture_status"], declined["error_code"]) == ("FAILED", "CAPTURE_FAILED")
    assert "capture summary" in out and "captured" in out


async def test_a_clean_run_exits_0_and_a_rerun_sends_nothing(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    trade_nos = write_orders(sim, source, 25)
    journal = tmp_path / "run.db"
    code, _, err = await run_cli("--input", source, "--journal", journal, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err
    sent = len(sim.requests_for("capture"))
    code, out, err = await run_cli("--input", source, "--journal", journal, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err
    assert len(sim.requests_for("capture")) == sent == 25
    assert "of which by an earlier run" in out
    assert captured_once(sim, trade_nos)


async def test_credentials_can_come_from_a_config_file(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    trade_nos = write_orders(sim, source, 3)
    config = tmp_path / "payermax.toml"
    config.write_text(
        f'app_id = "{sim.app_id}"\nmerchant_no = "{sim.merchant_no}"\n'
        f'private_key = "{sim.merchant_private_key}"\npayermax_public_key = "{sim.payermax_public_key}"\n'
        f'base_url = "{sim.base_url}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYERMAX_")}
    code, _, err = await run_cli("--input", source, "--config", config, "-q", env=env)
    assert code == EXIT_OK, err
    assert captured_once(sim, trade_nos)


async def test_lost_answers_exit_3_and_a_rerun_settles_them(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    journal = tmp_path / "run.db"
    trade_nos = write_orders(sim, source, 10)
    sim.inject(Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", probability=1.0))
    code, out, err = await run_cli(
        "--input", source, "--journal", journal, "--max-retries", "0", "-q", env=sim_env(sim)
    )
    assert code == EXIT_UNRESOLVED, err
    assert "outcome unknown" in out and "run the same command again" in out
    assert captured_once(sim, trade_nos)  # the gateway did capture; only the answers were lost
    sim.clear_faults()
    code, _, err = await run_cli("--input", source, "--journal", journal, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err
    assert captured_once(sim, trade_nos)  # replayed under the same request_ids: no second capture


@pytest.mark.parametrize("processes", [1, 2])
async def test_a_run_killed_midway_resumes_without_capturing_twice(
    payermax_simulator: GatewaySimulator, tmp_path: Path, processes: int
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    journal = tmp_path / "run.db"
    trade_nos = write_orders(sim, source, 300)
    # Slow answers, so the kill lands with captures done, in flight (processed, unanswered), and unsent.
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.02, probability=1.0))
    args = ("--input", source, "--journal", journal, "--concurrency", "8", "--processes", str(processes))
    proc = await start_cli(*args, env=sim_env(sim))
    try:
        await wait_for_captures(sim, 60)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
    captured_at_kill = sum(e.kind == "captured" for e in sim.events)
    assert captured_at_kill < 300  # it really died midway
    with Journal(journal) as j:
        counts = j.counts()
    assert counts[EntryState.SENDING] > 0  # reserved or in flight when it died
    sim.clear_faults()

    code, out, err = await run_cli(*args, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err + out
    assert captured_once(sim, trade_nos)  # every order exactly once, across the crash
    with Journal(journal) as j:
        assert j.counts()[EntryState.CAPTURED] == 300


async def test_ctrl_c_stops_cleanly_and_the_run_resumes(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    journal = tmp_path / "run.db"
    trade_nos = write_orders(sim, source, 200)
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.02, probability=1.0))
    proc = await start_cli("--input", source, "--journal", journal, "-c", "4", env=sim_env(sim))
    await wait_for_captures(sim, 20)
    proc.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == EXIT_INTERRUPTED
    assert "(interrupted)" in out.decode()
    captured = {e.out_trade_no for e in sim.events if e.kind == "captured"}
    with Journal(journal) as j:
        # Every answer received before the stop was written down on the way out.
        recorded = {e.out_trade_no for e in j.entries(EntryState.CAPTURED)}
        sending = {e.out_trade_no for e in j.entries(EntryState.SENDING)}
    assert recorded <= captured and captured <= recorded | sending
    sim.clear_faults()
    code, _, err = await run_cli("--input", source, "--journal", journal, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err
    assert captured_once(sim, trade_nos)


# ---------------------------------------------------------------------- in this process


@pytest.fixture
def sim_environ(payermax_simulator: GatewaySimulator, monkeypatch: pytest.MonkeyPatch) -> GatewaySimulator:
    for name, value in sim_env(payermax_simulator).items():
        if name.startswith("PAYERMAX_"):
            monkeypatch.setenv(name, value)
    return payermax_simulator


async def test_in_process_run_writes_progress_output_and_summary(
    sim_environ: GatewaySimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_environ
    source = tmp_path / "captures.csv"
    sim.authorize("PENDING_1", "10.54", "USD")
    trade_nos = write_orders(sim, source, 12, extra="PENDING_1,10.54,USD\nBAD,1,XYZ\n")
    out = tmp_path / "out.csv"
    code = await asyncio.to_thread(
        main, ["capture", "-i", str(source), "-j", str(tmp_path / "run.db"), "-o", str(out), "-c", "4"]
    )
    captured = capsys.readouterr()
    assert code == EXIT_UNRESOLVED  # the PENDING capture is not settled yet
    assert captured_once(sim, trade_nos)
    assert "capture 14/14 (100%)" in captured.err  # the final progress line (not a terminal: no \r)
    assert "line 15: currency must be an ISO 4217 code" in captured.err
    assert "pending at the gateway" in captured.out and "journal: 12 captured, 1 pending" in captured.out
    rows = list(read_output(out))
    assert Counter(r["status"] for r in rows) == {"captured": 12, "pending": 1, "invalid": 1}

    sim.settle_capture("PENDING_1")
    code = await asyncio.to_thread(main, ["capture", "-i", str(source), "-j", str(tmp_path / "run.db"), "-q"])
    assert code == EXIT_FAILED  # settled now; only the bad row remains
    assert capsys.readouterr().err.count("row skipped") == 1


async def test_in_process_run_over_worker_processes_with_results_on_stdout(
    sim_environ: GatewaySimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_environ
    source = tmp_path / "captures.csv"
    trade_nos = write_orders(sim, source, 40)
    args = ["capture", "-i", str(source), "-j", str(tmp_path / "run.db"), "-o", "-", "-p", "2", "-q"]
    code = await asyncio.to_thread(main, args)
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert captured_once(sim, trade_nos)
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert sorted(r["out_trade_no"] for r in rows) == trade_nos
    assert "capture summary" in captured.err  # the summary moves out of the way of the results


async def test_input_from_stdin(
    sim_environ: GatewaySimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = sim_environ
    source = tmp_path / "captures.csv"
    trade_nos = write_orders(sim, source, 5)
    monkeypatch.setattr(sys, "stdin", io.StringIO(source.read_text()))
    code = await asyncio.to_thread(main, ["capture", "-i", "-", "--sign-inline"])
    assert code == EXIT_OK, capsys.readouterr().err
    assert captured_once(sim, trade_nos)


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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_prints_lines_elsewhere() -> None:
    tally = Tally(total=10)
    tally.add(outcome(OutcomeStatus.CAPTURED))
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(stream, tally.progress_line, enabled=True, interval=0.0)
        progress.tick()
        progress.tick()
        progress.end()
    assert terminal.getvalue().count("\r\x1b[K") == 2 and terminal.getvalue().endswith("\n")
    assert pipe.getvalue().count("\n") == 2 and "\r" not in pipe.getvalue()
    assert "1/10 (10%)" in pipe.getvalue() and "ok 1" in pipe.getvalue()
    quiet = io.StringIO()
    Progress(quiet, tally.progress_line, enabled=False).tick(force=True)
    assert quiet.getvalue() == ""
