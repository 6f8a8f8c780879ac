"""How duban's seeded rows become Redmine 5.0's: the statements that copy them, engine to engine on one server.

Both databases are reachable from one connection: on SQLite duban's file is ATTACHed to Redmine's as ``duban``; on
PostgreSQL Redmine's tables live in the schema ``redmine`` of duban's own database (Redmine's ``database.yml`` sets
``schema_search_path``). Every copy is then one ``INSERT ... SELECT`` run by the database, with the same ids where
Redmine has room for them:

    units                 → projects (id = unit id, the unit tree as Redmine's nested set)
    tasks                 → issues (id = task id, project = lead unit, version = meeting, status mapped below)
    progress reports      → journals (id = report id, notes = the report's text) with one journal detail each
                            (done_ratio from the previous report's percentage to this one's)
    cooperating units     → watchers (the cooperating unit's staff member watches the issue)
    meetings              → versions of the top unit's project, shared with its descendants
    users                 → users (id + USER_OFFSET: Redmine's own admin, groups and anonymous take 1-4), each a
                            member of its unit's project; the office's supervisor is a Redmine administrator

What has no counterpart is left out (the audit trail, areas, the report's review) and listed in bench/RESULTS.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Redmine's built-in users (admin, two groups, anonymous) have ids 1-4; duban's users go after them.
USER_OFFSET = 10

# Redmine's default data (``rake redmine:load_default_data``) creates these statuses with these ids in every
# language: 1 New, 2 In Progress, 3 Resolved, 4 Feedback, 5 Closed (closed), 6 Rejected (closed). duban's two
# statuses without a match are added as 7 and 8, so that each duban status is exactly one Redmine status and a
# status filter selects the same rows on both sides.
STATUS_MAP: dict[str, int] = {
    "assigned": 1,         # 已交办: given to the unit, nothing done yet → New
    "in_progress": 2,      # 办理中 → In Progress
    "close_requested": 3,  # 申请办结: done, awaiting the office's check → Resolved
    "returned": 4,         # 已退回: sent back to the office → Feedback
    "closed": 5,           # 已办结 → Closed
    "withdrawn": 6,        # 已撤销 → Rejected
    "draft": 7,            # 草稿 (added)
    "accepted": 8,         # 已签收 (added)
}
# (id, name, is_closed, position) of the statuses added to Redmine's six
ADDED_STATUSES = ((7, "草稿", False, 7), (8, "已签收", False, 8))
REDMINE_CLOSED_STATUSES = frozenset({5, 6})

# duban's Priority (0 urgent, 1 high, 2 normal) → Redmine's default IssuePriority ids (2 普通, 3 高, 4 紧急)
PRIORITY_MAP = {0: 4, 1: 3, 2: 2}
# meeting decisions → 功能 (Feature), everything else → 支持 (Support)
MEETING_TRACKER, OTHER_TRACKER = 2, 3
TRACKERS = (1, 2, 3)
# Redmine's default project modules (Setting.default_projects_modules), all enabled as on a fresh install
MODULES = ("issue_tracking", "time_tracking", "news", "documents", "files", "wiki", "repository", "boards",
           "calendar", "gantt")
# Redmine's default roles: 3 Manager (管理人员), 4 Developer (开发人员)
ROLE_MAP = {"unit_admin": 3, "supervisor": 3, "unit_supervisor": 3, "unit_staff": 4}


@dataclass(frozen=True)
class Dialect:
    """What differs between the two engines in the copy."""
    vendor: str   # "sqlite" or "postgresql"
    src: str      # duban's tables: schema or attached database name
    dst: str      # Redmine's

    def date_of(self, expr: str) -> str:
        # duban keeps datetimes as UTC text on SQLite and timestamptz on PostgreSQL (the session is set to UTC)
        return f"date({expr})" if self.vendor == "sqlite" else f"CAST({expr} AS date)"


SQLITE = Dialect("sqlite", "duban", "main")
POSTGRESQL = Dialect("postgresql", "public", "redmine")


def status_case(column: str) -> str:
    whens = " ".join(f"WHEN '{s}' THEN {i}" for s, i in STATUS_MAP.items())
    return f"CASE {column} {whens} END"


def priority_case(column: str) -> str:
    whens = " ".join(f"WHEN {p} THEN {i}" for p, i in PRIORITY_MAP.items())
    return f"CASE {column} {whens} ELSE 2 END"


def redmine_password(password: str, salt: str) -> str:
    """Redmine's ``User#salt_password``: SHA1(salt + SHA1(password)), hex."""
    inner = hashlib.sha1(password.encode()).hexdigest()
    return hashlib.sha1((salt + inner).encode()).hexdigest()


