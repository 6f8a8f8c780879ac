"""PostgreSQL: a GIN index of the two-character substrings (bigrams) of each task's title and text together, so a
two-character word that few tasks hold is looked up instead of found by reading every task.

Migration 0004 left the tasks out: a walk of the newest tasks found a word within 100k tasks in under 0.1 s. At a
province's million tasks a word that no task holds (a place, a company, a person's name) read them all: 365 ms
for the seed's short texts, more for real ones. One index of ``title || ' ' || text`` (the space keeps a bigram
from spanning the two), not one a column: a word is then one lookup a spelling. 40 MB and ~20 s to build at a
million tasks. SQLite: nothing (its trigram index and column tails serve it, migration 0003).
"""

from django.db import migrations

EXPRESSION = "title || ' ' || text"  # duban.sources.search.BIGRAM_KINDS names it too: the planner matches the text
INDEX = "sources_bigram_tasks_task_title_text"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON tasks_task USING gin (duban_bigrams({EXPRESSION}))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0004_pg_report_bigram_index"),
        ("tasks", "0020_sqlite300_scope_keys"),
    ]

    operations = [migrations.RunPython(create, drop)]
