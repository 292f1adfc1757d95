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
