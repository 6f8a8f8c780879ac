"""``TaskTally`` upkeep: triggers on ``tasks_task`` that keep the count of tasks per (area, status) and per (lead
unit, status).

The triggers live in the database, not in ``actions.py``, because tasks are also written in bulk (the ledger
import's multi-row inserts and ``COPY``, ``duban seed-bench``, restores) and by plain ``UPDATE`` statements; a count
kept by Python would miss those. SQLite: a row trigger for each of insert, update of the three columns, delete, each
an upsert of one count per axis. PostgreSQL: statement triggers with transition tables, so a 10,000-row ``COPY``
makes one grouped upsert; the changes of a statement are summed per key first and applied in key order, so two
transactions never wait for each other's counts in opposite orders (no deadlock), and an update that moves nothing
(a progress report) writes no count.

Like the search index's triggers, SQLite's are dropped when Django's schema editor rebuilds ``tasks_task`` (a
later migration altering it), so ``ensure_task_tally`` runs after every ``migrate`` (and ``flush``) and recreates
them, recounting from the tasks. ``recount`` is also what the migration creating the table runs.
"""

from __future__ import annotations

TABLE = "tasks_tasktally"
KEY = "axis, key, status"
# (axis, the task's column counted on it)
AXES = (("area", "area_id"), ("lead", "lead_unit_id"))
_SQLITE_TRIGGERS = ("tasks_tally_ai", "tasks_tally_au", "tasks_tally_ad")
_PG_TRIGGERS = ("tasks_tally_ins", "tasks_tally_upd", "tasks_tally_del")


def _sqlite_add(row: str, delta: int) -> str:
    return " ".join(f"INSERT INTO {TABLE} ({KEY}, n) VALUES ('{axis}', coalesce({row}.{column}, 0), {row}.status, "
                    f"{delta}) ON CONFLICT ({KEY}) DO UPDATE SET n = n + {delta};" for axis, column in AXES)


def _trigger_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS tasks_tally_ai AFTER INSERT ON tasks_task BEGIN {_sqlite_add('new', 1)} END",
            (f"CREATE TRIGGER IF NOT EXISTS tasks_tally_au AFTER UPDATE OF lead_unit_id, area_id, status ON tasks_task "
             f"WHEN old.lead_unit_id IS NOT new.lead_unit_id OR old.area_id IS NOT new.area_id "
             f"OR old.status IS NOT new.status BEGIN {_sqlite_add('old', -1)} {_sqlite_add('new', 1)} END"),
            (f"CREATE TRIGGER IF NOT EXISTS tasks_tally_ad AFTER DELETE ON tasks_task "
             f"BEGIN {_sqlite_add('old', -1)} END"),
        ]
    if vendor == "postgresql":
        def delta(rows: str, sign: str) -> str:
            return " UNION ALL ".join(f"SELECT '{axis}', coalesce({column}, 0), status, {sign}1 FROM {rows}"
                                      for axis, column in AXES)

        def apply(*parts: str) -> str:
            return (f"INSERT INTO {TABLE} ({KEY}, n) SELECT k.x, k.k, k.s, sum(k.d) "
                    f"FROM ({' UNION ALL '.join(parts)}) AS k (x, k, s, d) GROUP BY 1, 2, 3 HAVING sum(k.d) <> 0 "
                    f"ORDER BY 1, 2, 3 ON CONFLICT ({KEY}) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n;")

        return [
            f"""CREATE OR REPLACE FUNCTION tasks_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {apply(delta('new_rows', '+'))}
  ELSIF TG_OP = 'UPDATE' THEN
    {apply(delta('old_rows', '-'), delta('new_rows', '+'))}
  ELSE
    {apply(delta('old_rows', '-'))}
  END IF;
  RETURN NULL;
END $$""",
            "DROP TRIGGER IF EXISTS tasks_tally_ins ON tasks_task",
            "DROP TRIGGER IF EXISTS tasks_tally_upd ON tasks_task",
            "DROP TRIGGER IF EXISTS tasks_tally_del ON tasks_task",
            ("CREATE TRIGGER tasks_tally_ins AFTER INSERT ON tasks_task REFERENCING NEW TABLE AS new_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_apply()"),
            ("CREATE TRIGGER tasks_tally_upd AFTER UPDATE ON tasks_task REFERENCING OLD TABLE AS old_rows "
             "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_apply()"),
            ("CREATE TRIGGER tasks_tally_del AFTER DELETE ON tasks_task REFERENCING OLD TABLE AS old_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_tally_apply()"),
        ]
    raise NotImplementedError(vendor)


def recount(cursor) -> None:
    """Count every task again (the table as the triggers would have kept it from the start)."""
    cursor.execute(f"DELETE FROM {TABLE}")
    for axis, column in AXES:
        cursor.execute(f"INSERT INTO {TABLE} ({KEY}, n) SELECT '{axis}', coalesce({column}, 0), status, count(*) "
                       f"FROM tasks_task GROUP BY 2, 3")


def install(connection) -> None:
    """Create (or replace) the triggers and recount, in the caller's transaction."""
    with connection.cursor() as cursor:
        for sql in _trigger_sql(connection.vendor):
            cursor.execute(sql)
        recount(cursor)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON tasks_task")
            cursor.execute("DROP FUNCTION IF EXISTS tasks_tally_apply()")


def ensure_task_tally(using: str = "default") -> bool:
    """Recreate missing triggers (SQLite) and count again when the counts do not add up; True if it had to.

    Runs after every ``migrate`` and every ``flush`` (both send ``post_migrate``): SQLite drops triggers with a
    rebuilt table, and a flush empties the tables in any order, so deleting the tasks after their counts leaves
    negative counts behind."""
    from django.db import connections

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if TABLE not in tables or "tasks_task" not in tables:
        return False  # the migrations creating them have not run yet
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            if not set(_SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}:
                install(connection)
                return True
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM tasks_task), (SELECT coalesce(sum(n), 0) FROM {TABLE} "
                       f"WHERE axis = 'area'), (SELECT count(*) FROM {TABLE} WHERE n < 0)")
        tasks, counted, negative = cursor.fetchone()
        if tasks == counted and not negative:
            return False
        recount(cursor)
    return True
