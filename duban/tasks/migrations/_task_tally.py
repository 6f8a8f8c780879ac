"""The triggers of the former ``TaskTally`` (tasks per area and status, per lead unit and status), frozen here for
the migrations that create them (``0006_task_tally``) and drop them with the table (``tally_drop_task_tally``,
whose reverse makes them again). No code reads these counts any more: the counts kept per unit and light
(``duban.tasks.unit_tally``) took their place. Migrations run against future code, so this module is history and
does not change with the app (the loader skips modules whose name starts with "_").

How they worked: SQLite, a row trigger for each of insert, update of the three columns, delete, each an upsert of
one count per axis; PostgreSQL, statement triggers with transition tables (a 10,000-row ``COPY`` made one grouped
upsert), the changes of a statement summed per key and applied in key order."""

from __future__ import annotations

TABLE = "tasks_tasktally"
KEY = "axis, key, status"
# (axis, the task's column counted on it)
AXES = (("area", "area_id"), ("lead", "lead_unit_id"))
# Written out, not shared with ``duban.tasks.unit_tally``'s upkeep: that one changes with the app, this is history.
_DROP_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS tasks_tally_ai", "DROP TRIGGER IF EXISTS tasks_tally_au",
               "DROP TRIGGER IF EXISTS tasks_tally_ad"],
    "postgresql": ["DROP TRIGGER IF EXISTS tasks_tally_ins ON tasks_task",
                   "DROP TRIGGER IF EXISTS tasks_tally_upd ON tasks_task",
                   "DROP TRIGGER IF EXISTS tasks_tally_del ON tasks_task", "DROP FUNCTION IF EXISTS tasks_tally_apply()"],
}


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
    """Drop the triggers (and PostgreSQL's function), in the caller's transaction; the table stays."""
    with connection.cursor() as cursor:
        for sql in _DROP_SQL.get(connection.vendor, ()):
            cursor.execute(sql)
