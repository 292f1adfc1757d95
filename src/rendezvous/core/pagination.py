"""`limit` and `offset` query parameters, the same on every list."""

from typing import Annotated

from litestar.params import Parameter

from rendezvous.core.schemas import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, 1-{MAX_LIMIT}")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_ID, description="items to skip")]
