"""Bounded types for API parameters. A date or number outside its range is refused with a 422 and a message
(the JSON envelope of ``duban.api``) before any handler runs: no parameter may buy minutes of CPU (a ``today`` in
year 1 walks 740,000 days of calendar) or reach the database as an out-of-range integer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = 2**31 - 1

Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, description="2000-01-01 … 2099-12-31")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=100_000)]
