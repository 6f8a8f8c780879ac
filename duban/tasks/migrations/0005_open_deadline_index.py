"""The open tasks by deadline (a partial index): the first late ones in order without sorting every late task, and
the office's late counts from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0004_reports_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("status__in", ["assigned", "accepted", "in_progress", "close_requested", "returned"])),
                fields=["deadline", "id", "status", "lead_unit", "area"],
                name="task_open_deadline_idx",
            ),
        ),
    ]
