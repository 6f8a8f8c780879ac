"""The work areas (工作领域) of the packaged area list, so the clerk can pick any of them from the start (before, only
the areas an import happened to guess existed). Names already there are left as they are (a retired area stays
retired); the list's fallback (其他) is not an area: a task without one is 未分类."""

from django.db import migrations

# The names of duban/extraction/data/areas.toml at the time of this migration, in its order (copied: a migration
# does not import the application).
AREAS = ("经济发展", "科技创新", "乡村振兴", "区域协同", "城乡建设", "疫情防控", "安全生产", "信访稳定", "生态环境",
         "民生实事", "食品安全", "党的建设", "安全稳定")


def seed(apps, schema_editor):
    Area = apps.get_model("core", "Area")
    have = set(Area.objects.values_list("name", flat=True))
    last = max(Area.objects.values_list("sort_order", flat=True), default=0)
    Area.objects.bulk_create([Area(name=name, sort_order=last + i) for i, name in enumerate(
        (n for n in AREAS if n not in have), start=1)])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_levels_unit_supervisor"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
