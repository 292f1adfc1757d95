"""Accounts: sign-up, profiles and API tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from rendezvous.accounts import announce, queries
from rendezvous.accounts.schemas import NewToken, SignUp, Token, User, UserCreate, UserUpdate
from rendezvous.accounts.tables import User as UserRow
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, NotFound
from rendezvous.core.geocoding import Geocoder, GeocodeResult
from rendezvous.core.schemas import Page
from rendezvous.core.tokens import hash_secret, new_secret

TOKEN_PREFIX = "rdv"  # noqa: S105 - a recognisable prefix, not a secret
MAX_TOKENS_PER_USER = 50


def same_address(a: str | None, b: str | None) -> bool:
    """Addresses compared as mail services compare them: without case."""
    return (a or "").casefold() == (b or "").casefold()


async def verify_email(user_id: int, email: str) -> bool:
    """Mark the user's e-mail verified if it is still `email`; whether it was. Called
    (in a transaction) by mail's verification link."""
    me = await queries.person(user_id)
    if me is None or not me["email"] or not same_address(me["email"], email):
        return False
    await queries.mark_email_verified(user_id)
    return True


def user_from_row(row: Mapping[str, Any]) -> User:
    return User(**{field: row[field] for field in User.__struct_fields__})


async def _issue_token(user_id: int, name: str) -> NewToken:
    token = new_secret(TOKEN_PREFIX)
    token_id = await queries.insert_token(user_id, name, hash_secret(token), datetime.now(UTC))
    return NewToken(id=token_id, name=name, token=token)


async def create_user(data: UserCreate, geocoder: Geocoder) -> SignUp:
    # Geocoding may call out to a network service: done before the write transaction.
    place = await geocoder.resolve(data.region) if data.region is not None else None
    return await _insert_user(data, place)


@transactional
async def _insert_user(data: UserCreate, place: GeocodeResult | None) -> SignUp:
    values: dict[str, Any] = {
        "name": data.name,
        "email": data.email,
        "region": data.region,
        "timezone": data.timezone or (place.timezone if place else None),
        "created_at": datetime.now(UTC),
    }
    if place is not None:
        values |= {
            "region_label": place.label,
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
    user = user_from_row(await queries.insert_user(values))
    if user.email is not None:
        await announce.email_set(user.id, user.email)
    token = await _issue_token(user.id, "first token")
    return SignUp(user=user, token=token.token)


@transactional
async def update_user(user_id: int, data: UserUpdate, place: GeocodeResult | None) -> User:
    """Change the fields sent; `place` is the geocoded `data.region` when one is sent.
    (rendezvous.flows.update_profile tells the member's groups.)"""
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[UserRow.name] = data.name
    email_changed = False
    if data.email is not msgspec.UNSET:
        changes[UserRow.email] = data.email
        before = await queries.person(user_id)
        # a new spelling of the same address stays verified
        email_changed = before is not None and not same_address(before["email"], data.email)
        if email_changed:
            changes[UserRow.email_verified] = False
    if data.email_notifications is not msgspec.UNSET:
        changes[UserRow.email_notifications] = data.email_notifications
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
    row = await queries.update_user(user_id, changes)
    if row is None:
        raise NotFound("User not found")
    user = user_from_row(row)
    if email_changed and user.email is not None:
        await announce.email_set(user.id, user.email)
    return user


@transactional
async def create_token(user_id: int, name: str) -> NewToken:
    if await queries.count_tokens(user_id) >= MAX_TOKENS_PER_USER:
        raise Conflict(
            f"You already have {MAX_TOKENS_PER_USER} tokens, the most allowed; revoke one first."
        )
    return await _issue_token(user_id, name)


async def list_tokens(user_id: int, limit: int, offset: int) -> Page[Token]:
    return await queries.token_page(user_id, limit, offset, Token)


@transactional
async def revoke_token(user_id: int, token_id: int) -> None:
    if not await queries.delete_token(user_id, token_id):
        raise NotFound("Token not found")
