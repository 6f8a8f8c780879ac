"""The data migration that keeps the 发文字号 already given to 督查通报 (counted from their audit events before
numbers were kept): run with Django's migration executor from the state before it, on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("reports", "0003_admin_score_rules_and_adjustments"), ("core", "LEAF")]
AFTER = [("reports", "0004_document_numbers")]


@pytest.mark.slow
def test_numbers_already_given_stay_taken(transactional_db):
    executor = MigrationExecutor(connection)
    before = [(app, executor.loader.graph.leaf_nodes(app)[0][1] if name == "LEAF" else name) for app, name in BEFORE]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    user = apps.get_model("auth", "User").objects.create(username="old_office")
    AuditEvent = apps.get_model("core", "AuditEvent")
    when = timezone.make_aware(dt.datetime(2026, 3, 2, 9))
    for extra in ({"serial": 1, "year": 2026, "format": "docx"}, {"serial": 2, "year": 2026, "format": "docx"},
                  {"serial": 1, "year": 2026, "format": "docx", "subtree": 7}):
        AuditEvent.objects.create(event_type=614, created_at=when, actor=user, extra=extra)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    DocumentNumber = executor.loader.project_state(AFTER).apps.get_model("reports", "DocumentNumber")
    assert sorted(DocumentNumber.objects.values_list("scope", "year", "serial")) == [(0, 2026, 1), (0, 2026, 2),
                                                                                     (7, 2026, 1)]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the next tests

    from django.contrib.auth import get_user_model

    from duban.reports.actions import document_number_in_txn

    actor = get_user_model().objects.get(username="old_office")
    with transaction.atomic():  # the next 通报 of 2026 continues after the numbers already circulated
        assert document_number_in_txn(actor=actor, kind="circular", day=dt.date(2026, 3, 3)) == (3, False)
        assert document_number_in_txn(actor=actor, kind="circular", scope=7, day=dt.date(2026, 3, 3)) == (2, False)
