"""PostgreSQL's plan for a query as it would be priced at scale.

A test's handful of rows makes a sequential scan, a bitmap scan or another index plus a sort the cheapest plan;
with all three switched off (switched off only makes them dear) the plan shows whether an index serves the
query's filter and its ORDER BY. A plan that still sorts has no index serving the order."""

from __future__ import annotations

from django.db import connection


def scale_plan(queryset) -> str:
    """The EXPLAIN text of ``queryset`` with sequential scans, bitmap scans and sorts priced out (PostgreSQL only;
    the settings are LOCAL, so they end with the test's transaction)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(str(row[0]) for row in cursor.fetchall())
