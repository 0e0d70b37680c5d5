"""The command line: ``demo`` and ``simulate`` as a user runs them (subprocesses), and in-process
for the parts a subprocess cannot observe."""

from __future__ import annotations

import asyncio
import io
import math
import os
import re
import runpy
import signal
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

import payermax_async
from payermax_async import CaptureStatus, PayerMaxClient, __version__
from payermax_async.cli import build_parser, main
from payermax_async.cli.demo import DemoReport, _demo, _demo_run
from payermax_async.cli.progress import Progress, open_progress
from payermax_async.cli.simulate import _simulate, _until_signalled
from payermax_async.testing import Fault, FaultKind, GatewaySimulator

from ..support import auth_order

ROW = re.compile(r"^\s+(?P<name>[a-z0-9 ]+?)\s{2,}(?P<value>\S.*)$")


def summary(text: str) -> dict[str, str]:
    return {m["name"]: m["value"].strip() for m in map(ROW.match, text.splitlines()) if m}


async def run(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payermax_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


# ---------------------------------------------------------------------- demo


async def test_demo_subprocess_captures_everything_once() -> None:
    code, out, err = await run("demo", "--orders", "40", "--concurrency", "8")
    assert code == 0, err
    rows = summary(out)
    assert rows["orders authorized"] == "40"
    assert rows["captured"] == "40"
    assert rows["failed"] == rows["outcome unknown"] == rows["captured twice"] == "0"
    assert re.fullmatch(r"\d+\.\d ms", rows["latency p50"])
    assert re.fullmatch(r"\d+\.\d ms", rows["latency p95"])
    assert int(rows["captures per second"]) > 0
    assert rows["signer backend"] in ("cryptography", "pycryptodome")
    assert "injected faults:" in out and "drop_after_process" in out
    assert "retried by the client:" in out
    assert "capturing 40/40" in err  # the progress line
    # one order as it crossed the wire, in PayerMax's names, the card masked
    assert "one order on the wire, in PayerMax's field names:" in out
    assert "paymentDetail.cardInfo.cardIdentifierNo=411111******1111" in out
    assert re.search(r"-> APPLY_SUCCESS status=SUCCESS captureNo=\S+ isFinal=true", out)
    assert "4111111111111111" not in out


async def test_demo_without_faults_says_nothing_about_them() -> None:
    code, out, _ = await run("demo", "--orders", "5", "--no-faults")
    assert code == 0
    assert summary(out)["captured"] == "5"
    assert "injected faults" not in out


async def test_demo_in_process_counts_faults_and_retries() -> None:
    progress = io.StringIO()
    report = await _demo(30, 6, faults=True, seed=3, progress=progress)
    assert report.ok
    assert (report.authorized, report.captured, report.failed, report.unknown) == (30, 30, 0, 0)
    assert report.double_captures == 0
    assert report.faults["drop_after_process"] == 2
    assert report.faults["delay"] == 1
    assert sum(report.retries.values()) >= sum(report.faults.values())
    assert len(report.latencies) == 30
    assert progress.getvalue().startswith("capturing 30/30")
    assert any("captureMode=MANUAL" in line for line in report.wire)


def test_report_rendering_and_verdict() -> None:
    report = DemoReport(
        orders=3, authorized=3, captured=2, unknown=1, latencies=[0.010, 0.020, 0.030], wall=0.5
    )
    report.errors["outcome unknown (timeout)"] += 1
    assert not report.ok
    assert report.percentile(0.5) == 0.020
    assert report.percentile(0.95) == 0.030
    rows = summary(report.render())
    assert rows["captures per second"] == "4"
    assert rows["outcome unknown"] == "1"
    assert "error: 1 x outcome unknown (timeout)" in report.render()
    assert DemoReport(orders=0).percentile(0.5) == 0.0


# ---------------------------------------------------------------------- simulate


async def test_simulate_subprocess_serves_a_real_capture_then_stops_on_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payermax_async",
        "simulate",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip() for _ in range(5)]
        settings = dict(line.split("=", 1) for line in lines)
        assert set(settings) == {
            "PAYERMAX_BASE_URL",
            "PAYERMAX_APP_ID",
            "PAYERMAX_MERCHANT_NO",
            "PAYERMAX_PRIVATE_KEY",
            "PAYERMAX_PUBLIC_KEY",
        }
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", settings["PAYERMAX_BASE_URL"])
        async with PayerMaxClient(
            app_id=settings["PAYERMAX_APP_ID"],
            merchant_no=settings["PAYERMAX_MERCHANT_NO"],
            private_key=settings["PAYERMAX_PRIVATE_KEY"],
            payermax_public_key=settings["PAYERMAX_PUBLIC_KEY"],
            base_url=settings["PAYERMAX_BASE_URL"],
        ) as client:
            order = auth_order("CLI_1", totalAmount=Decimal("12.00"))
            authorized = await client.call("orderAndPay", order)
            assert authorized["status"] == "SUCCESS"
            result = await client.capture("CLI_1", Decimal("12.00"), "USD")
            assert result.status is CaptureStatus.SUCCESS
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    log = err.decode()
    assert "capture -> APPLY_SUCCESS (HTTP 200)" in log
    assert "simulator stopped" in log


