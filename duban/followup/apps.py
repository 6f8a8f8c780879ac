from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "duban.followup"
    label = "followup"
    verbose_name = "催办 follow-up"
