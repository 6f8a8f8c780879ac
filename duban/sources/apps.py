from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "duban.sources"
    label = "sources"
    verbose_name = "督办来源 sources"
