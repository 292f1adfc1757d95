"""Groups: creation, membership and roles, invites.

Every change to a group's membership locks the group row first, so that rules that
count members or owners (the last owner cannot leave; an invite's uses) see a
settled state even under concurrent requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Litestar
from piccolo.query.functions.aggregate import Count

from rendezvous.accounts.services import bearer_checked
from rendezvous.core.db import Row, fetch, transactional
from rendezvous.core.errors import Conflict, Forbidden, Gone, NotFound
from rendezvous.core.lru import Lru
from rendezvous.core.pagination import fetch_page
from rendezvous.core.schemas import Page
from rendezvous.core.tokens import hash_secret, new_secret
from rendezvous.groups.schemas import (
    Group,
    GroupCreate,
    GroupSummary,
    GroupUpdate,
    Invite,
    InviteCreate,
    Member,
    Membership,
    NewInvite,
    Role,
)
from rendezvous.groups.tables import Group as GroupRow
from rendezvous.groups.tables import Invite as InviteRow
from rendezvous.groups.tables import Membership as MembershipRow

INVITE_PREFIX = "inv"
MAX_MEMBERS = 5000
ADMIN_ROLES: frozenset[Role] = frozenset({"owner", "admin"})

_INVITE_COLUMNS = (
    InviteRow.id,
    InviteRow.group.as_alias("group_id"),
    InviteRow.expires_at,
    InviteRow.max_uses,
    InviteRow.uses,
    InviteRow.created_at,
)


# --- reading -------------------------------------------------------------------------


async def find_role(group_id: int, user_id: int) -> Role | None:
    """The user's role in the group, or None when they are not a member."""
    # Written out: every group request's guard runs it (see accounts' _AUTHENTICATE).
    rows = await fetch(
        'SELECT role FROM membership WHERE "group" = {} AND "user" = {}', group_id, user_id
    )
    return rows[0]["role"] if rows else None


# Written out, as the hottest reads are: members as Member takes them.
_MEMBER_ROWS = (
    "SELECT u.id AS user_id, u.name, m.role, u.region_label, u.timezone, m.joined_at "
    'FROM membership m JOIN app_user u ON u.id = m."user" WHERE m."group" = {}'
)
_MEMBERS = f"{_MEMBER_ROWS} ORDER BY m.id"  # oldest first
_MEMBER = f'{_MEMBER_ROWS} AND m."user" = {{}}'
_GROUP = "SELECT id, name, description, created_at, revision FROM friend_group WHERE id = {}"
# GET /groups/{id} in one statement: the bearer token, the caller's role in the group
# and the group. No row: no such token; a null role: not the caller's group.
_GROUP_FOR_BEARER = (
    "SELECT t.id AS token_id, t.last_used_at AS token_used_at, me.role AS caller_role, "
    "g.id, g.name, g.description, g.created_at, g.revision FROM api_token t "
    'LEFT JOIN membership me ON me."user" = t."user" AND me."group" = {} '
    'LEFT JOIN friend_group g ON g.id = me."group" '
    "WHERE t.token_hash = {}"
)

# What a worker keeps about groups between requests: their members, by id, creation
# time (SQLite may give a deleted group's id to a new one) and revision.
GroupMembers = Lru[tuple[int, datetime, int], list[Member]]


