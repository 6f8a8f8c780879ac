"""Indexes only SQLite has, where it needs an index the model cannot declare for both databases.

The tasks' tree paths for prefix matches (a subtree: ``tree_path__startswith``). Django spells ``startswith`` on
SQLite as ``LIKE 'p%' ESCAPE '\\'``, which ignores ASCII case, and SQLite reads an index for such a LIKE only when the
index compares without case too (its "LIKE optimization"): the field's own index (BINARY) is never used for it, so
every subtree read scanned the whole table (a million tasks: 1.5 s for a task list page's roll-up of its split
tasks). Tree paths are digits and slashes, so NOCASE orders them as BINARY does. PostgreSQL needs nothing of this
(Django gives the field a ``varchar_pattern_ops`` index there).

What a unit's scope tests, as key columns (``SCOPE_INDEXES``). PostgreSQL reads a unit's 工作台 sections from the
model's indexes alone through their ``INCLUDE`` columns, which SQLite does not have: there each index entry was
looked up in the table to test the scope (lead unit, issuing unit, status), and two partial indexes on a list of
statuses are never chosen, since SQLite proves a partial index's ``IN`` condition only against literals and Django
binds every value as a parameter. A county at a million tasks: 即将到期 read ~16,500 supervised tasks' rows twice
(its first rows and its count, 115 ms), 待报送 the tasks with a report due (39 ms), 待报送配合意见 the 30,000 tasks
the county cooperates on, then its filed parts' report rows (120 ms). With these, each reads index entries only.

Created by the migrations and again after every ``migrate`` when missing: Django's SQLite schema editor rebuilds a
table to alter it, which drops every index the model does not declare (a model cannot declare a collation that only
one of the two databases has, nor an index on one database only)."""

from __future__ import annotations

TREE_PATH_INDEX = "task_tree_path_nocase_idx"
CREATE_TREE_PATH_INDEX = f"CREATE INDEX IF NOT EXISTS {TREE_PATH_INDEX} ON tasks_task (tree_path COLLATE NOCASE)"

# name -> CREATE statement; each serves the 工作台 section named in its comment (``duban.workbench.selectors``)
SCOPE_INDEXES = {
    # 即将到期 (supervised tasks due within days): a status range each, scope columns beside the deadline
    "task_status_dl_scope_idx":
        "CREATE INDEX IF NOT EXISTS task_status_dl_scope_idx "
        "ON tasks_task (status, deadline, lead_unit_id, issuing_unit_id)",
    # 待报送 (report due within days), in its order; only the tasks with a due
    "task_report_due_scope_idx":
        "CREATE INDEX IF NOT EXISTS task_report_due_scope_idx "
        "ON tasks_task (report_due, id, lead_unit_id, issuing_unit_id, status) WHERE report_due IS NOT NULL",
    # 待报送配合意见: each task the scope cooperates on, tested (status, lead unit) and ordered (deadline) by id
    "task_id_scope_idx": "CREATE INDEX IF NOT EXISTS task_id_scope_idx ON tasks_task (id, status, lead_unit_id, deadline)",
    # whether a unit filed its part of a task (``parts_filed_by``): the report's status beside task and unit
    "report_task_unit_status_idx":
        "CREATE INDEX IF NOT EXISTS report_task_unit_status_idx ON tasks_progressreport (task_id, unit_id, status)",
}
INDEXES = {TREE_PATH_INDEX: CREATE_TREE_PATH_INDEX, **SCOPE_INDEXES}


def create_indexes(schema_editor, names) -> None:
    """Create the named indexes on SQLite (a migration's step), with their statistics when the database keeps
    some (``ANALYZE`` ran on it): an index without them is priced by SQLite's defaults beside the others' real
    figures. Nothing on PostgreSQL."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in names:
        schema_editor.execute(INDEXES[name])
    _analyze(schema_editor.connection, names)


def drop_indexes(schema_editor, names) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def _analyze(conn, names) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone():
            for name in names:
                cursor.execute(f"ANALYZE {name}")


def ensure_sqlite_indexes(using: str = "default") -> list[str]:
    """Create the indexes of ``INDEXES`` that SQLite lacks (after a table rebuild); the names it had to create."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return []
    tables = set(conn.introspection.table_names())
    if not {"tasks_task", "tasks_progressreport"} <= tables:
        return []
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        present = {name for name, in cursor.fetchall()}
        missing = [name for name in INDEXES if name not in present]
        for name in missing:
            cursor.execute(INDEXES[name])
    _analyze(conn, missing)
    return missing


def ensure_tree_path_index(using: str = "default") -> bool:
    """Create the missing SQLite-only indexes; True if the tree paths' index was among them."""
    return TREE_PATH_INDEX in ensure_sqlite_indexes(using)
