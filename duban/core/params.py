"""Bounded types for API parameters. A date or number outside its range is refused with a 422 and a message
(the JSON envelope of ``duban.api``) before any handler runs: no parameter may buy minutes of CPU (a ``today`` in
year 1 walks 740,000 days of calendar) or reach the database as an out-of-range integer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from duban.core import rules

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = rules.MAX_ID

Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, description="2000-01-01 … 2099-12-31")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=rules.MAX_PAGE)]


class BoundedPagination(PageNumberPagination):
    """django-ninja's page-number pagination with bounded parameters: a page number past 100,000 or a page
    size past 500 is a 422, not an offset the database cannot hold (a 500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=rules.MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=500)
