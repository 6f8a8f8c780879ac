
import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CIRCULAR_EXPORTED = 614  # duban.core.audit.EventType (a migration imports nothing from duban)


def keep_the_numbers_given(apps, schema_editor):
    """The 督查通报 generated before numbers were kept took theirs from a count of their audit events: each serial
    so given stays taken (under a subject no document asks for, ``audit:<event id>``), and the next document of its
    year continues after it. Rerunnable: a serial already kept is skipped. (The briefings were numbered by their
    meeting's id, which a 督查通报 could have taken as well; those are not reserved.)"""
    AuditEvent = apps.get_model("core", "AuditEvent")
    DocumentNumber = apps.get_model("reports", "DocumentNumber")
    events = (AuditEvent.objects.filter(event_type=CIRCULAR_EXPORTED).order_by("id")
              .values_list("id", "actor_id", "created_at", "extra"))
    for event_id, actor_id, created_at, extra in events.iterator(chunk_size=1000):
        serial, year = (extra or {}).get("serial"), (extra or {}).get("year")
        if not isinstance(serial, int) or not isinstance(year, int):
            continue
        scope = extra.get("subtree") or 0
        if DocumentNumber.objects.filter(scope=scope, year=year, serial=serial).exists():
            continue
        day = created_at.date() if created_at.year == year else dt.date(year, 12, 31)
        DocumentNumber.objects.create(scope=scope, year=year, serial=serial, kind="circular",
                                      subject=f"audit:{event_id}", day=day, issued_by_id=actor_id)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_levels_unit_supervisor'),
        ('reports', '0003_admin_score_rules_and_adjustments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentNumber',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.IntegerField(default=0)),
                ('year', models.IntegerField()),
                ('serial', models.PositiveIntegerField()),
                ('kind', models.CharField(max_length=20)),
                ('subject', models.CharField(blank=True, max_length=100)),
                ('day', models.DateField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '发文字号',
                'verbose_name_plural': '发文字号',
                'ordering': ['scope', 'year', 'serial'],
                'constraints': [models.UniqueConstraint(fields=('scope', 'year', 'serial'), name='document_number_unique_serial'), models.UniqueConstraint(fields=('scope', 'kind', 'subject', 'day'), name='document_number_once_a_day')],
            },
        ),
        migrations.RunPython(keep_the_numbers_given, migrations.RunPython.noop),
    ]
