"""SQLite's index of the tasks' tree paths for prefix matches (a subtree: ``tree_path__startswith``).

Django spells ``startswith`` on SQLite as ``LIKE 'p%' ESCAPE '\\'``, which ignores ASCII case, and SQLite reads an
index for such a LIKE only when the index compares without case too (its "LIKE optimization"): the field's own
index (BINARY) is never used for it, so every subtree read scanned the whole table (a million tasks: 1.5 s for a
task list page's roll-up of its split tasks). Tree paths are digits and slashes, so NOCASE orders them as BINARY
does. PostgreSQL needs nothing of this (Django gives the field a ``varchar_pattern_ops`` index there).

Created by the migration and again after every ``migrate`` when missing: Django's SQLite schema editor rebuilds
``tasks_task`` to alter it, which drops every index the model does not declare (a model cannot declare a
collation that only one of the two databases has)."""

from __future__ import annotations

TREE_PATH_INDEX = "task_tree_path_nocase_idx"
CREATE_TREE_PATH_INDEX = f"CREATE INDEX IF NOT EXISTS {TREE_PATH_INDEX} ON tasks_task (tree_path COLLATE NOCASE)"


def ensure_tree_path_index(using: str = "default") -> bool:
    """Create the index on SQLite when the tasks table lacks it; True if it had to."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite" or "tasks_task" not in set(conn.introspection.table_names()):
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [TREE_PATH_INDEX])
        if cursor.fetchone():
            return False
        cursor.execute(CREATE_TREE_PATH_INDEX)
    return True
