from django.apps import AppConfig
from django.db.models.signals import post_migrate

from duban.meetings.signals import meeting_imported
from duban.tasks.signals import task_closing


def _check_can_close(sender, task, requesting=False, **kwargs):
    from duban.sources.actions import check_can_close_in_txn

    check_can_close_in_txn(task, requesting=requesting)


def _collect_phrases(sender, meeting, **kwargs):
    from duban.sources.actions import phrases_collect_in_txn

    phrases_collect_in_txn(meeting)


def _ensure_search_index(sender, using="default", **kwargs):
    # Index upkeep, not domain logic: see duban.sources.search.ensure_search_index for why this runs after migrate.
    from duban.sources.search import ensure_search_index

    ensure_search_index(using)


class SourcesConfig(AppConfig):
    name = "duban.sources"
    label = "sources"
    verbose_name = "督办来源 sources"

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self, dispatch_uid="duban.sources.search_index")
        # A hazard, a case or a livelihood project decides whether its task may close (``duban.tasks.signals``).
        task_closing.connect(_check_can_close, dispatch_uid="duban.sources.check_can_close")
        # An imported communique's phrases are indexed with it (``duban.meetings.signals``).
        meeting_imported.connect(_collect_phrases, dispatch_uid="duban.sources.collect_phrases")
        # A task page's 来源 names and links the record its task came from, and a ledger names it (with its key
        # facts on that source's sheet)
        # (``duban.tasks.page_parts``).
        # The 申请办结 form says beforehand what its kind's record would refuse (``task_close_note``).
        from duban.sources.selectors import (task_close_note, task_source_facts, task_source_link,
                                             task_source_name, task_source_name_column, task_source_parts)
        from duban.tasks.page_parts import register_page_parts

        register_page_parts(source_parts=task_source_parts, source_link=task_source_link,
                            source_name_column=task_source_name_column, source_name=task_source_name,
                            close_note=task_close_note, source_facts=task_source_facts)
