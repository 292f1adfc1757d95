"""Accounts: sign-up, bearer-token authentication, profile and token management."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from rendezvous.accounts.schemas import NewToken, SignUp, Token, User, UserCreate, UserUpdate
from rendezvous.accounts.tables import ApiToken
from rendezvous.accounts.tables import User as UserRow
from rendezvous.core.db import Row, fetch, transactional
from rendezvous.core.errors import Conflict, NotFound, Unauthenticated
from rendezvous.core.pagination import fetch_page
from rendezvous.core.schemas import Page
from rendezvous.core.tokens import hash_secret, new_secret
from rendezvous.geo.geocoder import CachedGeocoder
from rendezvous.geo.schemas import GeocodeResult

TOKEN_PREFIX = "rdv"  # noqa: S105 - a recognisable prefix, not a secret
MAX_TOKENS_PER_USER = 50
# last_used_at is a hint, not an audit log: refreshing it at most this often keeps
# authenticated reads from turning into writes.
LAST_USED_RESOLUTION = timedelta(minutes=5)

_USER_COLUMNS = (
    UserRow.id,
    UserRow.name,
    UserRow.email,
    UserRow.region,
    UserRow.region_label,
    UserRow.timezone,
    UserRow.created_at,
)


def _user(row: Row) -> User:
    return User(**{field: row[field] for field in User.__struct_fields__})


async def _issue_token(user_id: int, name: str) -> NewToken:
    token = new_secret(TOKEN_PREFIX)
    now = datetime.now(UTC)
    rows = await ApiToken.insert(
        ApiToken(user=user_id, name=name, token_hash=hash_secret(token), created_at=now)
    ).returning(ApiToken.id)
    return NewToken(id=rows[0]["id"], name=name, token=token)


async def create_user(data: UserCreate, geocoder: CachedGeocoder) -> SignUp:
    # Geocoding may call out to a network service: done before the write transaction.
    place = await geocoder.resolve(data.region) if data.region is not None else None
    return await _insert_user(data, place)


@transactional
async def _insert_user(data: UserCreate, place: GeocodeResult | None) -> SignUp:
    now = datetime.now(UTC)
    row = UserRow(
        name=data.name,
        email=data.email,
        region=data.region,
        timezone=data.timezone or (place.timezone if place else None),
        created_at=now,
    )
    if place is not None:
        row.region_label = place.label
        row.latitude = place.latitude
        row.longitude = place.longitude
    inserted = await UserRow.insert(row).returning(*_USER_COLUMNS)
    user = _user(inserted[0])
    token = await _issue_token(user.id, "first token")
    return SignUp(user=user, token=token.token)


class Authenticated(msgspec.Struct, frozen=True):
    user: User
    token_id: int


# The hottest query of all, on every authenticated request: written out, because
# Piccolo spends longer building a join than the database spends running it.
_AUTHENTICATE = (
    "SELECT t.id AS token_id, t.last_used_at, u.id, u.name, u.email, u.region, "
    'u.region_label, u.timezone, u.created_at FROM api_token t JOIN app_user u ON u.id = t."user" '
    "WHERE t.token_hash = {}"
)


async def authenticate(token: str) -> Authenticated | None:
    """Resolve a bearer token to its user in one query; None if unknown or revoked."""
    rows = await fetch(_AUTHENTICATE, hash_secret(token))
    if not rows:
        return None
    row = rows[0]
    await note_token_use(row["token_id"], row["last_used_at"])
    return Authenticated(user=_user(row), token_id=row["token_id"])


async def bearer_checked(row: Row | None) -> Row:
    """For the statements that check a bearer token beside what they read (`token_id`
    and `token_used_at` columns from api_token): Unauthenticated when the token matched
    no row; otherwise its use is recorded and the row returned."""
    if row is None:
        raise Unauthenticated("Invalid or revoked token")
    await note_token_use(row["token_id"], row["token_used_at"])
    return row


async def note_token_use(token_id: int, last_used_at: datetime | None) -> None:
    """Record that the token was used, to the nearest LAST_USED_RESOLUTION, so that most
    authenticated reads stay reads."""
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        await _touch_token(token_id, now)


@transactional
async def _touch_token(token_id: int, now: datetime) -> None:
    await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id)


async def update_user(user_id: int, data: UserUpdate, geocoder: CachedGeocoder) -> User:
    place = await geocoder.resolve(data.region) if isinstance(data.region, str) else None
    return await _update_user(user_id, data, place)


@transactional
async def _update_user(user_id: int, data: UserUpdate, place: GeocodeResult | None) -> User:
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[UserRow.name] = data.name
    if data.email is not msgspec.UNSET:
        changes[UserRow.email] = data.email
    if data.timezone is not msgspec.UNSET:
        changes[UserRow.timezone] = data.timezone
    if data.region is not msgspec.UNSET:
        changes[UserRow.region] = data.region
        changes[UserRow.region_label] = place.label if place else None
        changes[UserRow.latitude] = place.latitude if place else None
        changes[UserRow.longitude] = place.longitude if place else None
        # A move brings the new place's time zone, unless this request names one.
        if place and place.timezone and data.timezone is msgspec.UNSET:
            changes[UserRow.timezone] = place.timezone
    query = UserRow.update(changes) if changes else UserRow.update({UserRow.id: UserRow.id})
    rows = await query.where(UserRow.id == user_id).returning(*_USER_COLUMNS)
    if not rows:
        raise NotFound("User not found")
    # The member lists of the user's groups show their name, region and time zone.
    await fetch(
        'UPDATE friend_group SET revision = revision + 1 WHERE id IN (SELECT "group" '
        'FROM membership WHERE "user" = {})',
        user_id,
    )
    return _user(rows[0])


@transactional
async def create_token(user_id: int, name: str) -> NewToken:
    count = await ApiToken.count().where(ApiToken.user == user_id)
    if count >= MAX_TOKENS_PER_USER:
        raise Conflict(
            f"You already have {MAX_TOKENS_PER_USER} tokens, the most allowed; revoke one first."
        )
    return await _issue_token(user_id, name)


async def list_tokens(user_id: int, limit: int, offset: int) -> Page[Token]:
    query = ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.created_at, ApiToken.last_used_at
    ).order_by(ApiToken.id)
    return await fetch_page(query, ApiToken.user == user_id, limit, offset, Token)


@transactional
async def revoke_token(user_id: int, token_id: int) -> None:
    deleted = await (
        ApiToken.delete()
        .where((ApiToken.id == token_id) & (ApiToken.user == user_id))
        .returning(ApiToken.id)
    )
    if not deleted:
        raise NotFound("Token not found")
