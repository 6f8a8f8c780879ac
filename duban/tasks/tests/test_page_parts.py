"""The task pages' parts from the apps above (``duban.tasks.page_parts``): once the apps are ready every part is
the function of the app that owns it, and a name the pages do not know is refused at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from duban.followup import lights, permissions, selectors
from duban.followup.templatetags import followup_tags
from duban.meetings import selectors as meeting_selectors
from duban.sources import selectors as source_selectors
from duban.tasks import page_parts

pytestmark = pytest.mark.nodb


def test_every_part_of_the_task_pages_is_registered_by_the_app_that_owns_it():
    owners = {"rollup_lights": lights.rollup_lights, "light_of": followup_tags.light_of,
              "light_badge": followup_tags.light_badge,
              "light_badge_of_values": followup_tags.light_badge_of_values, "task_tree": selectors.task_tree,
              "task_top_html": followup_tags.task_top, "task_followup_html": followup_tags.task_followup,
              "task_tree_html": followup_tags.task_tree,
              "can_urge_task": permissions.can_urge_task, "can_issue_notice": permissions.can_issue_notice,
              "meeting_choices": meeting_selectors.meeting_choices,
              "task_page_parts": selectors.task_page_parts,
              "source_parts": source_selectors.task_source_parts, "source_link": source_selectors.task_source_link,
              "source_name_column": source_selectors.task_source_name_column,
              "source_name": source_selectors.task_source_name, "close_note": source_selectors.task_close_note,
              "source_facts": source_selectors.task_source_facts,
              "deadline_change_pending": selectors.deadline_change_pending}
    assert set(owners) == page_parts.PARTS
    for name, function in owners.items():
        assert page_parts._part(name) is function, name


def test_a_part_the_pages_do_not_know_is_refused():
    with pytest.raises(ImproperlyConfigured):
        page_parts.register_page_parts(task_badge=lambda *values: "")
    assert "task_badge" not in page_parts._parts
