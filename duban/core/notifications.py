"""Writing notifications: actions call ``notify`` inside their transaction (the outbox); delivery over channels
runs after commit, so nothing is sent for a rolled-back change."""

from __future__ import annotations

from collections.abc import Iterable

from duban.core.models import Notification


def notify(*, actor, recipients: Iterable, kind: str, title: str, body: str = "", task=None,
           payload: dict | None = None) -> list[Notification]:
    """Queue one in-app notification per distinct recipient and return them. The ``actor`` (the person whose
    action this is; None for none) is never one of them: nobody is told of what they did themselves."""
    seen: set[int] = {actor.pk} if actor is not None else set()
    rows = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, title=title[:200], body=body, task=task,
                                 payload=payload or {}))
    return Notification.objects.bulk_create(rows)
