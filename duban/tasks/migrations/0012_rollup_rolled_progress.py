"""Adds ``Task.rolled_progress`` (the progress a split task takes from its sub-tasks) and fills it for the tasks
split already. The roll-up is restated here (migrations import nothing from duban): per mode, "all" is 100 once
every live child is closed else the least advanced child's, "share" the share closed, "worst" the mean; a closed
child counts 100, a split child by its own rolled-up progress, withdrawn children are left out. Trees are read root
by root in tree-path order (a root's subtree is contiguous in that order), so memory holds one tree and the
changed values (written after the read, none while its cursor is open); rerunnable (it recomputes every time)."""

from django.db import migrations, models

BATCH = 1000


def _rolled(mode, children):
    progress = [100 if status == "closed" else percent for status, percent in children]
    closed = sum(1 for status, _ in children if status == "closed")
    if mode == "share":
        return round(100 * closed / len(children))
    if mode == "all":
        return 100 if closed == len(children) else min(progress)
    return round(sum(progress) / len(progress))


def _fill_tree(rows, changed):
    """``rows``: one tree's (pk, parent_id, tree_path, status, progress, mode, rolled now); deepest first."""
    by_parent = {}
    for row in rows:
        if row[1] is not None and row[3] != "withdrawn":
            by_parent.setdefault(row[1], []).append(row)
    effective = {}
    for pk, _parent, path, status, progress, mode, now in sorted(rows, key=lambda r: -r[2].count("/")):
        kids = by_parent.get(pk, ())
        value = _rolled(mode, [(k[3], effective[k[0]]) for k in kids]) if kids else None
        effective[pk] = progress if value is None else value
        if value != now:
            changed.append((pk, value))


def fill(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    changed, tree, root = [], [], None
    rows = (Task.objects.exclude(tree_path="").order_by("tree_path")
            .values_list("pk", "parent_id", "tree_path", "status", "progress_percent", "rollup_mode",
                         "rolled_progress").iterator(chunk_size=BATCH))
    for row in rows:
        top = row[2].split("/")[1]
        if top != root and tree:
            _fill_tree(tree, changed)
            tree = []
        root = top
        tree.append(row)
    if tree:
        _fill_tree(tree, changed)
    _write(Task, changed)


def _write(Task, changed):
    for value in {value for _, value in changed}:  # one statement per value (0..100), in batches of ids
        ids = [pk for pk, v in changed if v == value]
        for start in range(0, len(ids), BATCH):
            Task.objects.filter(pk__in=ids[start:start + BATCH]).update(rolled_progress=value)


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0011_scale_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='rolled_progress',
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
