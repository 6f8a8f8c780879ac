"""``{% load page_parts_tags %}``: the parts the apps above render on the task pages (``duban.tasks.page_parts``),
under the names of the follow-up app's tags that render them: ``light_badge``, ``light_of``, ``task_top``,
``task_followup``, ``task_tree``. The tasks app's templates load this library, never one of an app above theirs
(``duban/core/tests/test_layers.py``); each tag is the part itself, which hands its arguments to the function the
owning app registered, and a part nobody registered fails the page (``ImproperlyConfigured``)."""

from __future__ import annotations

from django import template

from duban.tasks import page_parts

register = template.Library()
register.simple_tag(page_parts.light_badge, name="light_badge")
register.simple_tag(page_parts.light_of, name="light_of")
register.simple_tag(page_parts.task_top_html, name="task_top", takes_context=True)
register.simple_tag(page_parts.task_followup_html, name="task_followup", takes_context=True)
register.simple_tag(page_parts.task_tree_html, name="task_tree", takes_context=True)
