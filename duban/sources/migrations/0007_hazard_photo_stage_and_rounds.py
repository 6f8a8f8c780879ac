"""A hazard's files say which step they document (发现, 整改, 复查) and which rectification round; a hazard counts
its rectifications. Hazards rectified before this count one round (at least one was reported); their files keep no
step, as nothing recorded it."""

from django.db import migrations, models


def count_one_round_for_rectified(apps, schema_editor):
    Hazard = apps.get_model("sources", "Hazard")
    Hazard.objects.filter(rectified_at__isnull=False, rectification_rounds=0).update(rectification_rounds=1)


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0006_livelihood_schedule_start'),
    ]

    operations = [
        migrations.AddField(
            model_name='attachment',
            name='hazard_round',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='轮次'),
        ),
        migrations.AddField(
            model_name='attachment',
            name='hazard_stage',
            field=models.CharField(blank=True, choices=[('found', '发现'), ('rectification', '整改'), ('review', '复查')], max_length=20, verbose_name='环节'),
        ),
        migrations.AddField(
            model_name='hazard',
            name='rectification_rounds',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='整改轮次'),
        ),
        migrations.RunPython(count_one_round_for_rectified, migrations.RunPython.noop),
    ]
