"""Groups, members and roles: who sees what, who may do what."""

from typing import Any

import pytest

from tests.helpers import Api, Person, assert_error, circle


async def _roles(api: Api, group_id: int, as_: Person) -> dict[int, str]:
    body = (await api.get(f"/groups/{group_id}", as_)).json()
    return {m["user_id"]: m["role"] for m in body["members"]}


async def test_create_group_makes_the_caller_its_owner(api: Api) -> None:
    ann = await api.signup("Ann", region="Leeds, UK", timezone="Europe/London")
    response = await api.post(
        "/groups", ann, json={"name": "Forum mums", "description": "Since 2019"}
    )
    assert response.status_code == 201
    group = response.json()
    assert group["name"] == "Forum mums"
    assert group["description"] == "Since 2019"
    assert group["role"] == "owner"
    assert group["member_count"] == 1
    [member] = group["members"]
    assert member["user_id"] == ann.id
    assert member["role"] == "owner"
    assert member["name"] == "Ann"
    assert member["region_label"] == "Leeds, England, United Kingdom"
    assert member["timezone"] == "Europe/London"
    assert set(member) == {"user_id", "name", "role", "region_label", "timezone", "joined_at"}
    assert (await api.get(f"/groups/{group['id']}", ann)).json() == group


async def test_members_never_see_each_others_email_or_coordinates(api: Api) -> None:
    group_id, owner, *_ = await circle(api)
    text = (await api.get(f"/groups/{group_id}", owner)).text
    for secret in ("email", "latitude", "longitude", "@"):
        assert secret not in text


async def test_list_groups_shows_only_the_callers_groups_with_paging(api: Api) -> None:
    ann = await api.signup("Ann")
    bob = await api.signup("Bob")
    ids = [await api.group(ann, f"G{i}") for i in range(3)]
    bobs = await api.group(bob, "Bob's")
    await api.join(ids[1], ann, bob)

    mine = (await api.get("/groups", ann)).json()
    assert [g["id"] for g in mine["items"]] == ids
    assert mine["total"] == 3
    assert all("members" not in g for g in mine["items"])
    assert [g["member_count"] for g in mine["items"]] == [1, 2, 1]

    bob_sees = (await api.get("/groups", bob)).json()
    assert [(g["id"], g["role"]) for g in bob_sees["items"]] == [
        (ids[1], "member"),
        (bobs, "owner"),
    ]

    page = (await api.get("/groups", ann, params={"limit": 1, "offset": 1})).json()
    assert [g["id"] for g in page["items"]] == [ids[1]]
    assert (page["limit"], page["offset"], page["total"]) == (1, 1, 3)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/groups/{g}", None),
        ("PATCH", "/groups/{g}", {"name": "Mine now"}),
        ("DELETE", "/groups/{g}", None),
        ("PATCH", "/groups/{g}/members/{member}", {"role": "admin"}),
        ("DELETE", "/groups/{g}/members/{member}", None),
        ("DELETE", "/groups/{g}/members/{outsider}", None),
        ("POST", "/groups/{g}/invites", {}),
        ("GET", "/groups/{g}/invites", None),
        ("DELETE", "/groups/{g}/invites/1", None),
    ],
)
async def test_outsiders_get_404_for_every_group_resource(
    api: Api, method: str, path: str, body: dict[str, str] | None
) -> None:
    group_id, owner, _, member, outsider = await circle(api)
    before = (await api.get(f"/groups/{group_id}", owner)).json()
    url = path.format(g=group_id, member=member.id, outsider=outsider.id)
    response = await api.request(method, url, outsider, json=body)
    assert_error(response, 404, "not found")
    # the same answer as for a group that does not exist at all
    missing = await api.request(
        method, path.format(g=group_id + 1000, member=1, outsider=1), outsider, json=body
    )
    assert missing.json() == response.json()
    assert (await api.get(f"/groups/{group_id}", owner)).json() == before


async def test_plain_members_get_403_for_admin_actions(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    before = (await api.get(f"/groups/{group_id}", owner)).json()
    assert_error(await api.patch(f"/groups/{group_id}", member, json={"name": "x"}), 403)
    assert_error(await api.delete(f"/groups/{group_id}", member), 403)
    assert_error(await api.post(f"/groups/{group_id}/invites", member, json={}), 403)
    assert_error(await api.get(f"/groups/{group_id}/invites", member), 403)
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{member.id}", member, json={"role": "owner"}),
        403,
    )
    assert_error(await api.delete(f"/groups/{group_id}/members/{admin.id}", member), 403)
    assert (await api.get(f"/groups/{group_id}", owner)).json() == before


