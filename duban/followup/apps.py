from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "duban.followup"
    label = "followup"
    verbose_name = "催办 follow-up"

    def ready(self):
        # The person channels register through the same seam as the built-in ones.
        from duban.followup import channels_dingtalk, channels_sms, channels_wecom
        from duban.followup.channels import register_channel

        register_channel(channels_wecom.WeComAppChannel())
        register_channel(channels_dingtalk.DingTalkWorkChannel())
        register_channel(channels_sms.SmsChannel())
        # The tasks app keeps counts per light without importing the light rule: it is handed over here.
        from duban.followup.lights import LightCodes
        from duban.tasks.unit_tally import register_lights

        register_lights(LightCodes)
        # The task pages show lights, the tree of sub-tasks and the office's follow-up buttons the same way.
        from duban.followup.lights import rollup_lights
        from duban.followup.permissions import can_issue_notice, can_urge_task
        from duban.followup.selectors import deadline_change_pending, task_page_parts, task_tree
        from duban.followup.templatetags import followup_tags
        from duban.tasks.page_parts import register_page_parts

        # A watched task's outcomes reach the leaders who watch it (重点关注, or a 批示 they wrote on it).
        from duban.followup.actions import watchers_told_of_close, watchers_told_of_report
        from duban.tasks.signals import report_accepted, task_closed

        task_closed.connect(watchers_told_of_close, dispatch_uid="duban.followup.watchers_closed")
        report_accepted.connect(watchers_told_of_report, dispatch_uid="duban.followup.watchers_report")
        register_page_parts(rollup_lights=rollup_lights, light_of=followup_tags.light_of,
                            light_badge=followup_tags.light_badge,
                            light_badge_of_values=followup_tags.light_badge_of_values, task_tree=task_tree,
                            task_top_html=followup_tags.task_top, task_followup_html=followup_tags.task_followup,
                            task_tree_html=followup_tags.task_tree, can_urge_task=can_urge_task,
                            can_issue_notice=can_issue_notice, task_page_parts=task_page_parts,
                            deadline_change_pending=deadline_change_pending)