@asynccontextmanager
async def groups(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: the members cache, once per worker."""
    # Weighed in members: 100,000 of them take about 25 MB.
    app.state.group_members = GroupMembers(max_weight=100_000, weigh=len)
    yield


async def _members(group_id: int) -> list[Member]:
    return [Member(**row) for row in await fetch(_MEMBERS, group_id)]


def _group(row: Row, role: Role, members: list[Member]) -> Group:
    return Group(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        created_at=row["created_at"],
        role=role,
        member_count=len(members),
        members=members,
    )


async def get_group(group_id: int, role: Role) -> Group:
    """The group with its members; `role` is the caller's."""
    rows = await fetch(_GROUP, group_id)
    if not rows:
        raise NotFound("Group not found")
    return _group(rows[0], role, await _members(group_id))


async def find_group_by_token(group_id: int, token: str, cache: GroupMembers) -> Group | None:
    """The group as its member holding this bearer token sees it: one statement, and the
    members from the cache unless the group's revision moved on. None when it is not
    theirs to see (or does not exist); Unauthenticated for an unknown token."""
    rows = await fetch(_GROUP_FOR_BEARER, group_id, hash_secret(token))
    row = await bearer_checked(rows[0] if rows else None)
    if row["caller_role"] is None:
        return None
    key = (row["id"], row["created_at"], row["revision"])
    members = cache.get(key)
    if members is None:
        members = await _members(group_id)
        cache.put(key, members)
    return _group(row, row["caller_role"], members)


async def list_groups(user_id: int, limit: int, offset: int) -> Page[GroupSummary]:
    rows = await (
        MembershipRow.select(
            MembershipRow.group.id.as_alias("id"),
            MembershipRow.group.name.as_alias("name"),
            MembershipRow.group.description.as_alias("description"),
            MembershipRow.role,
            MembershipRow.group.created_at.as_alias("created_at"),
        )
        .where(MembershipRow.user == user_id)
        .order_by(MembershipRow.group.id)
        .limit(limit)
        .offset(offset)
    )
    total = await MembershipRow.count().where(MembershipRow.user == user_id)
    counts: dict[int, int] = {}
    if rows:
        counted = await (
            MembershipRow.select(MembershipRow.group, Count(MembershipRow.id, alias="n"))
            .where(MembershipRow.group.is_in([row["id"] for row in rows]))
            .group_by(MembershipRow.group)
        )
        counts = {row["group"]: row["n"] for row in counted}
    items = [GroupSummary(**row, member_count=counts.get(row["id"], 0)) for row in rows]
    return Page(items=items, limit=limit, offset=offset, total=total)


# --- groups --------------------------------------------------------------------------


@transactional
async def create_group(user_id: int, data: GroupCreate) -> Group:
    now = datetime.now(UTC)
    inserted = await GroupRow.insert(
        GroupRow(name=data.name, description=data.description, created_by=user_id, created_at=now)
    ).returning(GroupRow.id)
    group_id = inserted[0]["id"]
    await MembershipRow.insert(
        MembershipRow(group=group_id, user=user_id, role="owner", joined_at=now)
    )
    return await get_group(group_id, "owner")


@transactional
async def update_group(group_id: int, role: Role, data: GroupUpdate) -> Group:
    await _lock_group(group_id)
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[GroupRow.name] = data.name
    if data.description is not msgspec.UNSET:
        changes[GroupRow.description] = data.description
    if changes:
        await GroupRow.update(changes).where(GroupRow.id == group_id)
    return await get_group(group_id, role)


@transactional
async def delete_group(group_id: int) -> None:
    await GroupRow.delete().where(GroupRow.id == group_id)


# --- members -------------------------------------------------------------------------


async def _lock_group(group_id: int) -> None:
    """Lock the group's row until the transaction ends, bumping its revision: every
    change to a group starts here (the UPDATE's row lock makes other writers of the row
    wait, as SELECT ... FOR UPDATE would)."""
    rows = await fetch(
        "UPDATE friend_group SET revision = revision + 1 WHERE id = {} RETURNING id", group_id
    )
    if not rows:
        raise NotFound("Group not found")


async def _require_role(group_id: int, user_id: int) -> Role:
    """Re-read a role inside the transaction: it may have changed since the guard ran."""
    role = await find_role(group_id, user_id)
    if role is None:
        raise NotFound("Group not found")
    return role


async def _owner_count(group_id: int) -> int:
    return await MembershipRow.count().where(
        (MembershipRow.group == group_id) & (MembershipRow.role == "owner")
    )


async def _get_member(group_id: int, user_id: int) -> Member:
    rows = await fetch(_MEMBER, group_id, user_id)
    if not rows:
        raise NotFound("That user is not a member of this group")
    return Member(**rows[0])


@transactional
async def change_role(group_id: int, actor_id: int, target_id: int, role: Role) -> Member:
    await _lock_group(group_id)
    if await _require_role(group_id, actor_id) != "owner":
        raise Forbidden("Only an owner can change roles")
    target = await _get_member(group_id, target_id)
    if target.role == "owner" and role != "owner" and await _owner_count(group_id) == 1:
        raise Conflict("The group's last owner cannot step down; make someone else owner first")
    if target.role != role:
        await MembershipRow.update({MembershipRow.role: role}).where(
            (MembershipRow.group == group_id) & (MembershipRow.user == target_id)
        )
    return await _get_member(group_id, target_id)


@transactional
async def remove_member(group_id: int, actor_id: int, target_id: int) -> None:
    """Leave (actor == target) or remove someone: owners remove anyone, admins remove members."""
    await _lock_group(group_id)
    actor_role = await _require_role(group_id, actor_id)
    if actor_id != target_id and actor_role not in ADMIN_ROLES:
        raise Forbidden("Only owners and admins can remove members")
    target = await _get_member(group_id, target_id)
    if actor_id != target_id and actor_role == "admin" and target.role != "member":
        raise Forbidden("Admins can remove members, not admins or owners")
    if target.role == "owner" and await _owner_count(group_id) == 1:
        raise Conflict(
            "The group's last owner cannot leave; make someone else owner or delete the group"
        )
    await MembershipRow.delete().where(
        (MembershipRow.group == group_id) & (MembershipRow.user == target_id)
    )
    # Imported here: the events slice builds on groups, not the other way round.
    from rendezvous.events.rsvps import forget_member

    await forget_member(group_id, target_id)


# --- invites -------------------------------------------------------------------------


@transactional
async def create_invite(group_id: int, actor_id: int, data: InviteCreate) -> NewInvite:
    code = new_secret(INVITE_PREFIX)
    now = datetime.now(UTC)
    rows = await InviteRow.insert(
        InviteRow(
            group=group_id,
            code_hash=hash_secret(code),
            created_by=actor_id,
            max_uses=data.max_uses,
            uses=0,
            expires_at=now + timedelta(hours=data.expires_in_hours),
            created_at=now,
        )
    ).returning(*_INVITE_COLUMNS)
    return NewInvite(**rows[0], code=code)


async def list_invites(group_id: int, limit: int, offset: int) -> Page[Invite]:
    query = InviteRow.select(*_INVITE_COLUMNS).order_by(InviteRow.id, ascending=False)
    return await fetch_page(query, InviteRow.group == group_id, limit, offset, Invite)


@transactional
async def revoke_invite(group_id: int, invite_id: int) -> None:
    deleted = await (
        InviteRow.delete()
        .where((InviteRow.id == invite_id) & (InviteRow.group == group_id))
        .returning(InviteRow.id)
    )
    if not deleted:
        raise NotFound("Invite not found")


@transactional
async def accept_invite(code: str, user_id: int) -> tuple[Membership, bool]:
    """Join the invite's group; (membership, True) if joined now, (.., False) if already in."""
    found = (
        await InviteRow.select(InviteRow.group)
        .where(InviteRow.code_hash == hash_secret(code))
        .first()
    )
    if found is None:
        raise NotFound("Unknown invite code")
    group_id = found["group"]
    await _lock_group(group_id)
    # Read the invite again under the group lock: its uses may have just changed.
    invite = (
        await InviteRow.select(
            InviteRow.id, InviteRow.uses, InviteRow.max_uses, InviteRow.expires_at
        )
        .where(InviteRow.code_hash == hash_secret(code))
        .first()
    )
    if invite is None:
        raise NotFound("Unknown invite code")
    role = await find_role(group_id, user_id)
    if role is not None:
        return Membership(group_id=group_id, user_id=user_id, role=role), False
    now = datetime.now(UTC)
    if invite["expires_at"] <= now:
        raise Gone("This invite has expired")
    if invite["uses"] >= invite["max_uses"]:
        raise Gone("This invite has been used up")
    if await MembershipRow.count().where(MembershipRow.group == group_id) >= MAX_MEMBERS:
        raise Conflict(f"This group is full ({MAX_MEMBERS} members)")
    await MembershipRow.insert(
        MembershipRow(group=group_id, user=user_id, role="member", joined_at=now)
    )
    await InviteRow.update({InviteRow.uses: InviteRow.uses + 1}).where(InviteRow.id == invite["id"])
    return Membership(group_id=group_id, user_id=user_id, role="member"), True
