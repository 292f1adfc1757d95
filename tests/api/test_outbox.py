"""The outbox's worker on the suite's database: what becomes of an item whose handler
succeeds, fails for a while, fails for good, or never finishes; and that a rolled-back
change leaves no item. (The app's own worker handles other kinds, so it leaves these be.)"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.core.db.transactions import transactional
from rendezvous.outbox import queries, services
from rendezvous.outbox.worker import BACKOFF_S, Failed, Item, Retry, Worker, backoff
from tests.helpers import Api


@transactional
async def put(kind: str, key: str | None = None, due_at: datetime | None = None) -> None:
    await services.put(kind, {"n": 1}, key=key, due_at=due_at)


async def item(kind: str) -> dict[str, object]:
    [row] = await queries.items(kind)
    return row


def test_back_off_starts_within_seconds_and_settles_hourly() -> None:
    waits = [backoff(attempt).total_seconds() for attempt in range(1, 12)]
    assert waits[0] <= 60  # the contract: the first retry within 60 seconds
    assert waits == sorted(waits) and waits[-1] == 3600 == BACKOFF_S[-1]


async def test_a_handled_item_is_done_once(api: Api) -> None:
    seen: list[Item] = []

    async def handle(item: Item) -> None:
        seen.append(item)

    await put("test.ok", key="k1")
    await put("test.ok", key="k1")  # the same key: one item
    worker = Worker({"test.ok": handle})
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert [(i.kind, i.payload, i.attempts) for i in seen] == [("test.ok", {"n": 1}, 1)]
    row = await item("test.ok")
    assert row["state"] == "done" and row["finished_at"] is not None


async def test_a_temporary_failure_is_retried_later_and_a_permanent_one_is_final(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    async def later(_: Item) -> None:
        raise Retry("451 try again")

    async def never(_: Item) -> None:
        raise Failed("550 no such user")

    await put("test.later")
    await put("test.never")
    worker = Worker({"test.later": later, "test.never": never})
    with caplog.at_level(logging.INFO, "rendezvous.outbox"):
        assert await worker.run_once() == 2
    retried = await item("test.later")
    assert retried["state"] == "pending" and retried["attempts"] == 1
    assert retried["leased_until"] is None and retried["last_error"] == "451 try again"
    wait = retried["next_attempt_at"] - datetime.now(UTC)  # type: ignore[operator]
    assert timedelta(0) < wait <= timedelta(seconds=BACKOFF_S[0])
    failed = await item("test.never")
    assert failed["state"] == "failed" and failed["last_error"] == "550 no such user"
    assert await worker.run_once() == 0  # not due yet
    assert "failed for good" in caplog.text and "next in 5s" in caplog.text


async def test_failures_become_final_after_a_day(api: Api) -> None:
    async def later(_: Item) -> None:
        raise Retry("still down")

    await put("test.old")
    await queries.OutboxItem.update(
        {queries.OutboxItem.created_at: datetime.now(UTC) - timedelta(hours=27)}
    ).where(queries.OutboxItem.kind == "test.old")
    await Worker({"test.old": later}).run_once()
    assert (await item("test.old"))["state"] == "failed"


async def test_an_unexpected_error_is_retried_like_a_temporary_failure(api: Api) -> None:
    async def buggy(_: Item) -> None:
        raise KeyError("oops")

    await put("test.buggy")
    await Worker({"test.buggy": buggy}).run_once()
    row = await item("test.buggy")
    assert row["state"] == "pending" and row["attempts"] == 1


async def test_a_claimed_item_is_nobody_elses_until_its_lease_ends(api: Api) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def slow(_: Item) -> None:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()

    await put("test.slow")
    first = asyncio.create_task(Worker({"test.slow": slow}).run_once())
    await started.wait()
    assert await Worker({"test.slow": slow}).run_once() == 0  # leased to the first
    release.set()
    assert await first == 1
    assert calls == 1


async def test_an_item_due_later_waits(api: Api) -> None:
    async def handle(_: Item) -> None:
        pass

    await put("test.later", due_at=datetime.now(UTC) + timedelta(hours=1))
    assert await Worker({"test.later": handle}).run_once() == 0


async def test_items_of_a_rolled_back_change_are_never_written(api: Api) -> None:
    @transactional
    async def change_that_fails() -> None:
        await services.put("test.rolled_back", {})
        raise RuntimeError("the change is refused")

    with pytest.raises(RuntimeError):
        await change_that_fails()
    assert await queries.items("test.rolled_back") == []
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        await services.put("test.outside", {})


async def test_the_worker_wakes_on_a_commit_rather_than_its_next_poll(api: Api) -> None:
    done = asyncio.Event()

    async def handle(_: Item) -> None:
        done.set()

    worker = Worker({"test.wake": handle}, poll_s=60)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.2)  # the worker has looked once and sleeps
        await put("test.wake")
        await asyncio.wait_for(done.wait(), 5)
    finally:
        worker.stop()  # it was asleep for another 60 s: stop() wakes it to return
        await asyncio.wait_for(task, 5)


async def test_a_handler_keeps_its_code_and_may_say_when_to_retry(api: Api) -> None:
    async def accepted(_: Item) -> int:
        return 202

    async def busy(_: Item) -> None:
        raise Retry("429 slow down", after=timedelta(seconds=90), code=429)

    async def refused(_: Item) -> None:
        raise Failed("403 forbidden", code=403)

    await put("test.accepted")
    await put("test.busy")
    await put("test.refused")
    worker = Worker({"test.accepted": accepted, "test.busy": busy, "test.refused": refused})
    assert await worker.run_once() == 3
    done = await item("test.accepted")
    assert (done["state"], done["last_code"]) == ("done", 202)
    waiting = await item("test.busy")
    assert (waiting["state"], waiting["last_code"]) == ("pending", 429)
    wait = waiting["next_attempt_at"] - datetime.now(UTC)  # type: ignore[operator]
    assert timedelta(seconds=80) < wait <= timedelta(seconds=90)  # not the back-off's 5 s
    failed = await item("test.refused")
    assert (failed["state"], failed["last_code"]) == ("failed", 403)


async def test_parallel_kinds_are_carried_out_side_by_side(api: Api) -> None:
    running = 0
    most = 0
    order: list[str] = []

    async def side_by_side(_: Item) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1

    async def in_turn(item: Item) -> None:
        order.append(item.payload["key"])
        await asyncio.sleep(0.01)

    for _ in range(6):
        await put("test.parallel")
    for n in range(3):
        await serial(str(n))
    worker = Worker(
        {"test.parallel": side_by_side, "test.serial": in_turn}, parallel={"test.parallel": 3}
    )
    assert await worker.run_once() == 9
    assert most == 3  # at most as many as allowed, and more than one
    assert order == ["0", "1", "2"]  # the others still one after another, in order
    assert {row["state"] for row in await queries.items()} == {"done"}


@transactional
async def serial(key: str) -> None:
    await services.put("test.serial", {"key": key})


async def test_the_worker_wakes_for_a_retry_due_before_its_next_poll(api: Api) -> None:
    calls: list[float] = []

    async def flaky(_: Item) -> None:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            raise Retry("once more", after=timedelta(seconds=0.3))

    await put("test.flaky")
    worker = Worker({"test.flaky": flaky}, poll_s=30)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(5):
            while len(calls) < 2:
                await asyncio.sleep(0.02)
    finally:
        worker.stop()
        await task
    assert 0.25 < calls[1] - calls[0] < 2  # woken for it, not after the 30 s poll
