"""SQLite: an index on the last two characters of each searched column, so that a two-character word (燃气, 安全)
is looked up instead of found by reading every row.

The FTS5 trigram index finds a two-character word wherever a character follows it (the trigrams starting with the
word); a word ending the column is followed by nothing, and this index finds those rows
(``duban.sources.search._index_candidates``); the ``<fts>_vocab`` tables (``fts5vocab``, no data of
their own) list the index's trigrams, sorted, for finding those starting with the word. About 10 MB and 3.5 s to
build at 100k tasks and 500k progress reports. PostgreSQL: nothing (pg_trgm serves the search there). Like the
FTS triggers, these indexes are on other apps' tables and a table rebuild by Django's SQLite schema editor drops
them: ``ensure_search_index`` recreates them after every ``migrate``. The table list is the one of migration 0002
(a test keeps them equal).
"""

from django.db import migrations

TABLES = {
    "sources_fts_task": ("tasks_task", ("title", "text")),
    "sources_fts_report": ("tasks_progressreport", ("text",)),
    "sources_fts_meeting": ("meetings_meeting", ("title", "source_text")),
    "sources_fts_case": ("sources_inspectioncase", ("case_number", "complaint", "rectification")),
}


def _indexes():
    for table, columns in TABLES.values():
        for column in columns:
            yield f"sources_tail_{table}_{column}", table, column


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, table, column in _indexes():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (substr({column}, -2))")
    for fts in TABLES:
        schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts}_vocab USING fts5vocab({fts}, 'row')")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, _table, _column in _indexes():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for fts in TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {fts}_vocab")


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0002_search_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
