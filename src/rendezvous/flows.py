"""Changes that reach across slices, each in one transaction, with their routes.

- Deleting a group (DELETE /groups/{id}): webhooks drops its chats' deliveries still
  waiting, groups deletes the group (its events, destinations and the rest go with it).
- A member leaving or being removed (DELETE /groups/{id}/members/{user_id}): groups drops
  the membership, events withdraws their answers (passing their seats on) and votes.
- A profile edit (PATCH /me): accounts changes the person, and each of their groups is
  touched (core.freshness), since member lists and meeting points show a member's name,
  region and time zone.
"""

from __future__ import annotations

from litestar import delete, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from rendezvous.accounts import services as accounts
from rendezvous.accounts.schemas import AuthedRequest, User, UserUpdate
from rendezvous.core.db.transactions import transactional
from rendezvous.core.geocoding import Geocoder, GeocodeResult
from rendezvous.core.openapi import errors
from rendezvous.events import rsvps as events
from rendezvous.groups import queries as groups_queries
from rendezvous.groups import services as groups
from rendezvous.groups.guards import requires_group_owner, requires_member
from rendezvous.groups.schemas import GroupId, MemberId
from rendezvous.webhooks import services as webhooks


@transactional
async def delete_group(group_id: int) -> None:
    await webhooks.forget_group(group_id)
    await groups.delete_group(group_id)


@transactional
async def remove_member(group_id: int, actor_id: int, target_id: int) -> None:
    """Leave (actor == target) or remove someone, with their answers and votes."""
    await groups.remove_member(group_id, actor_id, target_id)
    await events.forget_member(group_id, target_id)


async def update_profile(user_id: int, data: UserUpdate, geocoder: Geocoder) -> User:
    # Geocoding may call out to a network service: done before the write transaction.
    place = await geocoder.resolve(data.region) if isinstance(data.region, str) else None
    return await _update_profile(user_id, data, place)


@transactional
async def _update_profile(user_id: int, data: UserUpdate, place: GeocodeResult | None) -> User:
    user = await accounts.update_user(user_id, data, place)
    for group_id in await groups_queries.group_ids_of(user_id):  # by id: no deadlocks
        await groups_queries.lock_group(group_id)
    return user


@patch("/me", operation_id="updateMe", tags=["users"], responses=errors(400, 401, 413, 422))
async def update_me(
    request: AuthedRequest, data: JSONBody[UserUpdate], geocoder: NamedDependency[Geocoder]
) -> User:
    """Change name, e-mail, region or time zone; null clears an optional field. A new
    region is geocoded (422 if no place matches it, and nothing changes); it brings its
    time zone unless `timezone` is sent too."""
    return await update_profile(request.user.id, data, geocoder)


@delete(
    "/groups/{group_id:int}",
    operation_id="deleteGroup",
    tags=["groups"],
    guards=[requires_group_owner],
    responses=errors(400, 401, 403, 404),
)
async def delete_group_route(group_id: GroupId) -> None:
    """Delete a group with its members, invites, events and chat webhooks (owners)."""
    await delete_group(group_id)


@delete(
    "/groups/{group_id:int}/members/{user_id:int}",
    operation_id="removeMember",
    tags=["groups"],
    guards=[requires_member],
    responses=errors(400, 401, 403, 404, 409),
)
async def leave_or_remove(request: AuthedRequest, group_id: GroupId, user_id: MemberId) -> None:
    """Leave (your own user id) or remove a member: owners remove anyone, admins remove
    plain members. The last owner cannot leave (409). Their answers to the group's events
    are withdrawn, and any seat they held passes to the waitlist."""
    await remove_member(group_id, request.user.id, user_id)


ROUTES = [update_me, delete_group_route, leave_or_remove]
