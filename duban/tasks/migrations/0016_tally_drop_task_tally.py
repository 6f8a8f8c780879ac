"""Drop ``TaskTally`` (tasks per area and status, per lead unit and status) and the triggers on ``tasks_task`` that
kept it: no page reads it since the counts kept per unit and light (``UnitTally``) took its place, yet every task
write paid for it. The triggers go first (a SQLite trigger naming a dropped table would fail every later write).
Reversible: the reverse makes the table again, then the triggers (frozen in ``_task_tally``), counting every task."""

from django.db import migrations


def drop_triggers(apps, schema_editor):
    from duban.tasks.migrations import _task_tally

    _task_tally.uninstall(schema_editor.connection)


def make_triggers(apps, schema_editor):
    from duban.tasks.migrations import _task_tally

    _task_tally.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0015_review_queue_covering"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, make_triggers),
        migrations.DeleteModel(name="TaskTally"),
    ]