def nested_set(units: list[tuple[int, int | None, int]]) -> dict[int, tuple[int, int]]:
    """(id, parent_id, sort_order) rows → {id: (lft, rgt)} of Redmine's nested set, siblings in duban's order."""
    kids: dict[int | None, list[tuple[int, int]]] = {}
    for uid, parent, sort in units:
        kids.setdefault(parent, []).append((sort, uid))
    out: dict[int, tuple[int, int]] = {}
    n = 0
    stack: list[tuple[int, bool]] = [(uid, False) for _, uid in sorted(kids.get(None, []), reverse=True)]
    while stack:  # iterative depth-first walk: lft on the way down, rgt on the way up
        uid, done = stack.pop()
        n += 1
        if done:
            out[uid] = (out[uid][0], n)
            continue
        out[uid] = (n, 0)
        stack.append((uid, True))
        stack.extend((k, False) for _, k in sorted(kids.get(uid, []), reverse=True))
    return out


def project_rows(units: list[tuple[int, str, int | None, int]], now: str) -> list[tuple]:
    """Redmine ``projects`` rows of duban's units (id, name, parent_id, sort_order), identifier ``u<id>``."""
    sets = nested_set([(u[0], u[2], u[3]) for u in units])
    return [(uid, name, "", "", False, parent, now, now, f"u{uid}", 1, *sets[uid], False)
            for uid, name, parent, _ in units]


PROJECT_COLUMNS = ("id", "name", "description", "homepage", "is_public", "parent_id", "created_on", "updated_on",
                   "identifier", "status", "lft", "rgt", "inherit_members")


