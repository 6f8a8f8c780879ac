"""Task counts per (area, status) and per (lead unit, status), kept by triggers on tasks_task, counted once from
the tasks here. The triggers are frozen in ``_task_tally`` (beside this file), as they were when a later migration
dropped them with the table."""

from django.db import migrations, models


def install(apps, schema_editor):
    from duban.tasks.migrations import _task_tally

    _task_tally.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from duban.tasks.migrations import _task_tally

    _task_tally.uninstall(schema_editor.connection)


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
