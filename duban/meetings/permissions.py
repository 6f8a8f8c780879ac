"""Who may see and do what with meetings (the communiques the office imports): the scoped queryset every read of
them starts from and the ``can_*`` predicates of the import, built on ``duban.core.permissions`` and on the task
scope (``duban.tasks.permissions``): a unit sees a meeting through a task of it that it may see.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from duban.core.permissions import is_office, is_supervisor, is_unit_member
from duban.meetings.models import Meeting
from duban.tasks.permissions import tasks_visible_to


# --- scoped querysets: the only starting points for reads of meetings -------------------------------------

def meetings_visible_to(user) -> QuerySet[Meeting]:
    if is_office(user):
        return Meeting.objects.all()
    if not is_unit_member(user):
        return Meeting.objects.none()
    return Meeting.objects.filter(Exists(tasks_visible_to(user).filter(meeting_id=OuterRef("pk"))))


# --- predicates: one condition per line so coverage proves each branch ---------------------------------------

def can_import_meeting(user) -> bool:
    return is_supervisor(user)


def can_edit_meeting(user, meeting: Meeting) -> bool:
    return is_supervisor(user)
