"""Invite codes: single and multi use, expiry, revocation, idempotent accept, races."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from rendezvous.groups.tables import Invite
from tests.helpers import Api, assert_error


async def test_invite_codes_are_unguessable_and_stored_hashed(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    response = await api.post(
        f"/groups/{group_id}/invites", owner, json={"max_uses": 3, "expires_in_hours": 48}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["max_uses"] == 3 and body["uses"] == 0 and body["group_id"] == group_id
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=47, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=48)
    assert len(body["code"]) >= 26  # >= 128 random bits
    row = await Invite.select().where(Invite.id == body["id"]).first()
    assert row["code_hash"] == hashlib.sha256(body["code"].encode()).hexdigest()
    assert all(body["code"] not in str(value) for value in row.values())
    other = (await api.post(f"/groups/{group_id}/invites", owner, json={"max_uses": 3})).json()
    assert other["code"] != body["code"]


async def test_defaults_are_single_use_for_72_hours(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    body = (await api.post(f"/groups/{group_id}/invites", owner)).json()
    assert body["max_uses"] == 1
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=71, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=72)


async def test_single_use_code_admits_one_person(api: Api) -> None:
    owner, ann, bob = await api.signup("Olive"), await api.signup("Ann"), await api.signup("Bob")
    group_id = await api.group(owner)
    code = await api.invite(group_id, owner)
    joined = await api.post(f"/invites/{code}/accept", ann)
    assert joined.status_code == 201
    assert joined.json() == {"group_id": group_id, "user_id": ann.id, "role": "member"}
    assert_error(await api.post(f"/invites/{code}/accept", bob), 410, "used up")
    assert_error(await api.get(f"/groups/{group_id}", bob), 404)
    assert (await api.get(f"/groups/{group_id}", ann)).json()["member_count"] == 2


async def test_accepting_again_is_idempotent_and_uses_nothing(api: Api) -> None:
    owner, ann, bob = await api.signup("Olive"), await api.signup("Ann"), await api.signup("Bob")
    group_id = await api.group(owner)
    code = await api.invite(group_id, owner, max_uses=2)
    assert (await api.post(f"/invites/{code}/accept", ann)).status_code == 201
    again = await api.post(f"/invites/{code}/accept", ann)
    assert again.status_code == 200
    assert again.json() == {"group_id": group_id, "user_id": ann.id, "role": "member"}
    owner_again = await api.post(f"/invites/{code}/accept", owner)
    assert owner_again.status_code == 200 and owner_again.json()["role"] == "owner"
    invites = (await api.get(f"/groups/{group_id}/invites", owner)).json()["items"]
    assert invites[0]["uses"] == 1
    assert (await api.post(f"/invites/{code}/accept", bob)).status_code == 201
    # a member may re-use a used-up code harmlessly; nobody new may
    assert (await api.post(f"/invites/{code}/accept", ann)).status_code == 200
    assert_error(await api.post(f"/invites/{code}/accept", await api.signup("Cy")), 410)


async def test_expired_unknown_and_revoked_codes(api: Api) -> None:
    owner, ann = await api.signup("Olive"), await api.signup("Ann")
    group_id = await api.group(owner)
    created = (await api.post(f"/groups/{group_id}/invites", owner, json={"max_uses": 5})).json()
    await Invite.update({Invite.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        Invite.id == created["id"]
    )
    assert_error(await api.post(f"/invites/{created['code']}/accept", ann), 410, "expired")
    assert_error(await api.post("/invites/inv_no-such-code/accept", ann), 404)
    assert_error(await api.post(f"/invites/{'x' * 5000}/accept", ann), 404)

    fresh = (await api.post(f"/groups/{group_id}/invites", owner, json={"max_uses": 5})).json()
    assert (await api.delete(f"/groups/{group_id}/invites/{fresh['id']}", owner)).status_code == 204
    assert_error(await api.post(f"/invites/{fresh['code']}/accept", ann), 404)
    assert_error(await api.delete(f"/groups/{group_id}/invites/{fresh['id']}", owner), 404)
    assert_error(await api.get(f"/groups/{group_id}", ann), 404)


async def test_invites_list_newest_first_without_codes(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    made = [
        (await api.post(f"/groups/{group_id}/invites", owner, json={"max_uses": n})).json()
        for n in (1, 2, 3)
    ]
    listed = (await api.get(f"/groups/{group_id}/invites", owner)).json()
    assert [item["id"] for item in listed["items"]] == [m["id"] for m in reversed(made)]
    assert listed["total"] == 3
    assert all("code" not in item for item in listed["items"])
    page = (
        await api.get(f"/groups/{group_id}/invites", owner, params={"limit": 1, "offset": 2})
    ).json()
    assert [item["max_uses"] for item in page["items"]] == [1]


async def test_an_invite_of_one_group_cannot_be_revoked_through_another(api: Api) -> None:
    owner = await api.signup("Olive")
    first, second = await api.group(owner, "A"), await api.group(owner, "B")
    invite = (await api.post(f"/groups/{first}/invites", owner)).json()
    assert_error(await api.delete(f"/groups/{second}/invites/{invite['id']}", owner), 404)
    assert (await api.get(f"/groups/{first}/invites", owner)).json()["total"] == 1


async def test_bad_invite_settings_are_refused(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    for body, word in [
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": 1001}, "max_uses"),
        ({"max_uses": "3"}, "max_uses"),
        ({"expires_in_hours": 0}, "expires_in_hours"),
        ({"expires_in_hours": 721}, "expires_in_hours"),
        ({"expires_in_hours": 1.5}, "expires_in_hours"),
        ({"code": "mine"}, "unknown field"),
    ]:
        assert_error(await api.post(f"/groups/{group_id}/invites", owner, json=body), 400, word)
    assert (await api.get(f"/groups/{group_id}/invites", owner)).json()["total"] == 0


async def test_thirty_people_race_for_ten_places(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    code = await api.invite(group_id, owner, max_uses=10)
    people = [await api.signup(f"P{i}") for i in range(30)]

    responses = await asyncio.gather(*(api.post(f"/invites/{code}/accept", p) for p in people))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [410] * 20, statuses
    group = (await api.get(f"/groups/{group_id}", owner)).json()
    admitted = {p.id for p, r in zip(people, responses, strict=True) if r.status_code == 201}
    assert group["member_count"] == 11
    assert {m["user_id"] for m in group["members"]} == admitted | {owner.id}
    invites = (await api.get(f"/groups/{group_id}/invites", owner)).json()["items"]
    assert invites[0]["uses"] == 10


async def test_the_same_person_accepting_twice_at_once_joins_once(api: Api) -> None:
    owner, ann = await api.signup("Olive"), await api.signup("Ann")
    group_id = await api.group(owner)
    code = await api.invite(group_id, owner, max_uses=5)
    responses = await asyncio.gather(*(api.post(f"/invites/{code}/accept", ann) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert (await api.get(f"/groups/{group_id}", owner)).json()["member_count"] == 2
    assert (await api.get(f"/groups/{group_id}/invites", owner)).json()["items"][0]["uses"] == 1
