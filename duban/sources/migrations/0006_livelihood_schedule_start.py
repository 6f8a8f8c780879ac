"""A livelihood project's task is behind schedule by its period, not by the day it was registered: its task's
``schedule_start`` is the period's start (set by ``livelihood_create`` from now on; here for the projects already
registered)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    LivelihoodProject = apps.get_model("sources", "LivelihoodProject")
    start = LivelihoodProject.objects.filter(task_id=OuterRef("pk")).values("period_start")[:1]
    Task.objects.filter(kind="livelihood", schedule_start__isnull=True,
                        pk__in=LivelihoodProject.objects.values("task_id")).update(schedule_start=Subquery(start))


class Migration(migrations.Migration):

    dependencies = [
        ("sources", "0005_pg_task_bigram_index"),
        ("tasks", "0021_task_schedule_start"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
