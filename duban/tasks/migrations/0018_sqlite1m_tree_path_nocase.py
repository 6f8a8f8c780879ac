"""SQLite: the tasks' tree paths indexed without case, so that a subtree read (``LIKE 'prefix%'``) uses an index
(``duban.tasks.sqlite_indexes``, which also recreates it after a table rebuild; imported here so the statement is
written once). Nothing on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    from duban.tasks.sqlite_indexes import CREATE_TREE_PATH_INDEX

    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE_TREE_PATH_INDEX)


def drop(apps, schema_editor):
    from duban.tasks.sqlite_indexes import TREE_PATH_INDEX

    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TREE_PATH_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0017_unitlist_list_order_covering"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
