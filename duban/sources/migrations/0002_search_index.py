"""Full-text search over meetings, tasks, progress reports and inspection cases, per database vendor.

SQLite: one FTS5 table per searched table, tokenizer ``trigram`` (substring match for Chinese, which has no spaces
between words), as an *external content* table over the real rows, kept in sync by triggers. Triggers, not actions,
because the index is derived data and the rows it covers are written by other apps' actions (task_create,
task_update, task_merge/split, report_submit, meeting_import, bulk loaders): a trigger cannot be forgotten by the
next writer, runs inside the writer's transaction, and rolls back with it.

PostgreSQL: the ``pg_trgm`` extension and GIN trigram indexes on the same columns, which serve ``ILIKE '%…%'``
directly, so no separate index table or trigger is needed.

The searched tables and columns are listed in ``duban.sources.search.SEARCH_TABLES`` too (the migration imports
nothing from duban, by rule; keep the two lists equal: a test checks).
"""

from django.db import migrations

TABLES = {
    # fts name: (content table, columns)
    "sources_fts_task": ("tasks_task", ("title", "text")),
    "sources_fts_report": ("tasks_progressreport", ("text",)),
    "sources_fts_meeting": ("meetings_meeting", ("title", "source_text")),
    "sources_fts_case": ("sources_inspectioncase", ("case_number", "complaint", "rectification")),
}


def _sqlite_statements():
    for fts, (table, columns) in TABLES.items():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        yield (f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
               f"tokenize='trigram')")
        yield (f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
        yield (f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
        # Only a change of an indexed column touches the index; status and version bumps do not.
        yield (f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
        yield f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"


def _sqlite_drop():
    for fts in TABLES:
        for suffix in ("ai", "ad", "au"):
            yield f"DROP TRIGGER IF EXISTS {fts}_{suffix}"
        yield f"DROP TABLE IF EXISTS {fts}"


def _pg_statements():
    yield "CREATE EXTENSION IF NOT EXISTS pg_trgm"
    for fts, (table, columns) in TABLES.items():
        for column in columns:
            yield (f"CREATE INDEX IF NOT EXISTS {fts}_{column}_trgm ON {table} "
                   f"USING gin ({column} gin_trgm_ops)")


def _pg_drop():
    for fts, (_table, columns) in TABLES.items():
        for column in columns:
            yield f"DROP INDEX IF EXISTS {fts}_{column}_trgm"


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            return  # another database: search falls back to plain substring matching
        for sql in statements():
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0001_sources_records_and_phrases"),
        ("tasks", "0001_initial"),
        ("meetings", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run({"sqlite": _sqlite_statements, "postgresql": _pg_statements}),
                             _run({"sqlite": _sqlite_drop, "postgresql": _pg_drop})),
    ]
