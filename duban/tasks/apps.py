from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_task_tally(sender, using="default", **kwargs):
    # Count upkeep, not domain logic: see duban.tasks.tally.ensure_task_tally for why this runs after migrate.
    from duban.tasks.tally import ensure_task_tally

    ensure_task_tally(using)
    from duban.tasks.unit_tally import ensure_unit_tally

    ensure_unit_tally(using)
    from duban.tasks.sqlite_indexes import ensure_tree_path_index

    ensure_tree_path_index(using)


class TasksConfig(AppConfig):
    name = "duban.tasks"
    label = "tasks"
    verbose_name = "督办事项 tasks"

    def ready(self):
        post_migrate.connect(_ensure_task_tally, sender=self, dispatch_uid="duban.tasks.task_tally")
