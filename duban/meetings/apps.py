from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "duban.meetings"
    label = "meetings"
    verbose_name = "会议 meetings"

    def ready(self) -> None:
        # The task list's meeting filter (``duban.tasks.page_parts``): tasks sit below meetings.
        from duban.meetings.selectors import meeting_choices
        from duban.tasks.page_parts import register_page_parts

        register_page_parts(meeting_choices=meeting_choices)
