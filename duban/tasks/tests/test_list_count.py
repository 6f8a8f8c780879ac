"""The task list's total is kept in the cache of figures (duban/core/cache.py): an audited change shows at once,
and one unit's total never reaches another unit."""

from __future__ import annotations

import re

from django.test import Client

from duban.tasks import actions


def shown_total(user) -> int:
    client = Client()
    client.force_login(user)
    html = client.get("/tasks/").content.decode()
    return int(re.search(r"共 (\d+) 条", html).group(1))


def test_list_total_follows_audited_changes(org):
    first = org.task_in("assigned")
    org.task_in("accepted")
    assert shown_total(org.lead_staff) == 2
    assert shown_total(org.lead_staff) == 2  # from the cache
    assert shown_total(org.other_staff) == 0  # another unit's scope is another entry
    actions.task_withdraw(actor=org.supervisor, task_id=first.pk, reason="重复")
    assert shown_total(org.lead_staff) == 1
    org.task_in("assigned")
    assert shown_total(org.lead_staff) == 2
    assert shown_total(org.supervisor) == 2
