"""PostgreSQL: a GIN index of the two-character substrings (bigrams) of each progress report's text, so a
two-character word (燃气, 安全) is looked up instead of found by reading every report.

pg_trgm indexes three characters and cannot look up two, so a rare two-character word read all 500k reports
(210 ms at 100k tasks). ``duban_bigrams(text)`` lists a text's bigrams (GIN removes repeats); a two-character word
is in a text exactly when it is one of them (``duban.sources.search._index_candidates``). 10 MB and 10 s to
build at 500k reports; ~20 µs a report written. Only the reports: task texts are longer and a 10k-row ledger
import would pay ~2 s for theirs, and a walk of the newest tasks finds a word within 100k tasks in < 0.1 s.
SQLite: nothing (migration 0003 serves it there).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION duban_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i)
$$
"""
INDEX = "sources_bigram_tasks_progressreport_text"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON tasks_progressreport "
                          f"USING gin (duban_bigrams(text))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("DROP FUNCTION IF EXISTS duban_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0003_search_column_tail_index"),
        ("tasks", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
