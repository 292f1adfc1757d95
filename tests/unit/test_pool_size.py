"""How big each worker's PostgreSQL pool is when nobody says."""

from hypothesis import given
from hypothesis import strategies as st

from rendezvous.core.db.engines import DEFAULT_POOL_SIZE, pool_size_for


def test_a_roomy_server_gets_the_default_per_worker() -> None:
    assert pool_size_for(workers=1, usable_connections=97) == DEFAULT_POOL_SIZE
    assert pool_size_for(workers=4, usable_connections=97) == DEFAULT_POOL_SIZE


def test_many_workers_share_half_the_server() -> None:
    assert pool_size_for(workers=8, usable_connections=97) == 6
    assert pool_size_for(workers=16, usable_connections=97) == 3


@given(st.integers(1, 256), st.integers(1, 10_000))
def test_every_worker_gets_a_connection_and_half_the_server_stays_free(
    workers: int, usable: int
) -> None:
    size = pool_size_for(workers, usable)
    assert 1 <= size <= DEFAULT_POOL_SIZE
    assert workers * size <= max(usable // 2, workers)  # one each even on a tiny server
