"""Who may see and do what with instructions, cases, livelihood projects, hazards and attachments.

Built on ``duban.core.permissions`` and ``duban.tasks.permissions``: the office (supervisors, leaders, sysadmin)
sees every record; a unit sees a record only through a task it may see (``tasks_visible_to``). Only supervisors
create records. The lead unit of a hazard's task reports its rectification (整改) and attaches photos;
re-inspection (复查) and striking off (销号) are the office's. Unit users do not enter hazards themselves: a hazard
needs a task, and tasks are made by the office (立项), so a unit that finds one reports it and the office
registers it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from duban.core import permissions as core
from duban.meetings.models import Meeting
from duban.meetings.permissions import meetings_visible_to
from duban.sources.models import (Attachment, Hazard, HazardStatus, InspectionCase, Instruction, LivelihoodProject,
                                  PhraseOccurrence)
from duban.tasks import permissions as task_perms
from duban.tasks.models import REPORTABLE_STATUSES


def instructions_visible_to(user) -> QuerySet[Instruction]:
    if core.is_office(user):
        return Instruction.objects.all()
    tasks = task_perms.tasks_visible_to(user).values("pk")
    return Instruction.objects.filter(links__task__in=tasks).distinct()


def cases_visible_to(user) -> QuerySet[InspectionCase]:
    if core.is_office(user):
        return InspectionCase.objects.all()
    return InspectionCase.objects.filter(task__in=task_perms.tasks_visible_to(user).values("pk"))


def livelihood_visible_to(user) -> QuerySet[LivelihoodProject]:
    if core.is_office(user):
        return LivelihoodProject.objects.all()
    return LivelihoodProject.objects.filter(task__in=task_perms.tasks_visible_to(user).values("pk"))


def hazards_visible_to(user) -> QuerySet[Hazard]:
    if core.is_office(user):
        return Hazard.objects.all()
    return Hazard.objects.filter(task__in=task_perms.tasks_visible_to(user).values("pk"))


def attachments_visible_to(user) -> QuerySet[Attachment]:
    if core.is_office(user):
        return Attachment.objects.all()
    return Attachment.objects.filter(task__in=task_perms.tasks_visible_to(user).values("pk"))


def occurrences_visible_to(user) -> QuerySet[PhraseOccurrence]:
    """A phrase is seen where its meeting is seen (a unit sees meetings that hold a task of its own)."""
    if core.is_office(user):
        return PhraseOccurrence.objects.all()
    return PhraseOccurrence.objects.filter(meeting__in=meetings_visible_to(user).values("pk"))


def meetings_for_phrases(user) -> QuerySet[Meeting]:
    return meetings_visible_to(user)


# --- predicates: one condition per line --------------------------------------------------------------------

def can_create_source(user) -> bool:
    return core.is_supervisor(user)


def can_record_case(user, case: InspectionCase) -> bool:
    """The office records the rectification report; the lead unit drafts it in its progress reports."""
    return core.is_supervisor(user)


def can_record_livelihood(user, project: LivelihoodProject) -> bool:
    if core.is_supervisor(user):
        return True
    return task_perms.is_lead_member(user, project.task)


def can_rectify_hazard(user, hazard: Hazard) -> bool:
    if core.is_supervisor(user):
        return True
    return task_perms.is_lead_member(user, hazard.task)


def can_review_hazard(user, hazard: Hazard) -> bool:
    return core.is_supervisor(user)


def can_attach(user, task) -> bool:
    if core.is_supervisor(user):
        return True
    return task_perms.can_report_on_task(user, task)


def rectification_files_progress(hazard: Hazard) -> bool:
    """Whether a rectification reported now also goes to the hazard's task as progress (``hazard_rectify``): its
    task takes reports (signed for, not asking to close). For the form's note; the report's own checks decide."""
    return hazard.task.status in REPORTABLE_STATUSES


def hazard_next_steps(user, hazard: Hazard) -> list[str]:
    """The buttons a template may show."""
    steps = []
    if hazard.status == HazardStatus.FOUND and can_rectify_hazard(user, hazard):
        steps.append("rectify")
    if hazard.status == HazardStatus.RECTIFIED and can_review_hazard(user, hazard):
        steps.append("review")
    if hazard.status == HazardStatus.REVIEWED and can_review_hazard(user, hazard):
        steps.append("close")
    return steps
