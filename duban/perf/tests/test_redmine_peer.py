"""The Redmine side-by-side benchmark (bench/peer/) copies duban's rows into Redmine by SQL: its mapping must stay
complete and its statements must run against the schema of the Redmine that Debian ships, or the comparison would
rot unnoticed. The benchmark itself is not run here."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.peer import mapping
from duban.conftest import require_tool
from duban.core.models import Profile
from duban.tasks.models import Priority, TaskStatus


@pytest.mark.nodb
def test_each_status_is_one_redmine_status_and_only_closed_and_withdrawn_are_closed():
    assert set(mapping.STATUS_MAP) == set(TaskStatus.values)
    assert len(set(mapping.STATUS_MAP.values())) == len(TaskStatus.values)  # a status filter selects the same rows
    closed = {s for s, i in mapping.STATUS_MAP.items() if i in mapping.REDMINE_CLOSED_STATUSES}
    assert closed == {TaskStatus.CLOSED, TaskStatus.WITHDRAWN}
    # Redmine's default data has statuses 1-6; the rest must be added by the copy
    added = {i for i, *_ in mapping.ADDED_STATUSES}
    assert set(mapping.STATUS_MAP.values()) - set(range(1, 7)) == added


@pytest.mark.nodb
def test_every_priority_has_its_own_redmine_priority():
    assert set(mapping.PRIORITY_MAP) == set(Priority.values)
    assert len(set(mapping.PRIORITY_MAP.values())) == len(Priority.values)


@pytest.mark.nodb
def test_the_unit_tree_becomes_a_nested_set():
    # 1 ─┬─ 3 ── 4        siblings in sort order: 3 (sort 0) before 2 (sort 1)
    #    └─ 2
    sets = mapping.nested_set([(1, None, 0), (2, 1, 1), (3, 1, 0), (4, 3, 0)])
    assert sets == {1: (1, 8), 3: (2, 5), 4: (3, 4), 2: (6, 7)}


def _redmine_schema(tmp: Path):
    """Redmine's own schema from Debian's package (``rake db:migrate`` and its default data), next to the test
    database: a file attached as ``redmine`` on SQLite, the schema ``redmine`` on PostgreSQL."""
    from bench.peer.redmine_bench import REDMINE, database_yml, rake, redmine_instance

    require_tool((REDMINE / "bin" / "rake").exists(), "Redmine (apt-get install redmine redmine-sqlite redmine-pgsql)")
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url, path = "", tmp / "redmine.sqlite3"
    else:
        url, path = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}", None
        with connection.cursor() as c:
            c.execute("CREATE SCHEMA redmine")
    with redmine_instance(database_yml("sqlite" if path else "pg", url, path)) as (env, _):
        rake(env, "db:migrate")
        rake(env, "redmine:load_default_data")
    if path:
        with connection.cursor() as c:
            c.execute("ATTACH DATABASE %s AS redmine", [str(path)])
        return mapping.Dialect("sqlite", "main", "redmine")
    return mapping.POSTGRESQL


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as c:
        c.execute(sql)
        return c.fetchall()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # seed() sets PRAGMAs that SQLite refuses inside a transaction
def test_the_copy_runs_against_debians_redmine_and_keeps_every_row():
    from bench.peer.redmine_bench import copy_rows
    from duban.perf.seed import seed

    seed(tasks=80, today=dt.date(2026, 11, 25))
    with tempfile.TemporaryDirectory() as tmp:
        d = _redmine_schema(Path(tmp))
        try:
            copy_rows(connection, d, "%s", login="bench-supervisor", password="x", api_key="a" * 40)
            _check_copy(d.dst)
        finally:
            with connection.cursor() as c:
                c.execute("DETACH DATABASE redmine" if d.vendor == "sqlite" else "DROP SCHEMA redmine CASCADE")


def _check_copy(r: str):
    def count(sql):
        return _rows(sql)[0][0]

    for duban_table, redmine_table in (("tasks_task", "issues"), ("tasks_progressreport", "journals"),
                                       ("tasks_progressreport", "journal_details"), ("core_unit", "projects"),
                                       ("meetings_meeting", "versions"), ("tasks_task_coop_units", "watchers")):
        assert count(f"SELECT COUNT(*) FROM {r}.{redmine_table}") == count(f"SELECT COUNT(*) FROM {duban_table}"), \
            redmine_table
    assert count(f"SELECT COUNT(*) FROM {r}.members") == Profile.objects.filter(unit__isnull=False).count()

    # each task's issue: same id, its lead unit's project, its meeting's version, a status that is closed exactly
    # when the task is closed or withdrawn, and one Redmine status for each duban status
    issues = _rows(f"SELECT t.id, t.status, t.lead_unit_id, t.meeting_id, i.project_id, i.fixed_version_id, "
                   f"i.status_id, s.is_closed FROM tasks_task t JOIN {r}.issues i ON i.id = t.id "
                   f"JOIN {r}.issue_statuses s ON s.id = i.status_id")
    assert len(issues) == count("SELECT COUNT(*) FROM tasks_task")
    pairs = set()
    for _, status, lead, meeting, project, version, status_id, is_closed in issues:
        assert (project, version) == (lead, meeting)
        assert bool(is_closed) == (status in ("closed", "withdrawn"))
        pairs.add((status, status_id))
    assert len({s for s, _ in pairs}) == len(pairs) == len({i for _, i in pairs})

    # every reference points at a row that is there
    for child, column, parent in (("issues", "author_id", "users"), ("issues", "assigned_to_id", "users"),
                                  ("journals", "user_id", "users"), ("journals", "journalized_id", "issues"),
                                  ("watchers", "user_id", "users"), ("watchers", "watchable_id", "issues"),
                                  ("members", "user_id", "users"), ("members", "project_id", "projects"),
                                  ("member_roles", "member_id", "members"), ("projects", "parent_id", "projects"),
                                  ("tokens", "user_id", "users")):
        assert count(f"SELECT COUNT(*) FROM {r}.{child} c LEFT JOIN {r}.{parent} p ON p.id = c.{column} "
                     f"WHERE c.{column} IS NOT NULL AND p.id IS NULL") == 0, (child, column)

    # the people are the same people: a watcher is a cooperating unit's member, a journal's author the report's
    watchers = _rows(f"SELECT w.watchable_id, p.unit_id FROM {r}.watchers w JOIN {r}.users u ON u.id = w.user_id "
                     f"JOIN auth_user a ON a.username = u.login JOIN core_profile p ON p.user_id = a.id")
    assert sorted(watchers) == sorted(_rows("SELECT task_id, unit_id FROM tasks_task_coop_units"))
    authors = _rows(f"SELECT j.id, a.id FROM {r}.journals j JOIN {r}.users u ON u.id = j.user_id "
                    f"JOIN auth_user a ON a.username = u.login")
    assert sorted(authors) == sorted(_rows("SELECT id, author_id FROM tasks_progressreport"))

    # a nested set: each project inside its parent, the top one around all 2n numbers
    projects = {pid: (parent, lft, rgt) for pid, parent, lft, rgt in _rows(f"SELECT id, parent_id, lft, rgt "
                                                                         f"FROM {r}.projects")}
    bounds = sorted(b for _, lft, rgt in projects.values() for b in (lft, rgt))
    assert bounds == list(range(1, 2 * len(projects) + 1))
    for parent, lft, rgt in projects.values():
        if parent:
            assert projects[parent][1] < lft < rgt < projects[parent][2]

    # each report's journal detail goes from the task's previous report's percentage to this one's
    details = _rows(f"SELECT j.journalized_id, d.old_value, d.value FROM {r}.journal_details d "
                    f"JOIN {r}.journals j ON j.id = d.journal_id ORDER BY j.journalized_id, j.id")
    previous: dict[int, str] = {}
    for task, old, new in details:
        assert old == previous.get(task, "0")
        previous[task] = new
    # the office's supervisor is the one who signs in, as an administrator with the API key
    keys = _rows(f"SELECT u.login, u.admin FROM {r}.tokens t JOIN {r}.users u ON u.id = t.user_id "
                 f"WHERE t.action = 'api'")
    assert [(login, bool(admin)) for login, admin in keys] == [("bench-supervisor", True)]


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)  # the copy reads the seeded rows from another connection
def test_a_seeded_database_is_copied_into_a_redmine_database_of_its_own():
    """``--duban-database-url``: Redmine's tables in a database beside duban's, filled through a read-only
    postgres_fdw server; every row arrives, and a second run finds the copy and reuses it."""
    import psycopg

    from bench.peer.redmine_bench import (copy_into_redmine, counts, database_yml, rake, redmine_database,
                                          redmine_instance)
    from duban.perf.seed import seed

    require_tool((Path("/usr/share/redmine") / "bin" / "rake").exists(), "Redmine (apt-get install redmine)")
    seed(tasks=40, today=dt.date(2026, 11, 25))
    s = connection.settings_dict
    server = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    duban_url, redmine_url = f"{server}/{s['NAME']}", f"{server}/{s['NAME']}_redmine"
    try:
        assert redmine_database(redmine_url, duban_url) is False  # created, nothing copied yet
        with redmine_instance(database_yml("pg", redmine_url, None)) as (env, _):
            rake(env, "db:migrate")
            rake(env, "redmine:load_default_data")
        copy_into_redmine("pg", redmine_url, None, mapping.Dialect("postgresql", "duban", "redmine"),
                          login="bench-supervisor", password="x", api_key="b" * 40)
        rows = counts("pg", redmine_url, None, "duban")
        assert rows["tasks / issues"] == [40, 40] and all(a == b > 0 for a, b in rows.values()), rows
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), psycopg.connect(redmine_url) as conn:
            conn.execute("DELETE FROM duban.tasks_task")  # duban's rows are read, never written
        assert redmine_database(redmine_url, duban_url) is True  # the copy is found and reused
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{s["NAME"]}_redmine" WITH (FORCE)')
            # the foreign server's sessions into duban's database end after the sessions that opened them: wait,
            # so a later test does not find them (a restore refuses while other sessions are connected)
            for _ in range(100):
                if not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
                                    "application_name = 'postgres_fdw'", (s["NAME"],)).fetchone()[0]:
                    break
                time.sleep(0.1)
