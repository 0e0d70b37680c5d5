"""``payermax-async capture`` against the simulator: real runs, re-runs, crashes and Ctrl-C.

The end-to-end tests start the CLI as a subprocess while the simulator serves on this test's
loop, so the subprocess is a real separate client; killing it with SIGKILL is a real crash.
(The checks made before anything is sent are in test_cli_capture_inputs.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from payermax_async.bulk.journal import EntryState, Journal
from payermax_async.cli import main
from payermax_async.cli.report import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNRESOLVED
from payermax_async.testing import Fault, FaultKind, GatewaySimulator

from .clikit import captured_once, read_output, run_cli, sim_env, start_cli, wait_for_captures, write_orders

# ---------------------------------------------------------------------- a subprocess


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
    assert sorted(int(r["line"]) for r in rows) == list(range(2, 36))  # every row names its input line
    assert status[("ORD_00000", "2")] == "captured"
    assert status[("ORD-BAD", "32")] == "invalid"
    assert status[("DECLINED", "33")] == "failed"
    assert status[("ORD_00003", "5")] == "captured"  # the first occurrence is the one sent
    assert status[("ORD_00003", "34")] == "duplicate"
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
        assert j.counts()[EntryState.CAPTURED] == 300, (j.counts(), out, err)


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


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            text = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        for child in map(int, text.split()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited: only its reaper is missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_workers_die_with_a_parent_killed_by_sigkill(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    """Defect 6: kill -9 of the parent alone (as the OOM killer does) must not leave its workers
    capturing headless or hanging; a re-run then captures every order exactly once."""
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    journal = tmp_path / "run.db"
    trade_nos = write_orders(sim, source, 400)
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.02, probability=1.0))
    args = ("--input", source, "--journal", journal, "--concurrency", "8", "--processes", "2")
    proc = await start_cli(*args, env=sim_env(sim))
    try:
        await wait_for_captures(sim, 40)
        workers = _children(proc.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        for _ in range(300):  # bounded: 30 s (proc.wait() would wait on the pipes the workers hold)
            if not any(_alive(w) for w in workers):
                break
            await asyncio.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever survived, so the test leaves nothing behind
        await asyncio.wait_for(proc.wait(), 30)
    assert survivors == []
    after_death = len(sim.requests_for("capture"))
    await asyncio.sleep(0.5)
    assert len(sim.requests_for("capture")) == after_death  # nobody is capturing any more
    assert sum(e.kind == "captured" for e in sim.events) < 400  # it really died midway
    sim.clear_faults()

    code, out, err = await run_cli(*args, "-q", env=sim_env(sim))
    assert code == EXIT_OK, err + out
    assert captured_once(sim, trade_nos)
