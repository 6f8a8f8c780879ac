"""Template tags for lights (三色督办). ``{% load followup_tags %}{% light_badge task %}`` on every task list."""

from django import template

register = template.Library()


@register.inclusion_tag("followup/_light_badge.html")
def light_badge(task, today=None):
    """The task's light as a small badge (filled in by the follow-up engine)."""
    return {"light": None}
