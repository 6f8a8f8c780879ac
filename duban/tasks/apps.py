from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_unit_tally(sender, using="default", **kwargs):
    # Count upkeep, not domain logic: see duban.tasks.unit_tally.ensure_unit_tally for why this runs after migrate.
    from duban.tasks.unit_tally import ensure_unit_tally

    ensure_unit_tally(using)


class TasksConfig(AppConfig):
    name = "duban.tasks"
    label = "tasks"
    verbose_name = "督办事项 tasks"

    def ready(self):
        post_migrate.connect(_ensure_unit_tally, sender=self, dispatch_uid="duban.tasks.unit_tally")
