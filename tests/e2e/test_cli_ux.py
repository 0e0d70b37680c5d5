"""What a person at a terminal, or a script reading the output, sees of the command line: the
progress bar and its plain fallback, one-line usage errors, the simulator's settings, a BOM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import io
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from payermax_async.bulk import CaptureItem, CaptureOutcome, OutcomeStatus
from payermax_async.cli import main
from payermax_async.cli.args import _loopback_host, _port, _positive_float
from payermax_async.cli.credentials import _ENV, load_client_options
from payermax_async.cli.progress import Counts, Progress, open_progress
from payermax_async.cli.report import Tally
from payermax_async.cli.simulate import _simulate
from payermax_async.testing import GatewaySimulator

from .clikit import sim_env, write_orders

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NO_RICH = "import sys; sys.modules['rich'] = None; from payermax_async.cli import main; sys.exit(main())"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def visible_lines(raw: str) -> list[str]:
    """What stays on screen line by line: escape codes removed, each line after its last \\r."""
    text = ANSI.sub("", raw).replace("\r\n", "\n")
    return [line.rsplit("\r", 1)[-1] for line in text.split("\n")]


def tally_of(done: int, total: int | None) -> Tally:
    tally = Tally(total)
    for _ in range(done):
        tally.add(CaptureOutcome(CaptureItem("O", "1", "USD"), OutcomeStatus.CAPTURED))
    return tally


# ---------------------------------------------------------------------- the progress bar


def test_a_terminal_gets_rich_bar_that_fits_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    monkeypatch.setenv("TERM", "xterm-256color")
    tally = tally_of(3, 10)
    screen = _Terminal()
    progress = open_progress(
        screen, label="capture", line=tally.progress_line, counts=tally.counts_now, enabled=True
    )
    assert type(progress) is not Progress  # the bar
    progress.note("line 7: missing amount; row skipped")
    for _ in range(4):
        tally.add(CaptureOutcome(CaptureItem("O", "1", "USD"), OutcomeStatus.CAPTURED))
        progress.tick(force=True)
    progress.end()
    lines = [line for line in visible_lines(screen.getvalue()) if line.strip()]
    assert "line 7: missing amount; row skipped" in lines
    final = lines[-1]
    assert final.startswith("capture ")
    assert "━" in final  # the bar itself
    assert "7/10" in final and "70%" in final
    assert re.search(r"(\d[\d,]*|-)/s", final)  # the rate
    assert "ETA" in final and re.search(r"\d+:\d\d:\d\d", final)  # the time left
    assert "ok 7" in final
    assert max(len(line) for line in lines) <= 72


def test_a_narrow_terminal_shortens_the_tally_instead_of_wrapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setenv("TERM", "xterm")
    tally = tally_of(2, 1000)
    screen = _Terminal()
    progress = open_progress(
        screen, label="capture", line=tally.progress_line, counts=tally.counts_now, enabled=True
    )
    progress.end()
    lines = [line for line in visible_lines(screen.getvalue()) if line.strip()]
    assert len(lines) == 1 and len(lines[0]) <= 50
    assert "2/1000" in lines[0]


@pytest.mark.parametrize("why", ["pipe", "no rich", "dumb terminal", "disabled", "logging to it"])
def test_plain_lines_when_there_is_no_terminal_or_no_rich(why: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb" if why == "dumb terminal" else "xterm")
    if why == "no rich":
        monkeypatch.setitem(sys.modules, "rich", None)  # import rich -> ImportError
        monkeypatch.setitem(sys.modules, "rich.progress", None)
    stream = io.StringIO() if why == "pipe" else _Terminal()
    tally = tally_of(1, 10)
    progress = open_progress(
        stream,
        label="capture",
        line=tally.progress_line,
        counts=tally.counts_now,
        enabled=why != "disabled",
        interval=0.0,
        bar=why != "logging to it",
    )
    assert type(progress) is Progress
    progress.tick()
    progress.tick(force=True)
    progress.note("line 3: missing currency; row skipped")
    progress.end()
    text = stream.getvalue()
    assert "\r" not in text and "\x1b" not in text
    if why == "disabled":
        assert text == "line 3: missing currency; row skipped\n"  # notes still show
    else:
        lines = text.splitlines()
        assert len(lines) == 3 and lines[-1] == "line 3: missing currency; row skipped"
        assert lines[0].startswith("capture 1/10 (10%)") and "ETA" in lines[0] and "ok 1" in lines[0]


def test_plain_lines_come_every_interval_not_every_tick() -> None:
    stream = io.StringIO()
    progress = Progress(stream, lambda: "tick", enabled=True)  # the default: every 5 seconds
    for _ in range(50):
        progress.tick()
    progress.tick(force=True)
    assert stream.getvalue() == "tick\n"


def test_an_unknown_total_draws_without_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm")
    screen = _Terminal()
    progress = open_progress(
        screen,
        label="capture",
        line=lambda: "",
        counts=lambda: Counts(5, None, "ok 5"),
        enabled=True,
    )
    progress.end()
    final = [line for line in visible_lines(screen.getvalue()) if line.strip()][-1]
    assert "capture" in final and "ok 5" in final


def _run_in_pty(argv: list[str], columns: int, env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal ``columns`` wide as its stdout and stderr."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError as exc:  # EIO: the child closed the terminal
                if exc.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:  # pragma: no cover - a hung child
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def _env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A terminal's environment: the pty's size wins over COLUMNS, colours allowed."""
    env = {k: v for k, v in (base or os.environ).items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", **extra)
    return env


def test_the_demo_on_a_real_terminal_draws_the_bar_within_its_width() -> None:
    code, screen = _run_in_pty(
        [sys.executable, "-m", "payermax_async", "demo", "--orders", "30", "--no-faults"], 64, _env()
    )
    assert code == 0, screen
    lines = visible_lines(screen)
    bar = [line for line in lines if line.startswith("capturing")]
    assert bar and "━" in bar[-1] and "30/30" in bar[-1] and "100%" in bar[-1]
    assert max(len(line) for line in bar) <= 64
    assert any("captured" in line and "30" in line for line in lines)  # the summary follows


async def test_capture_on_a_real_terminal_notes_bad_rows_above_the_bar(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    source = tmp_path / "captures.csv"
    write_orders(payermax_simulator, source, 6, extra="ORD-X,ten,USD\n")
    argv = [sys.executable, "-m", "payermax_async", "capture", "-i", str(source)]
    code, screen = await asyncio.to_thread(_run_in_pty, argv, 90, _env(sim_env(payermax_simulator)))
    assert code == 1, screen  # the bad row
    lines = visible_lines(screen)
    note = next(i for i, line in enumerate(lines) if line.startswith("line 8: amount 'ten'"))
    bar = [i for i, line in enumerate(lines) if line.startswith("capture ") and "━" in line]
    assert bar and bar[-1] > note
    final = lines[bar[-1]]
    assert "7/7" in final and "100%" in final and "ok 6  failed 1  unresolved 0" in final
    assert max(len(line) for line in lines) <= 90
    assert any(line.startswith("capture summary") for line in lines)


def test_without_rich_the_terminal_gets_plain_lines() -> None:
    code, screen = _run_in_pty(
        [sys.executable, "-c", NO_RICH, "demo", "--orders", "5", "--no-faults"], 64, _env()
    )
    assert code == 0, screen
    assert "━" not in screen and "\x1b[" not in screen
    assert "capturing 5/5  ok 5  failed 0  unknown 0  retries 0" in screen.splitlines()[0]


def test_the_cli_imports_rich_only_to_draw_a_bar() -> None:
    probe = "import sys, payermax_async.cli; print('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- usage errors


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def _usage_error(*argv: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "payermax_async", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n"), done.stderr
    assert done.stderr.startswith("payermax-async")
    return done.stdout, done.stderr.strip()


def test_a_busy_port_is_a_one_line_usage_error() -> None:
    with busy_port() as port:
        _, err = _usage_error("simulate", "--port", str(port))
    assert err == f"payermax-async simulate: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["simulate", "--notify-url", "http://example.com/notify"], "127.0.0.1 or localhost"),
        (["simulate", "--host", "0.0.0.0"], "'0.0.0.0' is not a loopback address"),
        (["simulate", "--port", "http"], "'http' is not a port number"),
        (["simulate", "--port", "70000"], "a port is 0..65535"),
        (["demo", "--orders", "0"], "must be >= 1"),
        (["capture"], "required: --input"),
        (["capture", "-i", "x.csv", "--concurrency", "many"], "'many' is not a whole number"),
        (["capture", "-i", "x.csv", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "a command is required: simulate, demo, capture"),
        (["refund"], "invalid choice: 'refund'"),
    ],
)
def test_every_usage_error_is_one_line_and_exit_2(argv: list[str], says: str) -> None:
    _, err = _usage_error(*argv)
    assert says in err


def test_capture_config_and_input_errors_are_one_line_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYERMAX_")}
    _, err = _usage_error("capture", "-i", str(tmp_path / "none.csv"), env=env)
    assert "missing credentials: PAYERMAX_APP_ID" in err


def test_the_in_process_parser_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "--host", "192.0.2.1"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a loopback address" in err


async def test_simulate_in_process_refuses_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with busy_port() as port:
        assert await _simulate("127.0.0.1", port, None, quiet=True) == 2
    assert capsys.readouterr().err == (
        f"payermax-async simulate: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


# ---------------------------------------------------------------------- simulate's settings


async def test_simulate_prints_the_names_capture_and_the_examples_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = asyncio.Event()
    task = asyncio.ensure_future(_simulate("127.0.0.1", 0, None, quiet=True, stop=stop))
    out = ""
    for _ in range(500):
        out += capsys.readouterr().out
        if out.count("\n") >= 5:
            break
        await asyncio.sleep(0.01)
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    settings = dict(line.split("=", 1) for line in out.splitlines())
    assert list(settings) == [
        "PAYERMAX_BASE_URL",
        "PAYERMAX_APP_ID",
        "PAYERMAX_MERCHANT_NO",
        "PAYERMAX_PRIVATE_KEY",
        "PAYERMAX_PUBLIC_KEY",
    ]
    assert set(settings) <= {names[0] for names in _ENV.values()}  # each the capture command's first name
    examples = (Path(__file__).parents[2] / "examples" / "settings.py").read_text("utf-8")
    assert all(name in examples for name in settings)
    options = load_client_options(None, settings)
    assert options["base_url"] == settings["PAYERMAX_BASE_URL"]
    assert options["private_key"] == settings["PAYERMAX_PRIVATE_KEY"]


# ---------------------------------------------------------------------- input and summary


async def test_a_byte_order_mark_on_stdin_is_handled(
    payermax_simulator: GatewaySimulator, tmp_path: Path
) -> None:
    sim = payermax_simulator
    source = tmp_path / "captures.csv"
    write_orders(sim, source, 4)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payermax_async",
        "capture",
        "-i",
        "-",
        "-o",
        "-",
        env=sim_env(sim),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(b"\xef\xbb\xbf" + source.read_bytes()), 120)
    assert proc.returncode == 0, err.decode()
    rows = out.decode().splitlines()
    assert rows[0].startswith("out_trade_no,")
    assert sorted(row.split(",")[-1] for row in rows[1:]) == ["2", "3", "4", "5"]  # input line numbers


async def test_a_byte_order_mark_in_a_text_stdin_is_handled(
    payermax_simulator: GatewaySimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in sim_env(payermax_simulator).items():
        if name.startswith("PAYERMAX_"):
            monkeypatch.setenv(name, value)
    source = tmp_path / "captures.csv"
    write_orders(payermax_simulator, source, 2)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\ufeff" + source.read_text(), newline=""))
    code = await asyncio.to_thread(main, ["capture", "-i", "-", "--sign-inline", "-q"])
    assert code == 0, capsys.readouterr().err


def _unresolved_tally() -> Tally:
    tally = Tally(total=1)
    tally.add(CaptureOutcome(CaptureItem("O-1", "1", "USD"), OutcomeStatus.UNKNOWN))
    return tally


def test_the_rerun_hint_names_the_journal_only_when_there_is_one() -> None:
    with_journal = _unresolved_tally().summary({}, interrupted=False)
    assert "run the same command again with the same --journal" in with_journal
    without = _unresolved_tally().summary(None, interrupted=False)
    assert "same --journal" not in without
    assert "no --journal: look up the unresolved orders before sending them again" in without
    interrupted = _unresolved_tally().summary(None, interrupted=True)
    assert "same --journal" not in interrupted
    settled = tally_of(1, 1).summary(None, interrupted=False)
    assert "--journal" not in settled


@pytest.mark.parametrize(
    ("parse", "text", "error"),
    [
        (_positive_float, "fast", "'fast' is not a number"),
        (_positive_float, "0", "must be > 0"),
        (_port, "http", "'http' is not a port number"),
        (_port, "-1", "a port is 0..65535"),
        (_loopback_host, "0.0.0.0", "not a loopback address"),
        (_loopback_host, "example.com", "not a loopback address"),
    ],
)
def test_argument_types_refuse_with_a_reason(parse: Callable[[str], object], text: str, error: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=error):
        parse(text)


def test_argument_types_accept() -> None:
    assert _positive_float("2.5") == 2.5
    assert _port("0") == 0 and _port("65535") == 65535
    assert [_loopback_host(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost")] == [
        "127.0.0.1",
        "127.1.2.3",
        "::1",
        "localhost",
    ]
