"""Shared fixtures: a small organisation with one user per role, built through the real actions.

``org`` gives units and users; ``task_in(status)`` drives a task through the real workflow to a state, so no test
starts from a state the product could never reach.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "Test-pass-2026!"


def shared_dir() -> Path:
    return Path(os.environ.get("DUBAN_SHARED_DIR", REPO_DIR.parent / "shared"))


def require_tool(ok: bool, what: str) -> None:
    """Skip for a missing tool on a laptop; under CI a missing tool is a failure, never a skip."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"required tool missing under CI: {what}")
    pytest.skip(f"missing tool: {what}")


def use_data_dir(settings, path) -> Path:
    """Point the data dir and the file storage (``duban.core.files``, which lives in it) at ``path`` for one test."""
    settings.DATA_DIR = path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}}}
    return Path(path)


class Org:
    """Units: office (督查室), safety (市应急管理局) with a child district office, health (市卫健委), other
    (市教育局). Users: sysadmin, supervisor, leader, lead_admin/lead_staff (safety), coop_staff (health),
    other_staff (other), child_staff (under safety)."""

    def __init__(self):
        from duban.core.actions import unit_create, user_create
        from duban.core.audit import system_actor
        from duban.core.models import Area, Profile

        system = system_actor()
        self.system = system
        self.office = unit_create(actor=system, name="市委督查室")
        self.safety = unit_create(actor=system, name="市应急管理局", aliases=["应急局"])
        self.child = unit_create(actor=system, name="市应急管理局临川分局", parent=self.safety)
        self.health = unit_create(actor=system, name="市卫健委")
        self.other = unit_create(actor=system, name="市教育局")
        # the packaged area list is in the database from the start (a migration): these two come first
        self.area_safety, _ = Area.objects.update_or_create(name="安全生产", defaults={"sort_order": -2})
        self.area_health, _ = Area.objects.update_or_create(name="疫情防控", defaults={"sort_order": -1})

        def user(username, role, unit=None):
            u = user_create(actor=system, username=username, password=PASSWORD, role=role, unit=unit,
                            display_name=username)
            Profile.objects.filter(user=u).update(must_change_password=False)
            u.refresh_from_db()
            return u

        self.sysadmin = user("sysadmin", "sysadmin")
        self.supervisor = user("supervisor", "supervisor", self.office)
        self.leader = user("leader", "leader")
        self.lead_admin = user("lead_admin", "unit_admin", self.safety)
        self.lead_staff = user("lead_staff", "unit_staff", self.safety)
        self.coop_staff = user("coop_staff", "unit_staff", self.health)
        self.other_staff = user("other_staff", "unit_staff", self.other)
        self.child_staff = user("child_staff", "unit_staff", self.child)

    def roles(self) -> dict:
        return {"sysadmin": self.sysadmin, "supervisor": self.supervisor, "leader": self.leader,
                "lead_admin": self.lead_admin, "lead_staff": self.lead_staff, "coop_staff": self.coop_staff,
                "other_staff": self.other_staff}

    def draft_task(self, **kw):
        from duban.tasks.actions import task_create

        fields = dict(title="排查整治燃气安全隐患", text="要全面排查整治燃气安全隐患。", area_id=self.area_safety.pk,
                      lead_unit_id=self.safety.pk, coop_unit_ids=[self.health.pk],
                      deadline=dt.date.today() + dt.timedelta(days=30))
        fields.update(kw)
        return task_create(actor=self.supervisor, **fields)

    def task_in(self, status: str, **kw):
        """A task driven by the real actions to ``status``."""
        from duban.tasks import actions
        from duban.tasks.models import Task

        task = self.draft_task(**kw)
        if status == "draft":
            return task
        actions.task_assign(actor=self.supervisor, task_id=task.pk)
        if status == "returned":
            actions.task_decline(actor=self.lead_staff, task_id=task.pk, reason="不属于本单位职责")
        if status in ("accepted", "in_progress", "close_requested", "closed"):
            actions.task_accept(actor=self.lead_staff, task_id=task.pk)
        if status == "in_progress":
            actions.report_submit(actor=self.lead_staff, task_id=task.pk, text="已部署", progress_percent=30)
        if status in ("close_requested", "closed"):
            report = actions.report_submit(actor=self.lead_staff, task_id=task.pk, text="已完成",
                                           progress_percent=100, request_close=True, evidence_text="验收记录")
            if status == "closed":
                actions.report_accept(actor=self.supervisor, report_id=report.pk)
        if status == "withdrawn":
            actions.task_withdraw(actor=self.supervisor, task_id=task.pk, reason="重复")
        return Task.objects.get(pk=task.pk)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file (``DUBAN_TEST_SQLITE``, else one in pytest's temporary folder), never
    memory. Django's live server shares an in-memory database's one connection among its request threads, and
    Python's sqlite3 can deadlock on a shared connection: one thread inside a statement calls a Python SQL function
    (it holds the database's mutex and waits for the GIL) while another binds parameters (it holds the GIL and
    waits for the mutex). Chromium's parallel requests in a browser walk hit exactly that, and the walk hung. With
    a file each thread opens its own connection, as the served application does. The throwaway file is not synced
    at each commit (synchronous=OFF: a crash of the machine loses a test run, nothing else), which would make the
    suite a third slower; ``test_sqlite_syncs_every_commit_unless_told_otherwise`` checks the served setting."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A new file each session, not the one an earlier session of this process left in the settings (mutmut runs
        # pytest again and again in one process and its forks; any later pytest run deletes a finished session's
        # folder)
        if not os.environ.get("DUBAN_TEST_SQLITE"):
            database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")
        options = database.setdefault("OPTIONS", {})
        options["init_command"] = re.sub(r"PRAGMA synchronous=\w+;", "PRAGMA synchronous=OFF;",
                                         options.get("init_command", ""))


@pytest.fixture(autouse=True, scope="session")
def _one_audit_key_for_every_process():
    """The processes a test starts (a server, a worker, a restore's check) key the audit chain as this one does,
    as every process of a deployment shares ``DUBAN_AUDIT_KEYS`` (else each would make its own key file in the
    data dir it was given, and their events would not verify under one key)."""
    from django.conf import settings

    if not os.environ.get("DUBAN_AUDIT_KEYS"):
        os.environ["DUBAN_AUDIT_KEYS"] = ",".join(f"{k}:{v}" for k, v in settings.DUBAN_AUDIT_KEYS.items())
    yield


@pytest.fixture(autouse=True)
def _light_password_hashing(settings, tmp_path_factory):
    """Production Argon2 costs 100 MB per hash; tests use the same algorithm with tiny costs. Each test also gets
    its own audit anchor file: a test database starts empty, so anchors of another test's commits do not apply."""
    settings.PASSWORD_HASHERS = ["duban.core.passwords.LightArgon2PasswordHasher"]
    settings.DUBAN_AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("anchor") / "audit-anchor.log"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test's database is rolled back to the same audit chain head, so cached dashboard figures (keyed by the
    head, duban/core/cache.py) from one test would match the next test's key: start every test cold."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def analyzed_again_after(django_db_blocker):
    """ANALYZE writes a table's row and page counts in place: they stay when the test's transaction rolls back. Set
    up before the test's database (so torn down after its rollback), this analyzes the tables again once the test's
    rows are gone; otherwise the tests after it were planned for rows that are no longer there (nested loops over
    whole tables: a walk of every page ran for minutes). For tests that ANALYZE tasks on PostgreSQL."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
        cursor.execute("ANALYZE tasks_task_coop_units")


@pytest.fixture
def org(db):
    return Org()


@pytest.fixture
def demo_people_db(transactional_db):
    """The demo's units and people in a database a live server sees (browser tests); none is asked to change the
    password first (``duban.core.tests.browser.demo_people``)."""
    from duban.core.tests.browser import demo_people

    demo_people()


@pytest.fixture
def sample_text() -> str:
    path = shared_dir() / "samples" / "changzhou-2022-09-29-standing-committee.txt"
    require_tool(path.exists(), f"shared sample {path}")
    return path.read_text(encoding="utf-8")


def login(client, user):
    client.force_login(user)
    return client


# --- under CI a skipped test is a failure: a missing tool must not pass quietly ------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") == "true" and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("CI") == "true" and _skipped:
        terminalreporter.write_line(f"CI=true: {len(_skipped)} skipped test(s) count as failures:", red=True)
        for nodeid in _skipped[:50]:
            terminalreporter.write_line(f"  {nodeid}", red=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before the session's last teardown drops the PostgreSQL test database, end any session a thread or child
    process of the suite left connected to it; DROP DATABASE refuses while one remains, which would turn a green
    run into an error at the very end."""
    if nextitem is not None:
        return
    from django.conf import settings as django_settings

    if not django_settings.configured or "postgresql" not in django_settings.DATABASES["default"]["ENGINE"]:
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # the test database was never set up in this run
    with item.config.stash[blocking_manager_key].unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` (row locks that wait for each other) run where the database is PostgreSQL and
    are deselected elsewhere: not a skip, since under CI a skip is a failure and CI runs both databases."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgresql") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
