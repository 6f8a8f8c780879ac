"""Rows as the database driver returns them, for reads whose converters cost more than their SQL; short lists
read in one statement."""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet, Value, Window
from django.db.models.functions import RowNumber


def plain_rows(qs: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset as the database driver returns them: the same SQL, without Django's
    converters, which cost more than the SQL itself on a dashboard's thousands of rows (a call per row). Only for
    columns whose driver values are the ORM's: ints, strings, dates (both drivers give ``date``); a datetime is
    read as text (``duban.followup.lights.UtcText``), which ``LightCodes.local_date`` dates itself."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def lists_in_one(parts: dict[str, tuple[QuerySet, tuple]]) -> dict[str, list[tuple]]:
    """Short lists (a filter's choices) read in one statement instead of one each: ``parts`` maps a list's name to
    its queryset, in that list's order, and the columns wanted of it; the result maps the name to its rows in that
    order. A UNION ALL of the parts, each row with its list's name and its place in its list (``ROW_NUMBER`` over
    the part's order). The parts' columns must agree in number and type (pad with a typed
    ``Value(None, output_field=...)``); a part cannot be sliced (SQLite allows no LIMIT inside a compound
    statement): filter it by a sliced subquery of its ids instead. (The row number's alias is one no model's field
    has: an annotation may not take a field's name, and a hazard has a ``place``.)"""
    queries = [qs.values_list(Value(name), *columns).annotate(
        list_row_number=Window(RowNumber(), order_by=list(qs.query.order_by or qs.model._meta.ordering))).order_by()
        for name, (qs, columns) in parts.items()]
    lists: dict[str, list[tuple]] = {name: [] for name in parts}
    first, *rest = queries
    for name, *values, _place in sorted(first.union(*rest, all=True), key=lambda row: row[-1]):
        lists[name].append(tuple(values))
    return lists
