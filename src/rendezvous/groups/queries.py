"""The groups slice's SQL: groups, their members and invites.

Written-out statements carry their reason; Piccolo builds the rest. The member lists
join app_user (accounts' table, one floor down) for names: a member is shown by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from rendezvous.accounts.queries import with_caller
from rendezvous.core.db.sql import Row, fetch, fetch_one
from rendezvous.core.freshness import touch
from rendezvous.core.pagination import fetch_page
from rendezvous.core.schemas import Page
from rendezvous.groups.tables import Group, Invite, Membership

INVITE_COLUMNS = (
    Invite.id,
    Invite.group.as_alias("group_id"),
    Invite.expires_at,
    Invite.max_uses,
    Invite.uses,
    Invite.created_at,
)
MEMBER_COLUMNS = (
    Membership.user.as_alias("user_id"),
    Membership.user.name.as_alias("name"),
    Membership.role,
    Membership.user.region_label.as_alias("region_label"),
    Membership.user.timezone.as_alias("timezone"),
    Membership.joined_at,
)

# Written out: every group route's guard runs it, and Piccolo takes many times longer to
# build it than the database takes to answer (bench/query_building.py; the group's venue
# suggestions in bench/venues.py).
_ROLE = 'SELECT role FROM membership WHERE "group" = {} AND "user" = {}'


async def role_of(group_id: int, user_id: int) -> str | None:
    """The user's role in the group, or None when they are not a member."""
    rows = await fetch(_ROLE, group_id, user_id)
    return rows[0]["role"] if rows else None


# Written out, one statement for GET /groups/{id} (bench/reads.py): the bearer token,
# the caller's role in the group and the group. No row: no such token; a null role: not
# the caller's group (or none at all).
_GROUP_FOR_TOKEN = with_caller(
    "me.role AS caller_role, g.id, g.name, g.description, g.created_at, g.revision",
    'LEFT JOIN membership me ON me."user" = t."user" AND me."group" = {} '
    'LEFT JOIN friend_group g ON g.id = me."group"',
)


async def group_for_token(group_id: int, token_hash: str) -> Row | None:
    return await fetch_one(_GROUP_FOR_TOKEN, group_id, token_hash)


async def group_row(group_id: int) -> dict[str, Any] | None:
    """id, name, description, created_at and revision."""
    columns = (Group.id, Group.name, Group.description, Group.created_at, Group.revision)
    return await Group.select(*columns).where(Group.id == group_id).first()


async def members(group_id: int) -> list[dict[str, Any]]:
    """Members oldest first: user_id, name, role, region_label, timezone, joined_at."""
    return await (
        Membership.select(*MEMBER_COLUMNS)
        .where(Membership.group == group_id)
        .order_by(Membership.id)
    )


async def member(group_id: int, user_id: int) -> dict[str, Any] | None:
    return (
        await Membership.select(*MEMBER_COLUMNS)
        .where((Membership.group == group_id) & (Membership.user == user_id))
        .first()
    )


async def _members_with(group_id: int, *fields: str) -> list[dict[str, Any]]:
    """Every member's user_id and these fields of their account, by user id."""
    columns = [getattr(Membership.user, field).as_alias(field) for field in fields]
    return await (
        Membership.select(Membership.user.as_alias("user_id"), *columns)
        .where(Membership.group == group_id)
        .order_by(Membership.user)
    )


async def member_contacts(group_id: int) -> list[dict[str, Any]]:
    """Every member's user_id, name, account e-mail (`email_verified`, and whether they
    want `email_notifications`) and time zone, by user id: for invites, which address
    each member by e-mail as calendar invitations do, and for mail."""
    return await _members_with(
        group_id, "name", "email", "email_verified", "email_notifications", "timezone"
    )


async def member_places(group_id: int) -> list[dict[str, Any]]:
    """Every member's user_id with their private coordinates (null when their region is
    not resolved), by user id: for the meeting-point maths, never for a response."""
    return await _members_with(group_id, "latitude", "longitude")


async def group_ids_of(user_id: int) -> list[int]:
    rows = await Membership.select(Membership.group).where(Membership.user == user_id)
    return sorted(row["group"] for row in rows)


def with_groups_of(columns: str, tables: str, member_id: str, where: str) -> str:
    """A statement that reads `columns` of `tables` (a row that names a member, by the
    expression `member_id`, among them) and, in the same statement, that member's name
    (`member_name`) and groups: one row per group (`id`, `name`, `created_at`,
    `revision`), by id, or one with a null `id` for a member of none. Calendar feeds are
    built on it (calendars.queries)."""
    return (
        f"SELECT {columns}, u.name AS member_name, "  # noqa: S608 - fixed text
        f"g.id, g.name, g.created_at, g.revision FROM {tables} "
        f"JOIN app_user u ON u.id = {member_id} "
        'LEFT JOIN membership m ON m."user" = u.id '
        'LEFT JOIN friend_group g ON g.id = m."group" '
        f"WHERE {where} ORDER BY g.id"
    )


