# Indexes of the reports dashboard: one covering grouped pass, and closed_at ranges.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_auditevent_notification_links'),
        ('meetings', '0001_initial'),
        ('tasks', '0003_task_meeting_date_list_order_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['lead_unit', 'area', 'status', 'deadline'], name='task_lead_area_status_dl_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['status', 'closed_at'], name='task_status_closed_idx'),
        ),
    ]
