"""GET /health: is the service up, and can it reach its database?"""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.db.engines import ping
from rendezvous.core.schemas import ResponseBody


class Health(ResponseBody):
    status: str  # "ok" or "unavailable"
    database: str  # "ok" or "unavailable"


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(
        "/",
        operation_id="health",
        opt={EXCLUDE_FROM_AUTH: True},
        security=[{}],  # public: an empty requirement overrides the global bearer one
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(Health, description="Database unreachable")
        },
    )
    async def health(self, state: State) -> Response[Health]:
        """200 when the database answers, 503 when it does not."""
        if await ping(state.engine):
            return Response(Health(status="ok", database="ok"), status_code=HTTP_200_OK)
        return Response(
            Health(status="unavailable", database="unavailable"),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
