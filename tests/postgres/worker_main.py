"""One worker process for the fleet tests (a stand-in for one machine).

usage: PAYERMAX_TEST_CLIENT=<client options JSON> \
    python -m tests.postgres.worker_main DSN CONCURRENCY LIMIT HEARTBEAT
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from dataclasses import asdict

from payermax_async import PayerMaxClient, RetryPolicy
from payermax_async.bulk.postgres_worker import run_worker


async def main(dsn: str, concurrency: int, limit: int, heartbeat: float) -> None:
    retry = RetryPolicy(backoff_base=0.001, backoff_max=0.005, rng=random.Random(1))
    async with PayerMaxClient(
        **json.loads(os.environ["PAYERMAX_TEST_CLIENT"]), retry=retry, timeout=2.0
    ) as client:
        stats = await run_worker(
            dsn,
            client,
            concurrency=concurrency,
            limit=limit,
            heartbeat_timeout=heartbeat,
            retry_delay=0.02,
            max_sends=30,
        )
    print(json.dumps(asdict(stats)), flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], int(a[1]), int(a[2]), float(a[3])))
