"""Task counts per (area, status) and per (lead unit, status), kept by triggers on tasks_task
(``duban.tasks.tally``), counted once from the tasks here. The triggers are the ones ``duban.tasks.tally`` defines
at the time the migration runs, as ``ensure_task_tally`` recreates them after every migrate anyway (SQLite drops
them when it rebuilds the table)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from duban.tasks import tally

    tally.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from duban.tasks import tally

    tally.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_open_deadline_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("axis", models.CharField(max_length=4)),
                ("key", models.BigIntegerField()),
                ("status", models.CharField(max_length=20)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("axis", "key", "status"), name="task_tally_key")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
