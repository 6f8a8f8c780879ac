"""Tasks counted per unit, status and light for a day (``UnitTally``), valid while their unit's stamp says so
(``UnitTallyStamp``), whose version the triggers of ``duban.tasks.unit_tally`` raise on every write of a task or a
cooperation, a scope's kept sum (``UnitTallyScope``), and an index for the dashboard's weekly counts. Nothing is
counted here: every unit starts stale and is counted by its first reader or the next follow-up pass, so the
migration is quick at a million tasks."""

from django.db import migrations, models


def install(apps, schema_editor):
    from duban.tasks import unit_tally

    unit_tally.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from duban.tasks import unit_tally

    unit_tally.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0012_rollup_rolled_progress"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnitTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit_id", models.BigIntegerField()),
                ("level", models.SmallIntegerField()),
                ("area_id", models.BigIntegerField(null=True)),
                ("lead_unit_id", models.BigIntegerField(null=True)),
                ("status", models.CharField(max_length=20)),
                ("light", models.CharField(max_length=12)),
                ("late", models.BooleanField()),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["level", "unit_id"], name="unit_tally_level_unit_idx")],
            },
        ),
        migrations.CreateModel(
            name="UnitTallyStamp",
            fields=[
                ("unit_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=1)),
                ("counted", models.BigIntegerField(null=True)),
                ("day", models.DateField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="UnitTallyScope",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("signature", models.CharField(max_length=64)),
                ("counts", models.JSONField(default=list)),
            ],
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["status", "deadline", "closed_at"], name="task_status_dl_closed_idx"),
        ),
        migrations.RunPython(install, uninstall),
    ]