async def test_simulate_in_process_logs_each_request(capsys: pytest.CaptureFixture[str]) -> None:
    stop = asyncio.Event()
    task = asyncio.ensure_future(_simulate("127.0.0.1", 0, None, quiet=False, stop=stop))
    out = ""
    for _ in range(500):
        out += capsys.readouterr().out
        if "PAYERMAX_PUBLIC_KEY=" in out:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the simulator did not print its settings")
    settings = dict(line.split("=", 1) for line in out.splitlines())
    async with aiohttp.ClientSession() as session:
        url = settings["PAYERMAX_BASE_URL"] + "/aggregate-pay/api/gateway/orderQuery"
        async with session.post(url, data=b"{}") as resp:
            assert resp.status == 200
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    err = capsys.readouterr().err
    assert "orderQuery -> PARAMS_INVALID (HTTP 200)" in err
    assert "simulator stopped" in err


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
async def test_until_signalled_returns_on_the_signal() -> None:
    waiter = asyncio.ensure_future(_until_signalled((signal.SIGUSR1,)))
    await asyncio.sleep(0)  # the handler is installed before the first await
    assert signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None)  # else the kill below is fatal
    os.kill(os.getpid(), signal.SIGUSR1)
    await asyncio.wait_for(waiter, 5)
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # handler removed again


@pytest.mark.parametrize(
    ("amount", "faults", "expect"),
    [
        (
            Decimal("25.51"),
            [],
            {"failed": 3, "errors": {"ORDER_STATUS_INVALID": 3}},
        ),  # declined authorizations
        (Decimal("25.53"), [], {"failed": 3, "errors": {"capture FAILED": 3}}),  # scripted capture failure
        (
            Decimal("25.00"),
            [Fault(FaultKind.DROP_AFTER_PROCESS, api_name="capture", times=1)],
            {"unknown": 1, "captured": 2},
        ),
        (
            Decimal("25.00"),
            [Fault(FaultKind.UNSIGNED, api_name="capture", times=1)],
            {"unknown": 1, "captured": 2},  # an unsigned answer is no answer, never a failure
        ),
    ],
)
async def test_demo_counts_every_kind_of_outcome(
    payermax_simulator: GatewaySimulator, amount: Decimal, faults: list[Fault], expect: dict[str, object]
) -> None:
    sim = payermax_simulator
    for fault in faults:
        sim.inject(fault)
    report = DemoReport(orders=3)
    client = sim.client(max_retries=0)
    trade_nos = [f"D_{i}" for i in range(3)]
    await _demo_run(sim, client, trade_nos, amount, 1, report, False, 0, None)
    assert report.failed == expect.get("failed", 0)
    assert report.unknown == expect.get("unknown", 0)
    assert report.captured == expect.get("captured", 0)
    for error, n in dict(expect.get("errors", {})).items():  # type: ignore[call-overload]
        assert report.errors[error] == n
    assert not report.ok
    assert "error:" in report.render()


def test_demo_progress_off_a_terminal_is_the_final_line_only() -> None:
    report = DemoReport(orders=4, captured=1)
    pipe = io.StringIO()
    printer = open_progress(
        pipe,
        label="capturing",
        line=report.progress_line,
        counts=report.progress_counts,
        enabled=True,
        interval=math.inf,  # the demo's choice
    )
    assert type(printer) is Progress
    printer.tick()
    printer.tick(force=True)
    printer.end()
    assert pipe.getvalue() == "capturing 1/4  ok 1  failed 0  unknown 0  retries 0\n"


def test_python_dash_m_entry_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["payermax_async", "--version"])
    with pytest.raises(SystemExit) as exited:
        # run_path, not run_module: pytest's assertion rewriter owns this package's imports
        runpy.run_path(str(Path(payermax_async.__file__).with_name("__main__.py")), run_name="__main__")
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out


# ---------------------------------------------------------------------- the parser


def test_version_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 2
    assert "simulate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["demo", "--orders", "0"], ["demo", "--concurrency", "x"], ["simulate", "--port", "70000"], ["nope"]],
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


def test_subcommands_are_registered_with_their_runner() -> None:
    parser = build_parser()
    args = parser.parse_args(["simulate", "--port", "0", "--host", "127.0.0.1"])
    assert (args.port, args.host, args.quiet) == (0, "127.0.0.1", False)
    assert args.run.__name__ == "run_simulate"
    args = parser.parse_args(["demo"])
    assert (args.orders, args.concurrency, args.no_faults) == (200, 32, False)
    assert args.run.__name__ == "run_demo"


def test_main_runs_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--orders", "3", "--no-faults"]) == 0
    assert summary(capsys.readouterr().out)["captured"] == "3"


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("payermax_async.cli.demo.run_demo", interrupted)
    assert main(["demo"]) == 130


def test_the_production_cli_does_not_load_the_test_kit() -> None:
    import subprocess

    probe = (
        "import sys, payermax_async.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('payermax_async.testing')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_wire_sample_is_empty_without_a_clean_capture() -> None:
    from payermax_async.cli.wire_sample import wire_sample
    from payermax_async.testing import RequestRecord

    answered = RequestRecord("capture", b"{}", {}, 0.0, data={"outTradeNo": "A_1"}, code="APPLY_SUCCESS")
    answered.response_body = b"not json"
    assert wire_sample([]) == []
    assert wire_sample([RequestRecord("capture", b"{}", {}, 0.0, code="ORDER_NOT_EXIST")]) == []
    lines = wire_sample([answered])  # no orderAndPay seen, an answer that is not JSON
    assert lines[2:] == ["    capture      outTradeNo=A_1", "                 -> APPLY_SUCCESS"]
