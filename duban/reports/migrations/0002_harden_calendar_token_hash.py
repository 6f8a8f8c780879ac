import hashlib

from django.db import migrations


def hash_the_calendar_tokens(apps, schema_editor):
    """Feeds keep working: the stored secret becomes its SHA-256, which the feed now looks up by."""
    CalendarToken = apps.get_model("reports", "CalendarToken")
    for row in CalendarToken.objects.using(schema_editor.connection.alias).all():
        row.token = hashlib.sha256(row.token.encode()).hexdigest()
        row.save(update_fields=["token"])


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_ledger_imports_and_calendar_tokens"),
    ]

    operations = [
        migrations.RunPython(hash_the_calendar_tokens, migrations.RunPython.noop),
    ]
