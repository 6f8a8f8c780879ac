"""Two indexes that serve an order at a province's scale: the task list filtered by status alone, and the office's
queue of progress reports to review."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0010_subtree_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='progressreport',
            index=models.Index(condition=models.Q(('status', 'submitted')), fields=['-request_close', 'created_at', 'id'], name='report_review_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['status', '-meeting_date', 'meeting_id', 'seq', 'id'], name='task_status_order_idx'),
        ),
    ]
