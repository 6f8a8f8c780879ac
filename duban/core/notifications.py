"""Writing notifications: actions call ``notify`` inside their transaction (the outbox); delivery over channels
runs after commit, so nothing is sent for a rolled-back change."""

from __future__ import annotations

from collections.abc import Iterable

from duban.core.models import Notification


def notify(*, recipients: Iterable, kind: str, title: str, body: str = "", task=None,
           payload: dict | None = None) -> list[Notification]:
    """Queue one in-app notification per distinct recipient and return them."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, title=title[:200], body=body, task=task,
                                 payload=payload or {}))
    return Notification.objects.bulk_create(rows)
