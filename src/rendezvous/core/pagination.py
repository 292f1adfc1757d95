"""`limit` and `offset`: the same query parameters and page shape on every list."""

from collections.abc import Callable
from typing import Annotated, TypeVar

from litestar.params import Parameter
from piccolo.columns.combination import Combinable
from piccolo.query import Select

from rendezvous.core.schemas import MAX_ID, Page

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, 1-{MAX_LIMIT}")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_ID, description="items to skip")]


async def fetch_page(
    query: Select,
    where: Combinable,
    limit: int,
    offset: int,
    item: Callable[..., T],
) -> Page[T]:
    """One page of `query` filtered by `where`, with the total count of matching rows."""
    rows = await query.where(where).limit(limit).offset(offset)
    total = await query.table.count().where(where)
    return Page(items=[item(**row) for row in rows], limit=limit, offset=offset, total=total)
