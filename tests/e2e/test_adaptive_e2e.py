"""Adaptive concurrency with the real client against the simulator: ``capture_many(adaptive=True)``
and ``capture --adaptive``; and the core install working without the ``postgres`` extra."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from payermax_async.bulk import OutcomeStatus
from payermax_async.cli import main
from payermax_async.testing import Fault, FaultKind, GatewaySimulator


async def test_refusals_are_sent_again_under_the_same_request_id(
    payermax_simulator: GatewaySimulator,
) -> None:
    sim = payermax_simulator
    from payermax_async.bulk import CaptureItem

    items = [CaptureItem(f"ORD{i}", "3.00", "USD") for i in range(80)]
    for item in items:
        sim.authorize(item.out_trade_no, "3.00", "USD")
    sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.3, seed=2))
    async with sim.client(max_retries=0) as client:  # the client alone would give refusals up
        outcomes = [o async for o in client.capture_many(items, concurrency=16, adaptive=True)]
    assert [o.status for o in outcomes] == [OutcomeStatus.CAPTURED] * 80
    for o in outcomes:
        assert [(c.status, c.request_id) for c in sim.captures_of(o.item.out_trade_no)] == [
            ("SUCCESS", o.request_id)
        ]
    refused = [r for r in sim.requests_for("capture") if r.code == "TOO_MANY_REQUEST"]
    assert refused and all(not r.processed for r in refused)


async def test_capture_many_finds_the_simulators_concurrency_limit(
    payermax_simulator: GatewaySimulator,
) -> None:
    from payermax_async.bulk import CaptureItem

    sim = payermax_simulator
    items = [CaptureItem(f"LIM{i}", "3.00", "USD") for i in range(120)]
    for item in items:
        sim.authorize(item.out_trade_no, "3.00", "USD")
    sim.set_limit("capture", 3)  # the simulator counts captures in flight itself
    sim.inject(Fault(FaultKind.DELAY, api_name="capture", delay=0.01, probability=1.0))
    async with sim.client(max_retries=0) as client:
        outcomes = [o async for o in client.capture_many(items, concurrency=50, adaptive=True)]
    assert [o.status for o in outcomes] == [OutcomeStatus.CAPTURED] * 120
    assert all(len(sim.captures_of(i.out_trade_no)) == 1 for i in items)
    requests = sim.requests_for("capture")
    refused = [r for r in requests if r.code == "TOO_MANY_REQUEST"]
    assert refused and all(not r.processed for r in refused)
    assert len(refused) <= 0.2 * len(requests)  # a ceiling of 50 over a limit of 3: found, not hammered


async def test_capture_command_adaptive(
    payermax_simulator: GatewaySimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = payermax_simulator
    source = tmp_path / "in.csv"
    source.write_text("out_trade_no,amount,currency\n" + "".join(f"A{i},2.00,USD\n" for i in range(30)))
    for i in range(30):
        sim.authorize(f"A{i}", "2.00", "USD")
    sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.3, seed=3))
    options = sim.client_options()
    for env, key in [
        ("PAYERMAX_APP_ID", "app_id"),
        ("PAYERMAX_MERCHANT_NO", "merchant_no"),
        ("PAYERMAX_PRIVATE_KEY", "private_key"),
        ("PAYERMAX_PUBLIC_KEY", "payermax_public_key"),
        ("PAYERMAX_BASE_URL", "base_url"),
    ]:
        monkeypatch.setenv(env, options[key])
    argv = ["capture", "-i", str(source), "-c", "8", "--max-retries", "0", "-q"]  # adaptive by default
    assert await asyncio.to_thread(main, argv) == 0
    assert all(len(sim.captures_of(f"A{i}")) == 1 for i in range(30))
    assert main([*argv, "--adaptive", "--processes", "2"]) == 2  # adaptive is one process's control
    with pytest.raises(SystemExit):
        main([*argv, "--adaptive", "--fixed"])
    # --fixed leaves a refusal to the client's retries (none here): those orders are not captured
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("out_trade_no,amount,currency\n" + "".join(f"F{i},2.00,USD\n" for i in range(30)))
    for i in range(30):
        sim.authorize(f"F{i}", "2.00", "USD")
    assert await asyncio.to_thread(main, ["capture", "-i", str(fixed), "--fixed", *argv[3:]]) != 0
    assert 0 < sum(len(sim.captures_of(f"F{i}")) for i in range(30)) < 30


def test_the_core_install_needs_no_postgres_packages(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "for name in ('psycopg', 'psycopg_pool', 'pgqueuer', 'asyncpg'):\n"
        "    sys.modules[name] = None\n"
        "import payermax_async, payermax_async.bulk, payermax_async.dedup, payermax_async.cli\n"
        "from payermax_async.cli import main\n"
        "sys.exit(main(['status', '--queue', 'postgresql://nobody@/x']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "pip install 'payermax-async[postgres]'" in done.stderr
