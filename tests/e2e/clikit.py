"""What the CLI's end-to-end tests share: a simulator's settings as the CLI reads them, an input
CSV of authorized orders, and the ``capture`` command run as a real subprocess."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from payermax_async.testing import GatewaySimulator, RequestRecord

__all__ = [
    "captured_once",
    "read_output",
    "run_cli",
    "sim_env",
    "start_cli",
    "wait_for_captures",
    "write_orders",
]


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
