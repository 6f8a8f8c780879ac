"""The API's page-number pagination with bounded numbers: a page beyond ``rules.MAX_PAGE`` or a page size beyond
1000 is refused with the validation envelope (422) instead of reaching the database as an offset it cannot hold."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from duban.core import rules


class BoundedPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=rules.MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)
