from django.apps import AppConfig
from django.db.models.signals import post_migrate

from duban.core.unit_signals import unit_merging, unit_retiring


def _ensure_unit_tally(sender, using="default", **kwargs):
    # Count upkeep, not domain logic: see duban.tasks.unit_tally.ensure_unit_tally for why this runs after migrate.
    from duban.tasks.unit_tally import ensure_unit_tally

    ensure_unit_tally(using)
    from duban.tasks.sqlite_indexes import ensure_sqlite_indexes

    ensure_sqlite_indexes(using)


def _move_tasks(sender, actor, unit, into, **kwargs) -> dict:
    from duban.tasks.actions import unit_tasks_move_in_txn

    return unit_tasks_move_in_txn(actor=actor, unit=unit, into=into)


def _tasks_left(sender, unit, **kwargs) -> list:
    from duban.tasks.actions import unit_tasks_left

    return unit_tasks_left(unit=unit)


class TasksConfig(AppConfig):
    name = "duban.tasks"
    label = "tasks"
    verbose_name = "督办事项 tasks"

    def ready(self):
        post_migrate.connect(_ensure_unit_tally, sender=self, dispatch_uid="duban.tasks.unit_tally")
        unit_merging.connect(_move_tasks, dispatch_uid="duban.tasks.unit_merging")  # 机构改革 moves tasks
        unit_retiring.connect(_tasks_left, dispatch_uid="duban.tasks.unit_retiring")  # open tasks keep a unit
