"""Task.meeting_date (a copy of the meeting's date, the list's sort key) filled for existing tasks, and the indexes
that serve the task list's order."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_auditevent_notification_links'),
        ('meetings', '0001_initial'),
        ('tasks', '0002_task_add_deadline_covering_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='meeting_date',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        # Portable SQL (SQLite and PostgreSQL): a correlated subquery, one indexed lookup per task.
        migrations.RunSQL(
            "UPDATE tasks_task SET meeting_date = (SELECT m.date FROM meetings_meeting m "
            "WHERE m.id = tasks_task.meeting_id) WHERE meeting_id IS NOT NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['-meeting_date', 'meeting_id', 'seq', 'id'], name='task_list_order_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['status', 'area', '-meeting_date', 'meeting_id', 'seq', 'id'], name='task_status_area_order_idx'),
        ),
    ]
