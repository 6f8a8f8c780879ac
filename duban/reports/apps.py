from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "duban.reports"
    label = "reports"
    verbose_name = "报告 reports"

    def ready(self) -> None:
        # A malformed DUBAN_SCORE_RULES stops start-up here (ScoreRulesInvalid names the setting), with the parser
        # that scores, rather than surfacing when the first task is closed.
        from duban.reports.scoring import score_rules

        score_rules()
