import asyncio

from rendezvous.core.locks import KeyedLock


async def test_one_holder_per_key_and_keys_are_independent() -> None:
    locks = KeyedLock()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    order: list[str] = []

    async def hold(key: str) -> None:
        async with locks(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            order.append(key)
            await asyncio.sleep(0.01)
            inside[key] -= 1

    await asyncio.gather(*(hold(k) for k in "aaab"))
    assert most == {"a": 1, "b": 1}
    assert order.index("b") < 3  # b did not wait behind the a's
    assert len(locks) == 0  # nobody holds or waits: every key forgotten


async def test_a_failing_holder_releases_the_key() -> None:
    locks = KeyedLock()
    try:
        async with locks(1):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with asyncio.timeout(1), locks(1):
        assert len(locks) == 1
    assert len(locks) == 0


async def test_the_door_admits_at_most_its_size_in_arrival_order() -> None:
    locks = KeyedLock(admit=2)
    inside = most = 0
    entered: list[int] = []

    async def hold(i: int) -> None:
        nonlocal inside, most
        async with locks(i % 3):  # some keys busy, some not
            inside += 1
            most = max(most, inside)
            entered.append(i)
            await asyncio.sleep(0.01 if i % 2 else 0.02)  # uneven holders
            inside -= 1

    async def arrive(i: int) -> None:
        await asyncio.sleep(i * 0.001)  # a definite arrival order
        await hold(i)

    await asyncio.gather(*(arrive(i) for i in range(9)))
    assert most == 2
    assert entered == list(range(9))


async def test_the_door_admits_at_least_one() -> None:
    locks = KeyedLock(admit=0)  # e.g. half of a pool of one connection
    async with asyncio.timeout(1), locks("key"):
        pass
