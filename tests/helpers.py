"""A thin client for the tests: people sign up, and act with their own token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Person:
    id: int
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signed_up(name: str, response: httpx.Response) -> Person:
    """The person a sign-up's response made."""
    assert response.status_code == 201, response.text
    body = response.json()
    return Person(id=body["user"]["id"], name=name, token=body["token"])


def sign_up(client: httpx.Client, name: str = "Ann", **fields: Any) -> Person:
    """`Api.signup` on a synchronous client (a served process)."""
    return signed_up(name, client.post("/users", json={"name": name, **fields}))


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, path: str, as_: Person | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers.update(as_.headers)
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, as_: Person | None = None, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, as_, **kw)

    async def post(self, path: str, as_: Person | None = None, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, as_, **kw)

    async def patch(self, path: str, as_: Person | None = None, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", path, as_, **kw)

    async def put(self, path: str, as_: Person | None = None, **kw: Any) -> httpx.Response:
        return await self.request("PUT", path, as_, **kw)

    async def delete(self, path: str, as_: Person | None = None, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, as_, **kw)

    # --- building blocks -----------------------------------------------------------

    async def signup(self, name: str = "Ann", **fields: Any) -> Person:
        return signed_up(name, await self.post("/users", json={"name": name, **fields}))

    async def verify(self, person: Person, email: str) -> None:
        """Follow the verification mail sent to `email`: the button's POST."""
        from urllib.parse import urlsplit

        from tests.mailbox import MAILBOX

        url = await MAILBOX.wait_for_link(email, "/email/verify/")
        path = urlsplit(url).path
        response = await self.post(path)
        assert response.status_code == 200, response.text

    async def verified(self, name: str, email: str, **fields: Any) -> Person:
        """Sign up with an e-mail address and verify it."""
        person = await self.signup(name, email=email, **fields)
        await self.verify(person, email)
        return person

    async def group(self, owner: Person, name: str = "Forum friends") -> int:
        response = await self.post("/groups", owner, json={"name": name})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def invite(self, group_id: int, by: Person, **fields: Any) -> str:
        response = await self.post(f"/groups/{group_id}/invites", by, json=fields)
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    async def join(self, group_id: int, owner: Person, *people: Person) -> None:
        code = await self.invite(group_id, owner, max_uses=max(1, len(people)))
        for person in people:
            response = await self.post(f"/invites/{code}/accept", person)
            assert response.status_code == 201, response.text

    async def set_role(self, group_id: int, owner: Person, person: Person, role: str) -> None:
        response = await self.patch(
            f"/groups/{group_id}/members/{person.id}", owner, json={"role": role}
        )
        assert response.status_code == 200, response.text


async def circle(api: Api) -> tuple[int, Person, Person, Person, Person]:
    """A group with an owner (living in Leeds), an admin and a member, and an outsider."""
    owner = await api.signup("Olive", region="Leeds, UK", timezone="Europe/London")
    admin = await api.signup("Ada")
    member = await api.signup("Mo")
    outsider = await api.signup("Otto")
    group_id = await api.group(owner)
    await api.join(group_id, owner, admin, member)
    await api.set_role(group_id, owner, admin, "admin")
    return group_id, owner, admin, member, outsider


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """A JSON error with this status whose detail mentions every word given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status_code"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    for word in words:
        assert word.lower() in body["detail"].lower(), body["detail"]
    return body


SATURDAYS = [  # three Saturday afternoons in spring 2027, London time (UTC+0, then UTC+1)
    {"start": "2027-03-06T12:00:00+00:00", "end": "2027-03-06T17:00:00+00:00"},
    {"start": "2027-03-13T12:00:00Z", "end": "2027-03-13T17:00:00Z"},
    {"start": "2027-04-03T12:00:00+01:00", "end": "2027-04-03T17:00:00+01:00"},
]


async def propose(api: Api, group_id: int, by: Person, **fields: Any) -> dict[str, Any]:
    body = {"title": "Meet-up", "timezone": "Europe/London", "time_options": SATURDAYS, **fields}
    response = await api.post(f"/groups/{group_id}/events", by, json=body)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def rsvp(
    api: Api, event_id: int, person: Person, status: str = "yes", **fields: Any
) -> dict[str, Any]:
    response = await api.put(f"/events/{event_id}/rsvp", person, json={"status": status, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
