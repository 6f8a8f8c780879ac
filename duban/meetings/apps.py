from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "duban.meetings"
    label = "meetings"
    verbose_name = "会议 meetings"
