"""Adds ``Task.report_due`` (each working task's next progress report due, kept by the actions and the nightly
follow-up pass) with its index, and fills it; indexes for the other counts of a unit's 工作台.

The fill imports the rule from ``duban.tasks.report_due`` instead of restating it, an exception to the rule that
data migrations import nothing from duban: the due date counts working days on the official holiday calendar, and
a copy here would be a second statement of it that could disagree with the lights. The function reads only the
historical rows' columns. Batched by id and rerunnable (it recomputes every time); the reverse drops the column."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from duban.tasks.report_due import report_due_refresh_all

    report_due_refresh_all(apps.get_model("tasks", "Task"))


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0013_counts_unit_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="report_due",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(condition=models.Q(("report_due__isnull", False)), fields=["report_due", "id"],
                               include=("lead_unit", "issuing_unit", "status"), name="task_report_due_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(condition=models.Q(("status__in", ("assigned", "accepted", "in_progress"))),
                               fields=["deadline", "id"], include=("status", "lead_unit", "issuing_unit"),
                               name="task_supervised_dl_idx"),
        ),
        migrations.AddIndex(
            model_name="progressreport",
            index=models.Index(fields=["task", "unit"], include=("status",), name="report_task_unit_idx"),
        ),
        migrations.AddIndex(
            model_name="progressreport",
            index=models.Index(condition=models.Q(("request_close", True), ("status", "returned")), fields=["id"],
                               name="report_close_returned_idx"),
        ),
        # a scope's cooperations as (unit, task) from the index alone (the table's own indexes are one column each,
        # or task first): every count of a unit's scope hashes its cooperating tasks' ids
        migrations.RunSQL("CREATE INDEX tasks_coop_unit_task_idx ON tasks_task_coop_units (unit_id, task_id)",
                          "DROP INDEX tasks_coop_unit_task_idx"),
    ]