async def test_admins_edit_and_invite_but_only_owners_change_roles_or_delete(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    renamed = await api.patch(f"/groups/{group_id}", admin, json={"name": "Meet-up 2026"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Meet-up 2026"
    assert renamed.json()["description"] == ""
    described = await api.patch(f"/groups/{group_id}", admin, json={"description": "Spring"})
    assert (
        described.json()["name"] == "Meet-up 2026" and described.json()["description"] == "Spring"
    )
    assert (await api.post(f"/groups/{group_id}/invites", admin, json={})).status_code == 201
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{member.id}", admin, json={"role": "admin"}),
        403,
    )
    assert_error(await api.delete(f"/groups/{group_id}", admin), 403)
    assert (await _roles(api, group_id, owner))[member.id] == "member"


async def test_owner_changes_roles(api: Api) -> None:
    group_id, owner, admin, member, outsider = await circle(api)
    response = await api.patch(
        f"/groups/{group_id}/members/{member.id}", owner, json={"role": "owner"}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "owner" and response.json()["user_id"] == member.id
    await api.set_role(group_id, owner, admin, "member")
    assert await _roles(api, group_id, owner) == {
        owner.id: "owner",
        admin.id: "member",
        member.id: "owner",
    }
    # not a member: 404; not a role: 400
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{outsider.id}", owner, json={"role": "admin"}),
        404,
    )
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{admin.id}", owner, json={"role": "king"}),
        400,
        "role",
    )
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{admin.id}", owner, json={}), 400, "role"
    )


async def test_the_last_owner_can_neither_leave_nor_step_down(api: Api) -> None:
    group_id, owner, admin, _, _ = await circle(api)
    before = await _roles(api, group_id, owner)
    assert_error(
        await api.delete(f"/groups/{group_id}/members/{owner.id}", owner), 409, "last owner"
    )
    assert_error(
        await api.patch(f"/groups/{group_id}/members/{owner.id}", owner, json={"role": "admin"}),
        409,
        "last owner",
    )
    assert await _roles(api, group_id, owner) == before
    # with a second owner, the first may go
    await api.set_role(group_id, owner, admin, "owner")
    assert (await api.delete(f"/groups/{group_id}/members/{owner.id}", owner)).status_code == 204
    assert_error(await api.get(f"/groups/{group_id}", owner), 404)
    assert (await _roles(api, group_id, admin))[admin.id] == "owner"


async def test_members_leave_and_admins_remove_only_plain_members(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    assert_error(await api.delete(f"/groups/{group_id}/members/{owner.id}", admin), 403)
    other_admin = await api.signup("Abe")
    await api.join(group_id, owner, other_admin)
    await api.set_role(group_id, owner, other_admin, "admin")
    assert_error(await api.delete(f"/groups/{group_id}/members/{other_admin.id}", admin), 403)
    assert (await api.delete(f"/groups/{group_id}/members/{member.id}", admin)).status_code == 204
    assert_error(await api.get(f"/groups/{group_id}", member), 404)
    assert_error(await api.delete(f"/groups/{group_id}/members/{member.id}", admin), 404)
    # leaving needs no role
    assert (await api.delete(f"/groups/{group_id}/members/{admin.id}", admin)).status_code == 204
    # owners remove anyone, admins included
    assert (
        await api.delete(f"/groups/{group_id}/members/{other_admin.id}", owner)
    ).status_code == 204
    assert await _roles(api, group_id, owner) == {owner.id: "owner"}


async def test_owner_deletes_the_group(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    assert (await api.delete(f"/groups/{group_id}", owner)).status_code == 204
    for person in (owner, admin, member):
        assert_error(await api.get(f"/groups/{group_id}", person), 404)
        assert (await api.get("/groups", person)).json()["total"] == 0


async def test_a_group_read_follows_every_change_to_it_and_its_members(api: Api) -> None:
    """Workers keep a group's members between reads (keyed by its revision); every kind
    of change must reach the next read, which here always follows a read that filled
    the cache."""
    owner = await api.signup("Olive")
    mo = await api.signup("Mo")
    group_id = await api.group(owner, "Forum friends")
    path = f"/groups/{group_id}"

    async def change(method: str, url: str, who: Person, **kw: Any) -> dict[str, Any]:
        await api.get(path, owner)  # fills the cache before the change
        response = await api.request(method, url, who, **kw)
        assert response.status_code in (200, 201, 204), response.text
        body: dict[str, Any] = (await api.get(path, owner)).json()
        return body

    def member(body: dict[str, Any], person: Person) -> dict[str, Any] | None:
        return next((m for m in body["members"] if m["user_id"] == person.id), None)

    code = await api.invite(group_id, owner)
    body = await change("POST", f"/invites/{code}/accept", mo)
    assert body["member_count"] == 2 and member(body, mo) is not None
    body = await change(
        "PATCH", f"/groups/{group_id}/members/{mo.id}", owner, json={"role": "admin"}
    )
    assert member(body, mo)["role"] == "admin"  # type: ignore[index]
    body = await change("PATCH", path, owner, json={"name": "Forum mums"})
    assert body["name"] == "Forum mums"
    body = await change("PATCH", "/me", mo, json={"name": "Maureen", "region": "York, UK"})
    assert member(body, mo)["name"] == "Maureen"  # type: ignore[index]
    assert member(body, mo)["region_label"].startswith("York")  # type: ignore[index]
    body = await change("PATCH", "/me", mo, json={"timezone": "Europe/Paris"})
    assert member(body, mo)["timezone"] == "Europe/Paris"  # type: ignore[index]
    body = await change("DELETE", f"/groups/{group_id}/members/{mo.id}", mo)
    assert body["member_count"] == 1 and member(body, mo) is None

    # a group made after another was deleted shows its own members, whatever its id
    assert (await api.delete(path, owner)).status_code == 204
    again = await api.group(mo, "Another")
    body = (await api.get(f"/groups/{again}", mo)).json()
    assert [m["name"] for m in body["members"]] == ["Maureen"]
