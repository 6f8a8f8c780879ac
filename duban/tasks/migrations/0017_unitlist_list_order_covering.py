"""The list's order index carries the lead unit and the status after its unique id: a list filtered by one unit
walks it without reading the tasks' rows (key columns rather than INCLUDE, so that SQLite's index covers too)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0016_tally_drop_task_tally'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='task',
            name='task_list_order_idx',
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['-meeting_date', 'meeting_id', 'seq', 'id', 'lead_unit', 'status'], name='task_list_order_idx'),
        ),
    ]
