"""SQLite: what a unit's scope tests as key columns of four indexes (``duban.tasks.sqlite_indexes.SCOPE_INDEXES``,
which also recreates them after a table rebuild), where PostgreSQL reads the model's ``INCLUDE`` columns. Nothing on
PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    from duban.tasks.sqlite_indexes import SCOPE_INDEXES, create_indexes

    create_indexes(schema_editor, SCOPE_INDEXES)


def drop(apps, schema_editor):
    from duban.tasks.sqlite_indexes import SCOPE_INDEXES, drop_indexes

    drop_indexes(schema_editor, SCOPE_INDEXES)


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0019_unitkeys_lead_order"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
