from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "duban.core"
    label = "core"
    verbose_name = "基础 core"

    def ready(self) -> None:
        from duban.core import signals  # noqa: F401  (connects the login audit receivers)
