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