def copy_statements(d: Dialect, *, password_hash: str, salt: str) -> list[tuple[str, str]]:
    """(name, SQL) of every copy after the projects, in order. Constants only, no parameters."""
    src, dst, off = d.src, d.dst, USER_OFFSET
    staff = (f"(SELECT unit_id, MAX(user_id) AS uid FROM {src}.core_profile WHERE role = 'unit_staff' "
             f"GROUP BY unit_id)")
    roles = " ".join(f"WHEN '{r}' THEN {i}" for r, i in ROLE_MAP.items())
    stmts = [
        ("statuses", f"INSERT INTO {dst}.issue_statuses (id, name, is_closed, position) VALUES " +
         ", ".join(f"({i}, '{n}', {'TRUE' if c else 'FALSE'}, {p})" for i, n, c, p in ADDED_STATUSES)),
        ("users", f"INSERT INTO {dst}.users (id, login, hashed_password, salt, firstname, lastname, admin, status, "
                  f"language, created_on, updated_on, type, mail_notification, must_change_passwd, twofa_required) "
                  f"SELECT u.id + {off}, u.username, '{password_hash}', '{salt}', substr(p.display_name, 1, 30), "
                  f"'', p.role IN ('supervisor', 'sysadmin'), 1, 'zh', u.date_joined, u.date_joined, 'User', "
                  f"'only_my_events', FALSE, FALSE "
                  f"FROM {src}.auth_user u JOIN {src}.core_profile p ON p.user_id = u.id"),
        ("modules", f"INSERT INTO {dst}.enabled_modules (project_id, name) " +
         " UNION ALL ".join(f"SELECT id, '{m}' FROM {src}.core_unit" for m in MODULES)),
        ("trackers", f"INSERT INTO {dst}.projects_trackers (project_id, tracker_id) " +
         " UNION ALL ".join(f"SELECT id, {t} FROM {src}.core_unit" for t in TRACKERS)),
        ("members", f"INSERT INTO {dst}.members (id, user_id, project_id, created_on, mail_notification) "
                    f"SELECT p.user_id + {off}, p.user_id + {off}, p.unit_id, u.date_joined, FALSE "
                    f"FROM {src}.core_profile p JOIN {src}.auth_user u ON u.id = p.user_id "
                    f"WHERE p.unit_id IS NOT NULL AND p.role IN ({', '.join(repr(r) for r in ROLE_MAP)})"),
        ("member_roles", f"INSERT INTO {dst}.member_roles (member_id, role_id) "
                         f"SELECT user_id + {off}, CASE role {roles} END FROM {src}.core_profile "
                         f"WHERE unit_id IS NOT NULL AND role IN ({', '.join(repr(r) for r in ROLE_MAP)})"),
        ("versions", f"INSERT INTO {dst}.versions (id, project_id, name, description, effective_date, created_on, "
                     f"updated_on, status, sharing) "
                     f"SELECT m.id, (SELECT MIN(id) FROM {src}.core_unit WHERE parent_id IS NULL), m.title, '', "
                     f"m.date, m.created_at, m.created_at, 'open', 'descendants' FROM {src}.meetings_meeting m"),
        ("issues", f"INSERT INTO {dst}.issues (id, tracker_id, project_id, subject, description, due_date, status_id, "
                   f"assigned_to_id, priority_id, fixed_version_id, author_id, lock_version, created_on, "
                   f"updated_on, start_date, done_ratio, root_id, lft, rgt, is_private, closed_on) "
                   f"SELECT t.id, CASE t.kind WHEN 'meeting' THEN {MEETING_TRACKER} ELSE {OTHER_TRACKER} END, "
                   f"t.lead_unit_id, substr(t.title, 1, 255), t.text, t.deadline, {status_case('t.status')}, "
                   f"s.uid + {off}, {priority_case('t.priority')}, t.meeting_id, t.created_by_id + {off}, 0, "
                   f"t.created_at, t.updated_at, {d.date_of('t.created_at')}, t.progress_percent, t.id, 1, 2, "
                   f"FALSE, t.closed_at FROM {src}.tasks_task t LEFT JOIN {staff} s ON s.unit_id = t.lead_unit_id"),
        ("journals", f"INSERT INTO {dst}.journals (id, journalized_id, journalized_type, user_id, notes, created_on, "
                     f"private_notes) "
                     f"SELECT r.id, r.task_id, 'Issue', r.author_id + {off}, r.text, r.created_at, FALSE "
                     f"FROM {src}.tasks_progressreport r"),
        ("journal_details", f"INSERT INTO {dst}.journal_details (id, journal_id, property, prop_key, old_value, value) "
                            f"SELECT r.id, r.id, 'attr', 'done_ratio', CAST(COALESCE(LAG(r.progress_percent) OVER "
                            f"(PARTITION BY r.task_id ORDER BY r.id), 0) AS text), "
                            f"CAST(r.progress_percent AS text) FROM {src}.tasks_progressreport r"),
        ("watchers", f"INSERT INTO {dst}.watchers (watchable_type, watchable_id, user_id) "
                     f"SELECT 'Issue', c.task_id, s.uid + {off} FROM {src}.tasks_task_coop_units c "
                     f"JOIN {staff} s ON s.unit_id = c.unit_id"),
        ("settings", f"INSERT INTO {dst}.settings (name, value) VALUES ('rest_api_enabled', '1'), "
                     f"('default_language', 'zh')"),
    ]
    if d.vendor == "postgresql":
        # ids were given explicitly: each sequence must continue after them (a sign-in writes a token row)
        stmts += [(f"sequence {t}", f"SELECT setval(pg_get_serial_sequence('{dst}.{t}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {dst}.{t}), false)")
                  for t in ("users", "projects", "enabled_modules", "members", "member_roles", "versions", "issues",
                            "journals", "journal_details", "watchers", "settings", "issue_statuses")]
    return stmts
