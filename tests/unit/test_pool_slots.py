"""The transport's connection slots: order, hand-over, a deadline, and a waiter who leaves."""

from __future__ import annotations

import asyncio

import pytest

from payermax_async.errors import TransportError
from payermax_async.transport import _Slots


async def test_slots_go_in_arrival_order_and_a_cancelled_waiter_passes_its_slot_on() -> None:
    slots = _Slots(1)
    assert slots.try_take() and not slots.try_take()
    order: list[str] = []

    async def wait(name: str) -> None:
        await slots.take(None)
        order.append(name)
        slots.give()

    a, b, c = (asyncio.ensure_future(wait(n)) for n in "abc")
    await asyncio.sleep(0)
    slots.give()  # to a, who has not run yet
    a.cancel()  # ...and is cancelled holding it: it must go to b
    await asyncio.gather(a, b, c, return_exceptions=True)
    assert a.cancelled() and order == ["b", "c"]
    assert slots.try_take() and not slots.try_take()  # one slot, neither leaked nor doubled


async def test_a_wait_past_its_deadline_is_not_sent_and_leaves_the_line() -> None:
    slots = _Slots(1)
    assert slots.try_take()
    loop = asyncio.get_running_loop()
    with pytest.raises(TransportError, match="not sent"):
        await slots.take(loop.time() + 0.01)
    slots.give()
    assert slots.try_take()  # the expired waiter is not in line ahead of anyone
