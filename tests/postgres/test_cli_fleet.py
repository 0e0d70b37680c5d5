"""``capture --queue``, ``worker`` and ``status`` as a user runs them, against the simulator."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from payermax_async.cli import main
from payermax_async.testing import Fault, FaultKind, GatewaySimulator


async def test_enqueue_work_and_report_from_the_database(
    dsn: str, payermax_simulator: GatewaySimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = payermax_simulator
    orders = [f"ORD{i:04d}" for i in range(60)]
    for otn in orders:
        sim.authorize(otn, "7.50", "USD")
    sim.inject(Fault(FaultKind.TOO_MANY_REQUEST, api_name="capture", probability=0.2, seed=9))
    source = tmp_path / "in.csv"
    source.write_text(
        "out_trade_no,amount,currency\n" + "".join(f"{o},7.50,USD\n" for o in orders), encoding="utf-8"
    )
    options = sim.client_options()
    monkeypatch.setenv("PAYERMAX_APP_ID", options["app_id"])
    monkeypatch.setenv("PAYERMAX_MERCHANT_NO", options["merchant_no"])
    monkeypatch.setenv("PAYERMAX_PRIVATE_KEY", options["private_key"])
    monkeypatch.setenv("PAYERMAX_PUBLIC_KEY", options["payermax_public_key"])
    monkeypatch.setenv("PAYERMAX_BASE_URL", options["base_url"])

    async def cli(*argv: str) -> int:  # the simulator runs on this loop: the command gets a thread
        return await asyncio.to_thread(main, list(argv))

    assert await cli("capture", "--queue", dsn, "--input", str(source)) == 0
    assert await cli("capture", "--queue", dsn, "--input", str(source)) == 0  # nothing queued twice
    bad = tmp_path / "bad.csv"
    bad.write_text("out_trade_no,amount,currency\nORD0000,9.99,USD\nX,abc,USD\n", encoding="utf-8")
    assert await cli("capture", "--queue", dsn, "--input", str(bad)) == 1  # a conflict, a bad row
    assert await cli("status", "--queue", dsn) == 3  # queued, not captured yet
    worker = ["worker", "--queue", dsn, "--fleet-limit", "8", "--heartbeat", "5", "-c", "8"]
    assert await cli(*worker) == 0
    import psycopg

    async with await psycopg.AsyncConnection.connect(dsn) as conn:  # adaptive by default: the limit's row
        cur = await conn.execute(
            "SELECT ceiling, refused FROM payermax_capture_limits WHERE name = 'capture:default'"
        )
        assert await cur.fetchone() == (8, True)  # --fleet-limit is the ceiling; refusals were seen
    out = tmp_path / "out.csv"
    assert await cli("status", "--queue", dsn, "--output", str(out)) == 0
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["out_trade_no"] for r in rows] == orders
    for row in rows:
        captures = sim.captures_of(row["out_trade_no"])
        assert [(c.status, c.request_id, c.capture_no) for c in captures] == [
            ("SUCCESS", row["request_id"], row["capture_no"])
        ]
        assert (row["status"], row["capture_status"], row["amount"]) == ("captured", "SUCCESS", "7.50")


def test_the_commands_say_what_is_missing_without_a_database(tmp_path: Path) -> None:
    source = tmp_path / "missing.csv"
    assert main(["capture", "--queue", "postgresql://nobody@/x", "--input", str(source)]) == 2
