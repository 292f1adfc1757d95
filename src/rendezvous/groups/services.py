"""Groups: creation, membership and roles, invites.

Every change to a group touches its row first (core.freshness), which locks it until the
transaction ends: rules that count members or owners (the last owner cannot leave; an
invite's uses) then see a settled state even under concurrent requests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from rendezvous.core.db.sql import Row
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, Forbidden, Gone, NotFound
from rendezvous.core.freshness import WorkerCaches
from rendezvous.core.schemas import Page
from rendezvous.core.tokens import hash_secret, new_secret
from rendezvous.groups import queries
from rendezvous.groups.schemas import (
    ADMIN_ROLES,
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

INVITE_PREFIX = "inv"
MAX_MEMBERS = 5000


# --- reading -------------------------------------------------------------------------


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


async def _members(group_id: int) -> list[Member]:
    return [Member(**row) for row in await queries.members(group_id)]


async def get_group(group_id: int, role: Role) -> Group:
    """The group with its members; `role` is the caller's."""
    row = await queries.group_row(group_id)
    if row is None:
        raise NotFound("Group not found")
    return _group(row, role, await _members(group_id))


async def group_as_seen(row: Row, caches: WorkerCaches) -> Group:
    """The group a one-statement read found (queries.group_for_token), with its members
    from this worker's cache unless the group's revision moved on."""
    key = (row["id"], row["created_at"], row["revision"])
    members = await caches.group_members.get_or_compute(key, lambda: _members(row["id"]))
    return _group(row, row["caller_role"], members)


async def list_groups(user_id: int, limit: int, offset: int) -> Page[GroupSummary]:
    rows, total = await queries.summaries(user_id, limit, offset)
    return Page(
        items=[GroupSummary(**row) for row in rows], limit=limit, offset=offset, total=total
    )


# --- groups --------------------------------------------------------------------------


@transactional
async def create_group(user_id: int, data: GroupCreate) -> Group:
    group_id = await queries.insert_group(data.name, data.description, user_id, datetime.now(UTC))
    return await get_group(group_id, "owner")


@transactional
async def update_group(group_id: int, role: Role, data: GroupUpdate) -> Group:
    await _lock(group_id)
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[GroupRow.name] = data.name
    if data.description is not msgspec.UNSET:
        changes[GroupRow.description] = data.description
    if changes:
        await queries.update_group(group_id, changes)
    return await get_group(group_id, role)


@transactional
async def delete_group(group_id: int) -> None:
    await queries.delete_group(group_id)


# --- members -------------------------------------------------------------------------


async def _lock(group_id: int) -> None:
    if not await queries.lock_group(group_id):
        raise NotFound("Group not found")


async def _role(group_id: int, user_id: int) -> Role:
    """A role read again inside the transaction: it may have changed since the guard ran."""
    role = await queries.role_of(group_id, user_id)
    if role is None:
        raise NotFound("Group not found")
    return role  # type: ignore[return-value]


async def _member(group_id: int, user_id: int) -> Member:
    row = await queries.member(group_id, user_id)
    if row is None:
        raise NotFound("That user is not a member of this group")
    return Member(**row)


@transactional
async def change_role(group_id: int, actor_id: int, target_id: int, role: Role) -> Member:
    await _lock(group_id)
    if await _role(group_id, actor_id) != "owner":
        raise Forbidden("Only an owner can change roles")
    target = await _member(group_id, target_id)
    if target.role == "owner" and role != "owner" and await queries.owner_count(group_id) == 1:
        raise Conflict("The group's last owner cannot step down; make someone else owner first")
    if target.role != role:
        await queries.set_role(group_id, target_id, role)
    return await _member(group_id, target_id)


@transactional
async def remove_member(group_id: int, actor_id: int, target_id: int) -> None:
    """Leave (actor == target) or remove someone: owners remove anyone, admins remove
    members. (rendezvous.flows.remove_member also withdraws their answers.)"""
    await _lock(group_id)
    actor_role = await _role(group_id, actor_id)
    if actor_id != target_id and actor_role not in ADMIN_ROLES:
        raise Forbidden("Only owners and admins can remove members")
    target = await _member(group_id, target_id)
    if actor_id != target_id and actor_role == "admin" and target.role != "member":
        raise Forbidden("Admins can remove members, not admins or owners")
    if target.role == "owner" and await queries.owner_count(group_id) == 1:
        raise Conflict(
            "The group's last owner cannot leave; make someone else owner or delete the group"
        )
    await queries.remove_member(group_id, target_id)


# --- invites -------------------------------------------------------------------------


@transactional
async def create_invite(group_id: int, actor_id: int, data: InviteCreate) -> NewInvite:
    code = new_secret(INVITE_PREFIX)
    now = datetime.now(UTC)
    row = await queries.insert_invite(
        {
            "group": group_id,
            "code_hash": hash_secret(code),
            "created_by": actor_id,
            "max_uses": data.max_uses,
            "uses": 0,
            "expires_at": now + timedelta(hours=data.expires_in_hours),
            "created_at": now,
        }
    )
    return NewInvite(**row, code=code)


async def list_invites(group_id: int, limit: int, offset: int) -> Page[Invite]:
    return await queries.invite_page(group_id, limit, offset, Invite)


@transactional
async def revoke_invite(group_id: int, invite_id: int) -> None:
    if not await queries.delete_invite(group_id, invite_id):
        raise NotFound("Invite not found")


@transactional
async def accept_invite(code: str, user_id: int) -> tuple[Membership, bool]:
    """Join the invite's group; (membership, True) if joined now, (.., False) if already in."""
    found = await queries.invite_by_code(hash_secret(code))
    if found is None:
        raise NotFound("Unknown invite code")
    group_id = found["group"]
    await _lock(group_id)
    # Read the invite again under the group's lock: its uses may have just changed.
    invite = await queries.invite_by_code(hash_secret(code))
    if invite is None:
        raise NotFound("Unknown invite code")
    role = await queries.role_of(group_id, user_id)
    if role is not None:
        return Membership(group_id=group_id, user_id=user_id, role=role), False  # type: ignore[arg-type]
    now = datetime.now(UTC)
    if invite["expires_at"] <= now:
        raise Gone("This invite has expired")
    if invite["uses"] >= invite["max_uses"]:
        raise Gone("This invite has been used up")
    if await queries.member_count(group_id) >= MAX_MEMBERS:
        raise Conflict(f"This group is full ({MAX_MEMBERS} members)")
    await queries.add_member(group_id, user_id, "member", now)
    await queries.use_invite(invite["id"])
    return Membership(group_id=group_id, user_id=user_id, role="member"), True
