"""Sign-up, bearer tokens, the caller's profile."""

import hashlib

from rendezvous.accounts.tables import ApiToken, User
from tests.helpers import Api, assert_error, propose


async def test_sign_up_returns_the_user_and_a_token_shown_once(api: Api) -> None:
    response = await api.post(
        "/users",
        json={
            "name": "Ann",
            "email": "ann@example.org",
            "region": "Leeds, UK",
            "timezone": "Europe/London",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "token"}
    user = body["user"]
    assert user["name"] == "Ann"
    assert user["email"] == "ann@example.org"
    assert user["region"] == "Leeds, UK"
    assert user["region_label"] == "Leeds, England, United Kingdom"
    assert user["timezone"] == "Europe/London"
    assert set(user) >= {"id", "name", "email", "region", "region_label", "timezone"}

    token = body["token"]
    assert len(token) >= 40  # >= 128 random bits, URL-safe
    me = await api.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json() == user


async def test_tokens_are_stored_only_as_sha256_hashes(api: Api) -> None:
    ann = await api.signup("Ann")
    rows = await ApiToken.select().where(ApiToken.user == ann.id)
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(ann.token.encode()).hexdigest()
    assert all(ann.token not in str(value) for value in rows[0].values())
    user = await User.select().where(User.id == ann.id).first()
    assert all(ann.token not in str(value) for value in user.values())


async def test_tokens_are_random(api: Api) -> None:
    tokens = {(await api.signup(f"P{i}")).token for i in range(5)}
    assert len(tokens) == 5


async def test_missing_wrong_and_malformed_tokens_get_401(api: Api) -> None:
    await api.signup("Ann")
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YW5uOnB3"},
        {"Authorization": "Bearer rdv_not-a-real-token"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "Bearer tökén".encode()},  # type: ignore[dict-item]
    ):
        # GET /groups/{id} and /events/{id} resolve the token themselves (one statement
        # with the membership and the resource), so they are checked separately
        for path in ("/me", "/groups/1", "/events/1", "/groups/0", "/events/0"):
            response = await api.get(path, headers=headers)
            body = assert_error(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer"), body
    for path in ("/groups", "/me/tokens", "/groups/1", "/invites/abc/accept"):
        method = "POST" if path.endswith("accept") else "GET"
        assert_error(await api.request(method, path), 401)
    for method in ("PUT", "DELETE"):
        assert_error(await api.request(method, "/events/1/rsvp", json={"status": "yes"}), 401)


async def test_update_me_changes_only_what_is_sent(api: Api) -> None:
    ann = await api.signup("Ann", email="ann@example.org", timezone="Europe/London")
    response = await api.patch("/me", ann, json={"name": "Annie", "region": "York, UK"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Annie"
    assert body["region"] == "York, UK"
    assert body["email"] == "ann@example.org"
    assert body["timezone"] == "Europe/London"
    cleared = await api.patch("/me", ann, json={"email": None, "timezone": None, "region": None})
    assert cleared.status_code == 200
    assert cleared.json()["email"] is None
    assert cleared.json()["timezone"] is None
    assert cleared.json()["region"] is None
    assert (await api.get("/me", ann)).json() == cleared.json()
    unchanged = await api.patch("/me", ann, json={})
    assert unchanged.status_code == 200 and unchanged.json() == cleared.json()


async def test_update_me_rejects_bad_values_and_changes_nothing(api: Api) -> None:
    ann = await api.signup("Ann", timezone="Europe/London")
    before = (await api.get("/me", ann)).json()
    for body, words in [
        ({"timezone": "Mars/Olympus"}, ["time zone", "Mars/Olympus"]),
        ({"name": ""}, ["name"]),
        ({"name": None}, ["name"]),
        ({"name": "x" * 101}, ["name"]),
        ({"email": "not-an-email"}, ["email"]),
        ({"region": "r" * 201}, ["region"]),
        ({"id": 99}, ["unknown field", "id"]),
        ({"name": "Bob", "region_label": "Nowhere"}, ["unknown field", "region_label"]),
    ]:
        assert_error(await api.patch("/me", ann, json=body), 400, *words)
    assert (await api.get("/me", ann)).json() == before


async def test_several_tokens_and_revocation(api: Api) -> None:
    ann = await api.signup("Ann")
    created = await api.post("/me/tokens", ann, json={"name": "laptop"})
    assert created.status_code == 201
    laptop = created.json()
    assert set(laptop) == {"id", "name", "token"}
    assert laptop["name"] == "laptop"
    unnamed = await api.post("/me/tokens", ann)  # the body is optional
    assert unnamed.status_code == 201 and unnamed.json()["name"]

    listed = (await api.get("/me/tokens", ann)).json()
    assert [item["name"] for item in listed["items"]] == [
        "first token",
        "laptop",
        unnamed.json()["name"],
    ]
    assert listed["total"] == 3
    for item in listed["items"]:
        assert set(item) == {"id", "name", "created_at", "last_used_at"}
    assert listed["items"][0]["last_used_at"] is not None  # used for this very request

    laptop_headers = {"Authorization": f"Bearer {laptop['token']}"}
    assert (await api.get("/me", headers=laptop_headers)).status_code == 200
    assert (await api.delete(f"/me/tokens/{laptop['id']}", ann)).status_code == 204
    assert_error(await api.get("/me", headers=laptop_headers), 401)
    assert (await api.get("/me", ann)).status_code == 200  # the others still work
    assert_error(await api.delete(f"/me/tokens/{laptop['id']}", ann), 404)


async def test_a_token_can_revoke_itself(api: Api) -> None:
    ann = await api.signup("Ann")
    first_id = (await api.get("/me/tokens", ann)).json()["items"][0]["id"]
    assert (await api.delete(f"/me/tokens/{first_id}", ann)).status_code == 204
    assert_error(await api.get("/me", ann), 401)


async def test_nobody_sees_or_revokes_another_users_tokens(api: Api) -> None:
    ann = await api.signup("Ann")
    bob = await api.signup("Bob")
    ann_token_id = (await api.get("/me/tokens", ann)).json()["items"][0]["id"]
    assert [t["id"] for t in (await api.get("/me/tokens", bob)).json()["items"]] != [ann_token_id]
    assert_error(await api.delete(f"/me/tokens/{ann_token_id}", bob), 404)
    assert (await api.get("/me", ann)).status_code == 200


async def test_at_most_50_tokens(api: Api) -> None:
    ann = await api.signup("Ann")
    for _ in range(49):
        assert (await api.post("/me/tokens", ann)).status_code == 201
    assert_error(await api.post("/me/tokens", ann), 409, "50")
    assert (await api.get("/me/tokens", ann, params={"limit": 200})).json()["total"] == 50


async def test_token_list_pages(api: Api) -> None:
    ann = await api.signup("Ann")
    for i in range(4):
        await api.post("/me/tokens", ann, json={"name": f"t{i}"})
    page = (await api.get("/me/tokens", ann, params={"limit": 2, "offset": 1})).json()
    assert [item["name"] for item in page["items"]] == ["t0", "t1"]
    assert (page["limit"], page["offset"], page["total"]) == (2, 1, 5)
    past_the_end = (await api.get("/me/tokens", ann, params={"offset": 10})).json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 5


async def test_reads_that_resolve_their_own_token_answer_like_the_rest(api: Api) -> None:
    ann = await api.signup("Ann")
    bob = await api.signup("Bob")
    group_id = await api.group(ann)
    event_id = (await propose(api, group_id, ann))["id"]
    group, event = f"/groups/{group_id}", f"/events/{event_id}"
    assert (await api.get(group, ann)).json()["members"][0]["name"] == "Ann"
    assert (await api.get(event, ann)).json()["id"] == event_id
    # an outsider, and a group or event that does not exist, look alike
    for path in (group, event, "/groups/999999", "/events/999999"):
        assert_error(await api.get(path, bob), 404)
    assert_error(await api.put(f"{event}/rsvp", bob, json={"status": "yes"}), 404)
    assert_error(await api.delete(f"{event}/rsvp", bob), 404)
    for path in ("/groups/0", "/events/0", "/groups/99999999999999999999"):
        assert_error(await api.get(path, ann), 400)

    # a new token's first use is recorded by these reads too...
    laptop = (await api.post("/me/tokens", ann, json={"name": "laptop"})).json()
    laptop_headers = {"Authorization": f"Bearer {laptop['token']}"}

    async def last_used() -> object:
        items = (await api.get("/me/tokens", ann)).json()["items"]
        return next(item["last_used_at"] for item in items if item["id"] == laptop["id"])

    assert await last_used() is None
    assert (await api.get(event, headers=laptop_headers)).status_code == 200
    assert await last_used() is not None
    # ...and a revoked token is refused at once
    assert (await api.delete(f"/me/tokens/{laptop['id']}", ann)).status_code == 204
    for path in (group, event):
        assert_error(await api.get(path, headers=laptop_headers), 401)
    for method in ("PUT", "DELETE"):
        response = await api.request(
            method, f"{event}/rsvp", headers=laptop_headers, json={"status": "yes"}
        )
        assert_error(response, 401)
