"""A review queue read from indexes alone: the waiting reports' index carries their task's id, and a task's
issuing unit (which level supervises it) is probed in a covering index of the task ids (PostgreSQL; SQLite has
no INCLUDE and gets plain indexes)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0014_wb_report_due'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='progressreport',
            name='report_review_queue_idx',
        ),
        migrations.AddIndex(
            model_name='progressreport',
            index=models.Index(condition=models.Q(('status', 'submitted')), fields=['-request_close', 'created_at', 'id'], include=('task',), name='report_review_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['id'], include=('issuing_unit',), name='task_id_issuing_idx'),
        ),
    ]
