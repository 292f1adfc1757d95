"""HTTP handlers for a group's chat webhooks (owners and admins)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.accounts.server_key import ServerKey
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.schemas import Page
from rendezvous.groups.guards import requires_group_admin
from rendezvous.groups.schemas import GroupId
from rendezvous.webhooks import services
from rendezvous.webhooks.schemas import Delivery, NewWebhook, Webhook, WebhookCreate, WebhookId
from rendezvous.webhooks.sealing import Sealer


class WebhookController(Controller):
    path = "/groups/{group_id:int}/webhooks"
    tags = ["webhooks"]

    @post(
        "/",
        operation_id="createWebhook",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404, 409, 413, 422),
    )
    async def create_webhook(
        self,
        request: AuthedRequest,
        group_id: GroupId,
        server_key: NamedDependency[ServerKey],
        data: JSONBody[WebhookCreate],
    ) -> NewWebhook:
        """Connect a chat: the group's news is posted to `url`. A generic webhook's
        signing `secret` is shown this once."""
        return await services.add_webhook(group_id, request.user.id, data, Sealer(server_key))

    @get(
        "/",
        operation_id="listWebhooks",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404),
    )
    async def list_webhooks(self, group_id: GroupId) -> Page[Webhook]:
        """The group's webhooks, oldest first, their URLs masked."""
        return await services.list_webhooks(group_id)

    @delete(
        "/{webhook_id:int}",
        operation_id="deleteWebhook",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404),
    )
    async def delete_webhook(self, group_id: GroupId, webhook_id: WebhookId) -> None:
        """Disconnect a chat; its deliveries still waiting are dropped."""
        await services.delete_webhook(group_id, webhook_id)

    @get(
        "/{webhook_id:int}/deliveries",
        operation_id="listWebhookDeliveries",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404),
    )
    async def list_deliveries(
        self,
        group_id: GroupId,
        webhook_id: WebhookId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[Delivery]:
        """A webhook's deliveries, newest first: pending, delivered or failed, with the
        attempts made and the last HTTP status."""
        return await services.list_deliveries(group_id, webhook_id, limit, offset)
