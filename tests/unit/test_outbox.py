"""The run's outcome box: order, a bounded size that holds writers back, and writers who leave."""

from __future__ import annotations

import asyncio

from payermax_async.bulk.outbox import Outbox


async def test_items_come_out_in_order_and_a_full_box_holds_its_writers_back() -> None:
    box: Outbox[int] = Outbox(2)
    assert box.offer(1) and box.offer(2) and not box.offer(3)
    third = asyncio.ensure_future(box.put(3))
    await asyncio.sleep(0)
    assert not third.done()  # full: it waits
    assert box.pop() == 1
    await third
    assert [await box.get(), await box.get()] == [2, 3] and not box.items


async def test_a_reader_waits_for_the_next_item() -> None:
    box: Outbox[str] = Outbox(1)
    reading = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    assert not reading.done() and box.offer("a")
    assert await reading == "a"


async def test_a_writer_cancelled_as_it_was_let_in_passes_the_room_on() -> None:
    box: Outbox[int] = Outbox(1)
    assert box.offer(0)
    first, second = asyncio.ensure_future(box.put(1)), asyncio.ensure_future(box.put(2))
    await asyncio.sleep(0)
    assert box.pop() == 0  # wakes the first writer...
    first.cancel()  # ...who leaves before it runs: the second must not wait for ever
    await asyncio.wait_for(second, 5)  # a hang guard, not a timing
    assert first.cancelled() and await box.get() == 2
