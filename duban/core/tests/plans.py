"""Plans of queries as they would be priced at scale: PostgreSQL's (``scale_plan``) and SQLite's (``sqlite_plan``).

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


def sqlite_plan(sql: str, stats: list[tuple[str, str, str]], params=None) -> list[str]:
    """SQLite's ``EXPLAIN QUERY PLAN`` lines for ``sql`` (parameters inlined, as the captured SQL has them, or bound
    from ``params``, as Django runs it: SQLite proves a partial index's ``IN`` condition against literals only) with
    ``stats`` as the planner's statistics: ``sqlite_stat1`` rows (table, index, "rows, then rows per distinct
    value") taken at a million tasks, in place of the test's few rows for those tables. The statistics are
    removed again after."""
    tables = sorted({table for table, _index, _stat in stats})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # makes sqlite_stat1, whose rows for these tables are then the million's
        cursor.execute(f"DELETE FROM sqlite_stat1 WHERE tbl IN ({', '.join('%s' for _ in tables)})", tables)
        cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", stats)
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again
        try:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [str(row[-1]) for row in cursor.fetchall()]
        finally:
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.execute("ANALYZE sqlite_schema")