# Written out: it keys every cached venue suggestion of a group, read on each request
# (bench/venues.py), where building it with Piccolo cost more than answering it.
_GROUP_STATE = "SELECT created_at, revision FROM friend_group WHERE id = {}"


async def group_state(group_id: int) -> Row | None:
    """The group's creation time and revision (what a cached answer is keyed by)."""
    return await fetch_one(_GROUP_STATE, group_id)


async def summaries(user_id: int, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the user's groups with their role and member count, and the total."""
    rows = await (
        Membership.select(
            Membership.group.id.as_alias("id"),
            Membership.group.name.as_alias("name"),
            Membership.group.description.as_alias("description"),
            Membership.role,
            Membership.group.created_at.as_alias("created_at"),
        )
        .where(Membership.user == user_id)
        .order_by(Membership.group.id)
        .limit(limit)
        .offset(offset)
    )
    total = await Membership.count().where(Membership.user == user_id)
    counts: dict[int, int] = {}
    if rows:
        counted = await (
            Membership.select(Membership.group, Count(Membership.id, alias="n"))
            .where(Membership.group.is_in([row["id"] for row in rows]))
            .group_by(Membership.group)
        )
        counts = {row["group"]: row["n"] for row in counted}
    return [{**row, "member_count": counts.get(row["id"], 0)} for row in rows], total


# --- changes -----------------------------------------------------------------------------


async def lock_group(group_id: int) -> bool:
    """Touch the group (core.freshness): False if there is no such group."""
    return await touch(Group, group_id) is not None


async def announce_answers(group_id: int, announced: bool) -> None:
    """Whether answers to the group's events are announced (Group.answers_announced), in
    a transaction that touched the group first (lock_group), as every write on it does."""
    await Group.update({Group.answers_announced: announced}).where(Group.id == group_id)


async def answers_announced(group_id: int) -> bool:
    row = await Group.select(Group.answers_announced).where(Group.id == group_id).first()
    return bool(row and row["answers_announced"])


async def insert_group(name: str, description: str, owner_id: int, now: datetime) -> int:
    rows = await Group.insert(
        Group(name=name, description=description, created_by=owner_id, created_at=now)
    ).returning(Group.id)
    group_id: int = rows[0]["id"]
    await add_member(group_id, owner_id, "owner", now)
    return group_id


async def update_group(group_id: int, changes: dict[Any, Any]) -> None:
    await Group.update(changes).where(Group.id == group_id)


async def delete_group(group_id: int) -> None:
    await Group.delete().where(Group.id == group_id)


async def add_member(group_id: int, user_id: int, role: str, now: datetime) -> None:
    await Membership.insert(Membership(group=group_id, user=user_id, role=role, joined_at=now))


async def set_role(group_id: int, user_id: int, role: str) -> None:
    await Membership.update({Membership.role: role}).where(
        (Membership.group == group_id) & (Membership.user == user_id)
    )


async def remove_member(group_id: int, user_id: int) -> None:
    await Membership.delete().where((Membership.group == group_id) & (Membership.user == user_id))


async def owner_count(group_id: int) -> int:
    return await Membership.count().where(
        (Membership.group == group_id) & (Membership.role == "owner")
    )


async def member_count(group_id: int) -> int:
    return await Membership.count().where(Membership.group == group_id)


# --- invites -------------------------------------------------------------------------------


async def insert_invite(values: dict[str, Any]) -> dict[str, Any]:
    rows = await Invite.insert(Invite(**values)).returning(*INVITE_COLUMNS)
    return rows[0]


async def invite_page(group_id: int, limit: int, offset: int, item: Any) -> Page[Any]:
    query = Invite.select(*INVITE_COLUMNS).order_by(Invite.id, ascending=False)
    return await fetch_page(query, Invite.group == group_id, limit, offset, item)


async def delete_invite(group_id: int, invite_id: int) -> bool:
    where = (Invite.id == invite_id) & (Invite.group == group_id)
    return bool(await Invite.delete().where(where).returning(Invite.id))


async def invite_by_code(code_hash: str) -> dict[str, Any] | None:
    return (
        await Invite.select(
            Invite.id, Invite.group, Invite.uses, Invite.max_uses, Invite.expires_at
        )
        .where(Invite.code_hash == code_hash)
        .first()
    )


async def use_invite(invite_id: int) -> None:
    await Invite.update({Invite.uses: Invite.uses + 1}).where(Invite.id == invite_id)
