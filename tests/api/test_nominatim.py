"""The Nominatim geocoder against a local fake server: labels, policy, errors, cache."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from rendezvous.core.errors import Unavailable, Unprocessable
from rendezvous.geo.geocoder import CachedGeocoder, NominatimGeocoder
from tests.fake_nominatim import FakeNominatim, fake_nominatim
from tests.helpers import Api
from tests.server import serving


@pytest.fixture
def server() -> Iterator[FakeNominatim]:
    with fake_nominatim() as fake:
        yield fake


@pytest.fixture
async def nominatim(server: FakeNominatim) -> AsyncIterator[NominatimGeocoder]:
    geocoder = NominatimGeocoder(server.url, timeout=0.5, min_delay_seconds=0.3)
    yield geocoder
    await geocoder.close()


async def test_results_carry_a_short_label_the_country_and_a_user_agent(
    nominatim: NominatimGeocoder, server: FakeNominatim
) -> None:
    leeds = await nominatim.geocode("Leeds")
    assert leeds is not None and not isinstance(leeds, list)
    assert leeds.address == "Leeds, England, United Kingdom"
    assert (round(leeds.latitude, 3), round(leeds.longitude, 3)) == (53.797, -1.544)
    assert leeds.raw["country_code"] == "GB"
    several = await nominatim.geocode("Springfield", exactly_one=False, limit=5)
    assert isinstance(several, list) and len(several) == 2
    assert await nominatim.geocode("Xyzzyville") is None
    request = server.requests[0]
    assert request.user_agent.startswith("rendezvous/")
    assert request.params["format"] == "json" and request.params["addressdetails"] == "1"


async def test_one_request_at_a_time_however_many_callers(server: FakeNominatim, api: Api) -> None:
    geocoder = NominatimGeocoder(server.url, timeout=2)  # the real policy: 1 request/second
    try:
        await asyncio.gather(*(geocoder.geocode(q) for q in ("Leeds", "Cardiff", "Glasgow")))
    finally:
        await geocoder.close()
    times = sorted(request.at for request in server.requests)
    assert len(times) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps


@pytest.mark.parametrize("status", [500, 502, 503, 429, 403])
async def test_server_failures_are_unavailable(
    nominatim: NominatimGeocoder, server: FakeNominatim, status: int
) -> None:
    server.status = status
    with pytest.raises(Unavailable, match="geocoding service"):
        await nominatim.geocode("Leeds")
    assert len(server.requests) == 1  # no silent retries


async def test_a_rejected_query_is_unprocessable(
    nominatim: NominatimGeocoder, server: FakeNominatim
) -> None:
    server.status = 400
    with pytest.raises(Unprocessable, match="Leeds"):
        await nominatim.geocode("Leeds")


async def test_a_slow_server_times_out(nominatim: NominatimGeocoder, server: FakeNominatim) -> None:
    server.delay = 1.5
    with pytest.raises(Unavailable):
        await nominatim.geocode("Leeds")


async def test_a_long_queue_is_refused_rather_than_kept_waiting(server: FakeNominatim) -> None:
    geocoder = NominatimGeocoder(server.url, timeout=0.5, queue_seconds=0.2)
    try:
        outcomes = await asyncio.gather(
            geocoder.geocode("Leeds"), geocoder.geocode("Cardiff"), return_exceptions=True
        )
    finally:
        await geocoder.close()
    # The first goes at once; the second would wait a second for its turn.
    assert outcomes[0] is not None and not isinstance(outcomes[0], BaseException)
    assert isinstance(outcomes[1], Unavailable) and "busy" in outcomes[1].detail
    assert server.queries() == ["Leeds"]


async def test_an_unreachable_server_is_unavailable() -> None:
    geocoder = NominatimGeocoder("http://127.0.0.1:9", timeout=0.5)
    try:
        with pytest.raises(Unavailable):
            await geocoder.geocode("Leeds")
    finally:
        await geocoder.close()


async def test_the_cache_answers_the_second_lookup(
    app: Litestar, api: Api, nominatim: NominatimGeocoder, server: FakeNominatim
) -> None:
    cached = CachedGeocoder(nominatim)
    first = await cached.search("Leeds")
    again = await cached.search("  LEEDS ")
    assert first == again and first[0].timezone == "Europe/London"
    assert server.queries() == ["Leeds"]
    # Not found is remembered too, and so is each query's own answer.
    assert await cached.search("Xyzzyville") == []
    assert await cached.search("xyzzyville") == []
    assert server.queries() == ["Leeds", "Xyzzyville"]
    # Concurrent first lookups of one query make one call.
    await asyncio.gather(*(cached.search("Cardiff") for _ in range(5)))
    assert server.queries().count("Cardiff") == 1
    # An outage does not poison the cache: nothing is stored for a failed lookup.
    server.status = 503
    with pytest.raises(Unavailable):
        await cached.search("Glasgow")
    server.status = 200
    assert (await cached.search("Glasgow"))[0].label == "Glasgow, Scotland, United Kingdom"


@pytest.mark.slow
def test_a_server_configured_for_nominatim_uses_it_end_to_end(
    tmp_path: Path, server: FakeNominatim, api: Api
) -> None:
    env = {"RENDEZVOUS_GEOCODER": "nominatim", "RENDEZVOUS_NOMINATIM_URL": server.url}
    with serving(tmp_path, env=env) as base, httpx.Client(base_url=base, timeout=30) as client:
        signup = client.post("/users", json={"name": "Ann", "region": "Leeds"})
        assert signup.status_code == 201, signup.text
        user = signup.json()["user"]
        assert user["region_label"] == "Leeds, England, United Kingdom"
        assert user["timezone"] == "Europe/London"
        agent = server.requests[0].user_agent
        assert agent.startswith("rendezvous/") and "http://rendezvous.test" in agent
        auth = {"Authorization": f"Bearer {signup.json()['token']}"}
        results = client.get("/geocode", params={"q": "Springfield"}, headers=auth).json()
        assert [r["country_code"] for r in results["results"]] == ["US", "US"]
        unknown = client.patch("/me", json={"region": "Xyzzyville"}, headers=auth)
        assert unknown.status_code == 422 and "Xyzzyville" in unknown.json()["detail"]

        server.status = 503  # Nominatim has an outage
        outage = client.patch("/me", json={"region": "Glasgow", "name": "Bo"}, headers=auth)
        assert outage.status_code == 503, outage.text
        assert "geocoding" in outage.json()["detail"] and outage.headers["Retry-After"]
        assert client.get("/me", headers=auth).json() == user  # nothing changed
        # Regions already known are still served, from the cache.
        again = client.post("/users", json={"name": "Cy", "region": " leeds "})
        assert again.status_code == 201, again.text

        server.status = 200  # and it is back
        moved = client.patch("/me", json={"region": "Glasgow"}, headers=auth)
        assert moved.status_code == 200, moved.text
        assert moved.json()["region_label"] == "Glasgow, Scotland, United Kingdom"
    assert server.queries() == ["Leeds", "Springfield", "Xyzzyville", "Glasgow", "Glasgow"]
