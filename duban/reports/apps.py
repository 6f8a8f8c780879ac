from django.apps import AppConfig

from duban.tasks.signals import task_closed


def _score(sender, actor, task, **kwargs):
    from duban.reports.actions import task_score_in_txn

    task_score_in_txn(actor=actor, task=task)


class ReportsConfig(AppConfig):
    name = "duban.reports"
    label = "reports"
    verbose_name = "报告 reports"

    def ready(self) -> None:
        # A malformed DUBAN_SCORE_RULES stops start-up here (ScoreRulesInvalid names the setting), with the parser
        # that scores, rather than surfacing when the first task is closed.
        from duban.reports.scoring import score_rules

        score_rules()
        task_closed.connect(_score, dispatch_uid="duban.reports.score")  # a closed task is scored
