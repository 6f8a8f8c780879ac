"""Rows as the database driver returns them, for reads whose converters cost more than their SQL."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet


def plain_rows(qs: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset as the database driver returns them: the same SQL, without Django's
    converters, which cost more than the SQL itself on a dashboard's thousands of rows (a call per row). Only for
    columns whose driver values are the ORM's: ints, strings, dates (both drivers give ``date``); a datetime is
    read as text (``duban.followup.lights.UtcText``), which ``LightCodes.local_date`` dates itself."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
